#include "dedup/status_macros.h"

#include <cstdio>
#include <cstdlib>

namespace dedup::internal {

void CheckFailed(const char* file, int line, const char* condition) {
  std::fprintf(stderr, "dedup: internal invariant failed at %s:%d: %s\n", file, line, condition);
  std::abort();
}

}  // namespace dedup::internal
