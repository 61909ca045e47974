// Helpers shared by the statistical tests: random sets with a known Jaccard value.
#ifndef DEDUP_TESTS_TEST_UTIL_H_
#define DEDUP_TESTS_TEST_UTIL_H_

#include <algorithm>
#include <cstdint>
#include <vector>

#include "dedup/minhash.h"

namespace dedup::testing {

// Two sets of random 64-bit values with |A ∩ B| = common and |A \ B| = |B \ A| = only,
// so J(A, B) = common / (common + 2 * only) exactly. Sorted, duplicate-free
// (collisions among ~1e4 random 64-bit values have probability ~1e-11).
struct SetPair {
  std::vector<uint64_t> a, b;
  double jaccard;
};

inline SetPair MakeSetPair(uint64_t* state, int common, int only) {
  SetPair p;
  for (int i = 0; i < common; ++i) {
    uint64_t x = SplitMix64(state);
    p.a.push_back(x);
    p.b.push_back(x);
  }
  for (int i = 0; i < only; ++i) p.a.push_back(SplitMix64(state));
  for (int i = 0; i < only; ++i) p.b.push_back(SplitMix64(state));
  std::sort(p.a.begin(), p.a.end());
  std::sort(p.b.begin(), p.b.end());
  p.jaccard = static_cast<double>(common) / (common + 2.0 * only);
  return p;
}

}  // namespace dedup::testing

#endif  // DEDUP_TESTS_TEST_UTIL_H_
