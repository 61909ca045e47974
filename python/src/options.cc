#include "options.h"

#include <algorithm>
#include <cmath>

#include "absl/status/status.h"
#include "status.h"

namespace py = pybind11;

namespace dedup::python {
namespace {

std::string Keyword(const std::string& flag) {
  std::string k = flag.substr(flag.find_first_not_of('-'));
  std::replace(k.begin(), k.end(), '-', '_');
  return k;
}

bool IsOnOff(const CLI::Option* opt) {
  // The on/off options (--boilerplate) are the string options whose default is on or off.
  const std::string& d = opt->get_default_str();
  return d == "on" || d == "off";
}

}  // namespace

std::string TypeName(py::handle obj) { return py::str(py::type::handle_of(obj).attr("__name__")); }

std::vector<std::string> KeywordArguments(CLI::App* app, const py::kwargs& kwargs, const std::string& function) {
  std::vector<std::string> args;
  for (auto item : kwargs) {
    const std::string key = py::str(item.first);
    std::string name = "--" + key;
    std::replace(name.begin(), name.end(), '_', '-');
    const CLI::Option* opt = key.find('-') == std::string::npos ? app->get_option_no_throw(name) : nullptr;
    if (opt == nullptr || name == "--help") {
      throw py::type_error(function + "() got an unexpected keyword argument '" + key + "'");
    }
    py::handle v = item.second;
    if (v.is_none()) continue;
    const bool flag = opt->get_expected_min() == 0;
    if (py::isinstance<py::bool_>(v)) {
      const bool on = v.cast<bool>();
      if (flag) {
        if (on) args.push_back(name);
      } else if (IsOnOff(opt)) {
        args.push_back(name);
        args.push_back(on ? "on" : "off");
      } else {
        throw py::type_error(function + "(): " + key + " takes a number or a string, not bool");
      }
      continue;
    }
    if (flag) throw py::type_error(function + "(): " + key + " must be True or False, not " + TypeName(v));
    if (py::isinstance<py::float_>(v)) {
      const double d = v.cast<double>();
      if (!std::isfinite(d)) {
        throw StatusError(absl::StatusCode::kInvalidArgument,
                          function + "(): " + key + " must be a finite number, not " + std::string(py::repr(v)));
      }
      args.push_back(name);
      args.push_back(py::repr(v));
    } else if (PyIndex_Check(v.ptr())) {  // int, numpy integers
      args.push_back(name);
      args.push_back(py::str(py::reinterpret_steal<py::object>(PyNumber_Index(v.ptr()))));
    } else if (py::isinstance<py::str>(v)) {
      args.push_back(name);
      args.push_back(v.cast<std::string>());
    } else {
      throw py::type_error(function + "(): " + key + " must be a number or a string, not " + TypeName(v));
    }
  }
  return args;
}

void ParseKeywordOptions(CLI::App* app, const py::kwargs& kwargs, const std::string& function) {
  std::vector<std::string> args = KeywordArguments(app, kwargs, function);
  std::reverse(args.begin(), args.end());  // CLI11's parse(vector) takes them last first.
  try {
    app->parse(args);
  } catch (const CLI::ParseError& e) {
    throw StatusError(absl::StatusCode::kInvalidArgument, function + "(): " + e.what());
  }
}

py::list OptionTable(CLI::App* app) {
  py::list out;
  for (const CLI::Option* opt : app->get_options()) {
    const std::string name = opt->get_name();
    if (name == "--help" || opt->get_positional()) continue;
    out.append(py::make_tuple(Keyword(name), opt->get_default_str(), opt->get_description(),
                              opt->get_expected_min() == 0));
  }
  return out;
}

}  // namespace dedup::python
