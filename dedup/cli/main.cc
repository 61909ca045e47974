// dedup: find and group near-duplicate text documents. See README.md.
#include <iostream>
#include <vector>

#include "dedup/cli/commands.h"
#include "dedup/version.h"

int main(int argc, char** argv) {
  using namespace dedup::cli;
  CLI::App app{"dedup: find and group near-duplicate documents (news articles first of all)."};
  app.name("dedup");
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("dedup ") + dedup::kVersion);
  // Every subcommand's options in one text, from the same definitions as --help (a man page's body).
  app.set_help_all_flag("--help-all", "Print the help of every subcommand and exit");
  std::vector<Command> commands = {RegisterClusterCommand(app), RegisterCompareCommand(app), RegisterEvalCommand(app), RegisterExplainCommand(app),
                                   RegisterIndexCommand(app), RegisterServeCommand(app), RegisterVersionCommand(app),
                                   RegisterCompletionCommand(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string where;
    for (const Command& c : commands) {
      if (c.app->parsed()) where = " " + c.app->get_name();
    }
    // CLI11 reports a mistyped subcommand or option before any subcommand as "A
    // subcommand is required"; name what was given instead.
    std::string message = e.what();
    if (where.empty() && argc > 1) {
      message = (argv[1][0] == '-' ? "unknown option \"" : "unknown subcommand \"") + std::string(argv[1]) +
                "\"";
    }
    std::cerr << "dedup: error: " << message << "\n"
              << "Run 'dedup" << where << " --help' for usage.\n";
    return kExitUsage;
  }
  for (const Command& c : commands) {
    if (c.app->parsed()) return c.run();
  }
  return kExitUsage;
}
