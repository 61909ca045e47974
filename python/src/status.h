// Errors across the Python boundary: an absl::Status becomes a Python exception of the
// class that dedup._errors maps its code to (a subclass of dedup.Error, and of the
// built-in exception with the same meaning: InvalidArgument -> ValueError, NotFound ->
// FileNotFoundError, ...), carrying the status message unchanged.
//
// C++ code throws StatusError (never a Python object) so that it can run without the GIL;
// the translator registered by RegisterStatusTranslator() raises the Python exception.
//
// Example:
//   absl::StatusOr<dedup::Sketcher> s = dedup::Sketcher::Create(options);
//   dedup::python::ThrowIfError(s.status());
#ifndef DEDUP_PYTHON_STATUS_H_
#define DEDUP_PYTHON_STATUS_H_

#include <stdexcept>
#include <string>

#include <pybind11/pybind11.h>

#include "absl/status/status.h"

namespace dedup::python {

class StatusError : public std::runtime_error {
 public:
  explicit StatusError(const absl::Status& status)
      : std::runtime_error(std::string(status.message())), code_(status.code()) {}
  StatusError(absl::StatusCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  absl::StatusCode code() const { return code_; }

 private:
  absl::StatusCode code_;
};

// Throws StatusError unless `status` is OK.
inline void ThrowIfError(const absl::Status& status) {
  if (!status.ok()) throw StatusError(status);
}

// Installs the StatusError -> dedup.<Class>Error translation (needs dedup._errors importable).
void RegisterStatusTranslator(pybind11::module_& m);

}  // namespace dedup::python

#endif  // DEDUP_PYTHON_STATUS_H_
