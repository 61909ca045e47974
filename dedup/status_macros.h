// Small helpers for absl::Status that Debian 12's Abseil (20220623) lacks.
//
// Abseil added ABSL_RETURN_IF_ERROR / ABSL_ASSIGN_OR_RETURN only after the
// version Debian 12 ships; these local equivalents keep the same shape so they
// can be swapped for the upstream macros later.
//
// Example:
//   DEDUP_RETURN_IF_ERROR(ValidateOptions(options));
//   DEDUP_ASSIGN_OR_RETURN(auto index, LshIndex::Create(options));
#ifndef DEDUP_STATUS_MACROS_H_
#define DEDUP_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define DEDUP_RETURN_IF_ERROR(expr)                  \
  do {                                               \
    ::absl::Status dedup_status_ = (expr);           \
    if (!dedup_status_.ok()) return dedup_status_;   \
  } while (0)

#define DEDUP_STATUS_CONCAT_INNER_(a, b) a##b
#define DEDUP_STATUS_CONCAT_(a, b) DEDUP_STATUS_CONCAT_INNER_(a, b)

#define DEDUP_ASSIGN_OR_RETURN(lhs, rexpr) \
  DEDUP_ASSIGN_OR_RETURN_IMPL_(DEDUP_STATUS_CONCAT_(dedup_statusor_, __LINE__), lhs, rexpr)

#define DEDUP_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                 \
  if (!statusor.ok()) return statusor.status();            \
  lhs = std::move(statusor).value()

// Internal invariant: aborts with file, line and the failed condition. For
// programming errors only; user errors are returned as absl::Status.
#define DEDUP_CHECK(cond)                                                  \
  do {                                                                     \
    if (!(cond)) ::dedup::internal::CheckFailed(__FILE__, __LINE__, #cond); \
  } while (0)

namespace dedup::internal {
[[noreturn]] void CheckFailed(const char* file, int line, const char* condition);
}  // namespace dedup::internal

#endif  // DEDUP_STATUS_MACROS_H_
