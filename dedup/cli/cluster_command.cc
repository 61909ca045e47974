// dedup cluster: group near-duplicate documents of a corpus and report the clusters.
#include <memory>
#include <optional>

#include "dedup/cli/commands.h"
#include "dedup/pipeline.h"
#include "dedup/report.h"

namespace dedup::cli {
namespace {

struct ClusterFlags {
  std::vector<std::string> inputs;
  SketchFlags sketch;
  InputFlags input;
  double threshold = kDefaultThreshold;
  int bands = 0;
  int rows = 0;
  bool exact = false;
  std::string format = "text";
  std::string output;
  int threads = 0;
};

int RunCluster(const ClusterFlags& f) {
  PipelineOptions options;
  absl::StatusOr<SketchOptions> sketch = f.sketch.ToOptions();
  if (!sketch.ok()) return Fail(sketch.status(), kExitUsage);
  options.sketch = *sketch;
  options.corpus = f.input.ToOptions();
  options.cluster.threshold = f.threshold;
  options.cluster.exact = f.exact;
  if ((f.bands > 0) != (f.rows > 0)) {
    return Fail(absl::InvalidArgumentError("--bands and --rows must be given together"), kExitUsage);
  }
  if (f.bands > 0) {
    LshParams lsh{f.bands, f.rows};
    absl::Status st = ValidateLshParams(lsh, options.sketch.num_perm);
    if (!st.ok()) return Fail(st, kExitUsage);
    options.cluster.lsh = lsh;
  }
  absl::StatusOr<ReportFormat> format = ParseReportFormat(f.format);
  if (!format.ok()) return Fail(format.status(), kExitUsage);
  options.threads = f.threads;
  options.snippet_chars = (*format == ReportFormat::kText) ? 72 : 0;

  absl::StatusOr<PipelineResult> result = RunClusterPipeline(f.inputs, options);
  if (!result.ok()) return Fail(result.status());

  ReportInfo info;
  info.sketch_description = result->sketch_description;
  info.shingle_spec = ShingleSpec(options.sketch.shingle);
  info.num_perm = options.sketch.num_perm;
  info.threshold = f.threshold;
  info.exact = f.exact;
  info.skipped_lines = result->skipped_lines;
  absl::Status st = WriteOutput(f.output, [&](std::ostream& out) {
    WriteReport(result->clusters, info, *format, out);
  });
  if (!st.ok()) return Fail(st);
  return kExitOk;
}

}  // namespace

Command RegisterClusterCommand(CLI::App& app) {
  auto flags = std::make_shared<ClusterFlags>();
  CLI::App* cmd = app.add_subcommand(
      "cluster",
      "Group near-duplicate documents and report the clusters.\n"
      "INPUT is a .jsonl file ({\"id\":…,\"text\":…} per line), a folder (each file one document,\n"
      "id = path relative to the folder), a text file (one document), or - (JSONL on stdin).");
  cmd->add_option("INPUT", flags->inputs, "Inputs, read in order")->required();
  cmd->add_option("--threshold", flags->threshold, "Similarity needed to group two documents, in [0,1]")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  flags->sketch.Register(cmd);
  cmd->add_option("--bands", flags->bands, "LSH bands (with --rows; default: chosen from the threshold)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--rows", flags->rows, "LSH rows per band (with --bands)")->check(CLI::PositiveNumber);
  cmd->add_flag("--exact", flags->exact,
                "Exact Jaccard over all pairs instead of MinHash LSH (O(n^2): small inputs)");
  cmd->add_option("--format", flags->format, "Report format: text, json, jsonl, tsv or csv")
      ->capture_default_str();
  cmd->add_option("--output,-o", flags->output, "Write the report to FILE (atomically) instead of stdout");
  flags->input.Register(cmd);
  cmd->add_option("--threads", flags->threads, "Threads for sketching (default: all cores)")
      ->check(CLI::NonNegativeNumber);
  return Command{cmd, [flags] { return RunCluster(*flags); }};
}

}  // namespace dedup::cli
