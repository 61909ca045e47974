// Pieces shared by the dedup subcommands: option groups, output, error reporting.
//
// Exit codes, for every subcommand: 0 success; 1 bad input or a failed operation
// (the message names the file, line and field); 2 a usage error (unknown option,
// out-of-range value).
#ifndef DEDUP_CLI_COMMON_H_
#define DEDUP_CLI_COMMON_H_

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dedup/corpus.h"
#include "dedup/pipeline.h"
#include "dedup/sketch.h"

namespace dedup::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// A registered subcommand: its CLI11 node and what to run when it was chosen.
struct Command {
  CLI::App* app;
  std::function<int()> run;
};

// --shingle, --num-perm, --seed.
struct SketchFlags {
  std::string shingle = ShingleSpec(ShingleOptions{});
  int num_perm = kDefaultNumPerm;
  uint64_t seed = 1;
  std::string minhash = MinHashEngineFlag(SketchOptions{}.engine);

  void Register(CLI::App* app);
  absl::StatusOr<SketchOptions> ToOptions() const;
};

// --id-field, --text-field, --skip-bad-lines.
struct InputFlags {
  std::string id_field = "id";
  std::string text_field = "text";
  std::string html = "auto";
  std::string input_format = "auto";
  bool skip_bad_lines = false;
  int64_t max_document_bytes = CorpusOptions{}.max_document_bytes;

  void Register(CLI::App* app, bool with_skip = true);
  CorpusOptions ToOptions() const;
};

// The clustering options shared by `cluster` and `eval`: inputs, sketch, input
// fields, --threshold, --bands/--rows, --exact, --threads.
struct ClusterFlags {
  std::vector<std::string> inputs;
  SketchFlags sketch;
  InputFlags input;
  double threshold = kDefaultThreshold;
  double containment = kDefaultContainmentThreshold;
  double min_containment_ratio = ClusterOptions{}.min_containment_ratio;
  uint32_t min_containment_shingles = ClusterOptions{}.min_containment_shingles;
  double containment_z = ClusterOptions{}.containment_z;
  std::string containment_estimate = "order";
  double opening_threshold = ClusterOptions{}.opening_threshold;
  double opening_min_ratio = ClusterOptions{}.opening_min_ratio;
  int opening_shingles = ClusterOptions{}.opening.shingles;
  double opening_containment = ClusterOptions{}.opening_containment;
  std::string canonical = "earliest";
  std::string boilerplate = "on";
  BoilerplateOptions boilerplate_options;
  int bands = 0;
  int rows = 0;
  bool exact = false;
  int signature_bits = 32;
  int threads = 0;

  // Without `with_inputs`, the caller fills `inputs` itself.
  void Register(CLI::App* app, bool with_inputs = true);
  // Usage errors (InvalidArgument) for inconsistent values.
  absl::StatusOr<PipelineOptions> ToOptions() const;
};

// CLI11 checks shared by the subcommands. A failed check is a usage error (exit 2);
// CLI11 prefixes the message with the option's name.
//
// A decimal integer in [lo, hi]; the message names the range (and `note`, if any).
CLI::Validator IntegerIn(int64_t lo, int64_t hi, const std::string& note = "");
// A decimal integer in 0 .. 2^64-1. (CLI11 alone clamps "-1" and "2^64" to 2^64-1.)
CLI::Validator Uint64Value();
// A non-empty value.
CLI::Validator NonEmpty();

// --threads: 0 (all cores) .. kMaxThreads (threads.h), for every command that has it.
CLI::Option* AddThreadsOption(CLI::App* app, int* threads);
// --bands and --rows: each 1 .. kMaxNumPerm (their product is checked against
// --num-perm later, with the other options).
void AddBandsRowsOptions(CLI::App* app, int* bands, int* rows, const std::string& bands_help);

// Loads two documents: with `corpus` empty, A and B are files holding one document
// each; otherwise they are ids looked up in the corpus inputs.
absl::Status LoadPair(const std::string& a, const std::string& b, const std::vector<std::string>& corpus,
                      CorpusOptions options, Document* doc_a, Document* doc_b);

// Prints "dedup: error: <message>" to stderr; returns the exit code for `status`
// (kExitUsage for InvalidArgument raised by option checks is the caller's choice).
int Fail(const absl::Status& status, int exit_code = kExitFailure);

// Runs `write` on stdout (path empty or "-") or on OutputFile::Open(path): a file
// replaced atomically, or a device or FIFO written in place (output_file.h).
absl::Status WriteOutput(const std::string& path, const std::function<void(std::ostream&)>& write);

}  // namespace dedup::cli

#endif  // DEDUP_CLI_COMMON_H_
