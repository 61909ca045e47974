// dedup version: the program's version and the libraries it was built with.
#include <iostream>

#include "absl/strings/str_format.h"
#include "dedup/cli/commands.h"
#include "dedup/sketch.h"
#include "dedup/version.h"
#include "oneapi/tbb/version.h"
#include "simdjson.h"
#include "utf8proc.h"
#include <xxhash.h>

namespace dedup::cli {

std::string VersionText() {
  return absl::StrFormat(
      "dedup %s\n"
      "default sketch: %s\n"
      "libraries: xxHash %d, utf8proc %s, simdjson %s, oneTBB %s, Abseil %d\n",
      kVersion, DescribeSketchOptions(SketchOptions{}), XXH_versionNumber(), utf8proc_version(),
      absl::StrFormat("%d.%d.%d", static_cast<int>(simdjson::SIMDJSON_VERSION_MAJOR), static_cast<int>(simdjson::SIMDJSON_VERSION_MINOR), static_cast<int>(simdjson::SIMDJSON_VERSION_REVISION)), TBB_runtime_version(), ABSL_LTS_RELEASE_VERSION);
}

Command RegisterVersionCommand(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("version", "Print the version and the libraries dedup was built with.");
  return Command{cmd, [] {
                   std::cout << VersionText();
                   return kExitOk;
                 }};
}

}  // namespace dedup::cli
