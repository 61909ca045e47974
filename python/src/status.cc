#include "status.h"

namespace py = pybind11;

namespace dedup::python {

void RegisterStatusTranslator(py::module_& m) {
  m.def("_raise_status", [](int code, const std::string& message) {
    throw StatusError(static_cast<absl::StatusCode>(code), message);
  }, "Raises the exception a C++ status with this code and message becomes (for tests).");
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const StatusError& e) {
      // dedup._errors.from_status(code, message) builds the exception instance.
      py::object from_status = py::module_::import("dedup._errors").attr("from_status");
      py::object exc = from_status(static_cast<int>(e.code()), e.what());
      PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exc.ptr())), exc.ptr());
    }
  });
}

}  // namespace dedup::python
