#include "dedup/threads.h"

#include "absl/strings/str_format.h"

namespace dedup {

static_assert(kMaxThreads == 1024, "kThreadsRange spells the limit out");

absl::Status ValidateThreads(int64_t threads) {
  if (threads >= 0 && threads <= kMaxThreads) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrFormat("threads %d is out of range: expected %s", threads, kThreadsRange));
}

}  // namespace dedup
