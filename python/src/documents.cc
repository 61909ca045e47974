#include "documents.h"

#include "absl/strings/str_format.h"
#include "dedup/report.h"
#include "options.h"
#include "status.h"

namespace py = pybind11;

namespace dedup::python {
namespace {

// `value` as a JSON value: a str quoted by JsonQuote, anything else by dumps().
void AppendValue(PyObject* value, size_t i, const py::object& dumps, std::string* line) {
  if (PyUnicode_Check(value)) {
    Py_ssize_t size = 0;
    const char* data = PyUnicode_AsUTF8AndSize(value, &size);
    if (data == nullptr) {
      PyErr_Clear();
      throw StatusError(absl::StatusCode::kInvalidArgument,
                        absl::StrFormat("documents:%d: a string is not valid Unicode (a lone surrogate)", i + 1));
    }
    *line += JsonQuote(std::string_view(data, static_cast<size_t>(size)));
    return;
  }
  try {
    *line += py::str(dumps(py::handle(value))).cast<std::string>();
  } catch (py::error_already_set& e) {
    if (!e.matches(PyExc_TypeError) && !e.matches(PyExc_ValueError)) throw;
    throw py::type_error(absl::StrFormat("documents[%d]: %s", i, e.value().attr("__str__")().cast<std::string>()));
  }
}

}  // namespace

void ForEachDocumentLine(const py::iterable& documents, const std::string& id_field, const std::string& text_field,
                         const py::object& dumps, const std::function<void(const std::string&)>& emit) {
  std::string line;
  size_t i = 0;
  const std::string id_key = JsonQuote(id_field) + ": ";
  const std::string text_key = JsonQuote(text_field) + ": ";
  for (py::handle doc : documents) {
    line.clear();
    PyObject* d = doc.ptr();
    if (PyDict_Check(d)) {
      line += '{';
      PyObject *key = nullptr, *value = nullptr;
      Py_ssize_t pos = 0;
      bool first = true;
      while (PyDict_Next(d, &pos, &key, &value)) {
        if (!PyUnicode_Check(key)) {
          throw py::type_error(absl::StrFormat("documents[%d]: keys must be str, not %s", i, TypeName(key)));
        }
        if (!first) line += ", ";
        first = false;
        AppendValue(key, i, dumps, &line);
        line += ": ";
        AppendValue(value, i, dumps, &line);
      }
      line += '}';
    } else if ((PyTuple_Check(d) || PyList_Check(d)) && PySequence_Size(d) == 2) {
      py::sequence pair = py::reinterpret_borrow<py::sequence>(doc);
      line += '{';
      line += id_key;
      AppendValue(pair[0].ptr(), i, dumps, &line);
      line += ", ";
      line += text_key;
      AppendValue(pair[1].ptr(), i, dumps, &line);
      line += '}';
    } else if (PyTuple_Check(d) || PyList_Check(d)) {
      throw py::type_error(absl::StrFormat("documents[%d]: expected a dict or an (id, text) pair, not a %s of %d items",
                                           i, TypeName(doc), PySequence_Size(d)));
    } else {
      throw py::type_error(
          absl::StrFormat("documents[%d]: expected a dict or an (id, text) pair, not %s", i, TypeName(doc)));
    }
    emit(line);
    ++i;
  }
}

}  // namespace dedup::python
