// dedup cluster: group near-duplicate documents of a corpus and report the clusters.
#include <memory>
#include <sstream>

#include "dedup/cli/commands.h"
#include "dedup/explain.h"
#include "dedup/internal/input_spool.h"
#include "dedup/output_file.h"
#include "dedup/pipeline.h"
#include "dedup/report.h"
#include "dedup/report_html.h"

namespace dedup::cli {
namespace {

struct ClusterCommandFlags {
  ClusterFlags cluster;
  std::string format = "text";
  std::string output;
};

int RunCluster(const ClusterCommandFlags& f) {
  absl::StatusOr<PipelineOptions> options = f.cluster.ToOptions();
  if (!options.ok()) return Fail(options.status(), kExitUsage);
  absl::StatusOr<ReportFormat> format = ParseReportFormat(f.format);
  if (!format.ok()) return Fail(format.status(), kExitUsage);
  const bool html = *format == ReportFormat::kHtml;
  options->snippet_chars = (*format == ReportFormat::kText || html) ? 72 : 0;
  options->keep_boilerplate_model = html;
  // Before any input is read: -o must not name an input (or a folder, ...).
  absl::Status output_ok = CheckOutputPath(f.output, f.cluster.inputs, {});
  if (!output_ok.ok()) return Fail(output_ok, kExitUsage);

  // The HTML report reads the inputs again for the texts it shows: spool stdin, pipes
  // and FIFOs once for every pass.
  internal::InputSpool spool;
  if (html) {
    absl::Status spooled = spool.Spool(f.cluster.inputs, &options->corpus);
    if (!spooled.ok()) return Fail(spooled);
  }
  absl::StatusOr<PipelineResult> result = RunClusterPipeline(f.cluster.inputs, *options);
  if (!result.ok()) return Fail(result.status());

  ReportInfo info;
  info.sketch_description = result->sketch_description;
  info.shingle_spec = ShingleSpec(options->sketch.shingle);
  info.num_perm = options->sketch.num_perm;
  info.threshold = options->cluster.threshold;
  info.exact = options->cluster.exact;
  info.skipped_lines = result->skipped_lines;
  if (html) {
    // Rendered whole before the output is opened: an error leaves nothing half-written.
    HtmlReportTexts texts;
    absl::StatusOr<PairExplainer> explainer = PairExplainer::Create(*options, std::move(result->boilerplate_model));
    if (!explainer.ok()) return Fail(explainer.status());
    texts.explainer = &*explainer;
    absl::StatusOr<absl::flat_hash_map<DocIndex, Document>> docs = ReadReportDocuments(
        f.cluster.inputs, options->corpus, result->clusters, HtmlReportTextDocuments(result->clusters, texts.options));
    if (!docs.ok()) return Fail(docs.status());
    texts.documents = *std::move(docs);
    std::ostringstream page;
    absl::Status written = WriteHtmlReport(result->clusters, info, &texts, page);
    if (!written.ok()) return Fail(written);
    absl::Status st = WriteOutput(f.output, [&](std::ostream& out) { out << page.view(); });
    if (!st.ok()) return Fail(st);
    return kExitOk;
  }
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
  cmd->add_option("--format", flags->format, "Report format: text, json, jsonl, tsv, csv or html")
      ->capture_default_str();
  cmd->add_option("--output,-o", flags->output, "Write the report to FILE (atomically) instead of stdout");
  return Command{cmd, [flags] { return RunCluster(*flags); }};
}

}  // namespace dedup::cli
