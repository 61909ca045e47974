// The dedup subcommands; each lives in its own file and registers itself on the
// top-level CLI11 app.
#ifndef DEDUP_CLI_COMMANDS_H_
#define DEDUP_CLI_COMMANDS_H_

#include "dedup/cli/common.h"

namespace dedup::cli {

Command RegisterClusterCommand(CLI::App& app);  // dedup cluster
Command RegisterCompareCommand(CLI::App& app);  // dedup compare
Command RegisterVersionCommand(CLI::App& app);  // dedup version
Command RegisterEvalCommand(CLI::App& app);     // dedup eval
Command RegisterExplainCommand(CLI::App& app);  // dedup explain
Command RegisterIndexCommand(CLI::App& app);    // dedup index create|add|query|...
Command RegisterServeCommand(CLI::App& app);    // dedup serve
Command RegisterCompletionCommand(CLI::App& app);  // dedup completion bash|zsh

// "dedup 0.1.0" plus library versions, one per line.
std::string VersionText();

}  // namespace dedup::cli

#endif  // DEDUP_CLI_COMMANDS_H_
