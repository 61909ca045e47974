#include "dedup/cli/common.h"

#include <iostream>

#include "dedup/atomic_file.h"
#include "dedup/status_macros.h"

namespace dedup::cli {

void SketchFlags::Register(CLI::App* app) {
  app->add_option("--shingle", shingle, "Shingle kind and size: word:K (K words) or char:K (K characters)")
      ->capture_default_str();
  app->add_option("--num-perm", num_perm, "MinHash signature size K")
      ->check(CLI::Range(1, kMaxNumPerm))
      ->capture_default_str();
  app->add_option("--seed", seed, "Seed for shingle hashing and the MinHash functions")->capture_default_str();
}

absl::StatusOr<SketchOptions> SketchFlags::ToOptions() const {
  SketchOptions options;
  DEDUP_ASSIGN_OR_RETURN(options.shingle, ParseShingleSpec(shingle));
  options.num_perm = num_perm;
  options.seed = seed;
  return options;
}

void InputFlags::Register(CLI::App* app, bool with_skip) {
  app->add_option("--id-field", id_field, "JSONL field holding the document id")->capture_default_str();
  app->add_option("--text-field", text_field, "JSONL field holding the document text")->capture_default_str();
  if (with_skip) {
    app->add_flag("--skip-bad-lines", skip_bad_lines,
                  "Skip malformed JSONL lines with a warning instead of failing");
  }
}

CorpusOptions InputFlags::ToOptions() const {
  CorpusOptions options;
  options.id_field = id_field;
  options.text_field = text_field;
  options.skip_bad_lines = skip_bad_lines;
  return options;
}

int Fail(const absl::Status& status, int exit_code) {
  std::cerr << "dedup: error: " << status.message() << "\n";
  return exit_code;
}

absl::Status WriteOutput(const std::string& path, const std::function<void(std::ostream&)>& write) {
  if (path.empty() || path == "-") {
    write(std::cout);
    std::cout.flush();
    if (!std::cout) return absl::UnavailableError("writing to standard output failed");
    return absl::OkStatus();
  }
  DEDUP_ASSIGN_OR_RETURN(std::unique_ptr<AtomicFileWriter> writer, AtomicFileWriter::Open(path));
  write(writer->stream());
  return writer->Commit();
}

}  // namespace dedup::cli
