// PYBIND11_MODULE(_dedup): the extension behind `import dedup` (python/dedup/__init__.py).
#include <pybind11/pybind11.h>

#include "dedup/version.h"
#include "module.h"
#include "status.h"

namespace py = pybind11;

PYBIND11_MODULE(_dedup, m) {
  m.doc() = "dedup's C++ library, bound with pybind11; use the `dedup` package, not this module.";
  m.attr("__version__") = dedup::kVersion;
  dedup::python::RegisterStatusTranslator(m);
  dedup::python::RegisterSketcher(m);
  dedup::python::RegisterCluster(m);
  dedup::python::RegisterIndex(m);
}
