// Helpers shared by the libFuzzer targets in this folder.
//
// FUZZ_CHECK(cond) aborts with the condition's text when an invariant fails: libFuzzer
// records the input as a crash. (Not assert(): the targets must check in every build
// type, and the replay tests run them under GCC as well.)
#ifndef DEDUP_TESTS_FUZZ_FUZZ_UTIL_H_
#define DEDUP_TESTS_FUZZ_FUZZ_UTIL_H_

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                               \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                    \
    }                                                                                  \
  } while (0)

#endif  // DEDUP_TESTS_FUZZ_FUZZ_UTIL_H_
