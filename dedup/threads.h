// The thread counts dedup accepts: one rule for every command and library entry point
// that takes a thread count (the batch pipeline, the ingestion index, the CLI's
// --threads).
//
// 0 means all cores (oneTBB's default concurrency); 1..kMaxThreads that many threads.
// Larger values are refused rather than passed to oneTBB, which warns and then aborts
// (or runs out of memory) on requests far beyond its worker limit.
//
// Example:
//   DEDUP_RETURN_IF_ERROR(dedup::ValidateThreads(options.threads));
#ifndef DEDUP_THREADS_H_
#define DEDUP_THREADS_H_

#include <cstdint>

#include "absl/status/status.h"

namespace dedup {

inline constexpr int kMaxThreads = 1024;

// "0..1024 (0 = all cores)", for messages and --help.
inline constexpr char kThreadsRange[] = "0..1024 (0 = all cores)";

// OK for 0..kMaxThreads; InvalidArgument naming the value and the range otherwise.
absl::Status ValidateThreads(int64_t threads);

}  // namespace dedup

#endif  // DEDUP_THREADS_H_
