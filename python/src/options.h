// Keyword options, parsed as the CLI parses its flags.
//
// Every Python entry point that takes options registers the CLI's own option group
// (dedup/cli/common.h: SketchFlags, ClusterFlags, InputFlags; param_flags.h: ParamFlags)
// on a CLI::App and hands the keywords to CLI11 as the flags they name: keyword
// `min_containment_ratio=0.4` is `--min-containment-ratio 0.4`. So the names, the
// defaults (the option structs' initializers) and the checks (ranges, accepted values,
// cross-option rules in ToOptions()) are the CLI's, with no second copy.
//
// Values: an int or a float (finite) is written in decimal (a float by Python's repr,
// which round-trips exactly), a str as it is; True / False give a flag (--exact) or
// not, and "on" / "off" for an on/off option (boilerplate=False); None means the
// default. An unknown keyword is a TypeError, as for any Python function; a value the
// CLI would refuse is dedup.InvalidArgumentError (a ValueError) with CLI11's message.
//
// Example:
//   dedup::cli::ClusterFlags flags;
//   CLI::App app;
//   flags.Register(&app, /*with_inputs=*/false);
//   ParseKeywordOptions(&app, kwargs, "cluster");
//   absl::StatusOr<dedup::PipelineOptions> options = flags.ToOptions();
#ifndef DEDUP_PYTHON_OPTIONS_H_
#define DEDUP_PYTHON_OPTIONS_H_

#include <string>
#include <vector>

#include <pybind11/pybind11.h>

#include "CLI/CLI.hpp"

namespace dedup::python {

// The command-line arguments `kwargs` stand for on `app` (in command-line order).
// Throws pybind11::type_error / StatusError(InvalidArgument) as described above.
std::vector<std::string> KeywordArguments(CLI::App* app, const pybind11::kwargs& kwargs, const std::string& function);

// Parses `kwargs` into the option variables registered on `app`.
void ParseKeywordOptions(CLI::App* app, const pybind11::kwargs& kwargs, const std::string& function);

// The options registered on `app`, as (keyword, default, description, is_flag) tuples, in
// registration order (for docstrings and dedup.options()).
pybind11::list OptionTable(CLI::App* app);

// Python's str(type(obj).__name__), for messages.
std::string TypeName(pybind11::handle obj);

}  // namespace dedup::python

#endif  // DEDUP_PYTHON_OPTIONS_H_
