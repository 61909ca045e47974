// dedup cluster: group near-duplicate documents of a corpus and report the clusters.
#include <memory>

#include "dedup/cli/commands.h"
#include "dedup/output_file.h"
#include "dedup/pipeline.h"
#include "dedup/report.h"

namespace dedup::cli {
namespace {

struct ClusterCommandFlags {
  ClusterFlags cluster;
  std::string format = "text";
  std::string output;
  bool stories = false;
};

int RunCluster(const ClusterCommandFlags& f) {
  absl::StatusOr<PipelineOptions> options = f.cluster.ToOptions();
  if (!options.ok()) return Fail(options.status(), kExitUsage);
  absl::StatusOr<ReportFormat> format = ParseReportFormat(f.format);
  if (!format.ok()) return Fail(format.status(), kExitUsage);
  options->snippet_chars = (*format == ReportFormat::kText) ? 72 : 0;
  options->stories = f.stories;
  // Before any input is read: -o must not name an input (or a folder, ...).
  absl::Status output_ok = CheckOutputPath(f.output, f.cluster.inputs, {});
  if (!output_ok.ok()) return Fail(output_ok, kExitUsage);

  absl::StatusOr<PipelineResult> result = RunClusterPipeline(f.cluster.inputs, *options);
  if (!result.ok()) return Fail(result.status());

  ReportInfo info;
  info.sketch_description = result->sketch_description;
  info.shingle_spec = ShingleSpec(options->sketch.shingle);
  info.num_perm = options->sketch.num_perm;
  info.threshold = options->cluster.threshold;
  info.exact = options->cluster.exact;
  info.skipped_lines = result->skipped_lines;
  info.stories = f.stories;
  absl::Status st = WriteOutput(f.output, [&](std::ostream& out) {
    WriteReport(result->clusters, info, *format, out);
  });
  if (!st.ok()) return Fail(st);
  return kExitOk;
}

}  // namespace

Command RegisterClusterCommand(CLI::App& app) {
  auto flags = std::make_shared<ClusterCommandFlags>();
  CLI::App* cmd = app.add_subcommand(
      "cluster",
      "Group near-duplicate documents and report the clusters.\n"
      "INPUT is a .jsonl file ({\"id\":…,\"text\":…} per line), a folder (each file one document,\n"
      "id = path relative to the folder), a text file (one document), or - (JSONL on stdin).");
  flags->cluster.Register(cmd);
  cmd->add_option("--format", flags->format, "Report format: text, json, jsonl, tsv or csv")
      ->capture_default_str();
  cmd->add_flag("--stories", flags->stories,
                "Also group the clusters into stories (articles about one event; story.h): a story\n"
                "column at the end of tsv/csv/jsonl, stories nested above clusters in text/json");
  cmd->add_option("--output,-o", flags->output, "Write the report to FILE (atomically) instead of stdout");
  return Command{cmd, [flags] { return RunCluster(*flags); }};
}

}  // namespace dedup::cli
