// dedup cluster: group near-duplicate documents of a corpus and report the clusters.
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

#include "absl/strings/str_format.h"
#include "dedup/cli/commands.h"
#include "dedup/explain.h"
#include "dedup/internal/input_spool.h"
#include "dedup/output_file.h"
#include "dedup/pipeline.h"
#include "dedup/progress.h"
#include "dedup/report.h"
#include "dedup/report_html.h"

namespace dedup::cli {
namespace {

struct ClusterCommandFlags {
  ClusterFlags cluster;
  std::string format = "text";
  std::string output;
  bool progress = false;
  bool quiet = false;
  bool verbose = false;
  bool stories = false;
};

int RunCluster(const ClusterCommandFlags& f) {
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<PipelineOptions> options = f.cluster.ToOptions();
  if (!options.ok()) return Fail(options.status(), kExitUsage);
  absl::StatusOr<ReportFormat> format = ParseReportFormat(f.format);
  if (!format.ok()) return Fail(format.status(), kExitUsage);
  const bool html = *format == ReportFormat::kHtml;
  options->snippet_chars = (*format == ReportFormat::kText || html) ? 72 : 0;
  options->keep_boilerplate_model = html;
  options->stories = f.stories;
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
  // Progress on stderr (progress.h): on a terminal unless --quiet; --progress forces it
  // (a line every 5 s when stderr is not a terminal).
  const bool tty = ::isatty(STDERR_FILENO) == 1;
  std::optional<ProgressPrinter> printer;
  if (!f.quiet && (tty || f.progress)) {
    printer.emplace(std::cerr, tty ? ProgressPrinter::Mode::kInteractive : ProgressPrinter::Mode::kLog);
    options->progress = &*printer;
  }
  struct ClearLine {  // The interactive line goes before anything else is printed.
    std::optional<ProgressPrinter>& p;
    ~ClearLine() {
      if (p) p->Finish();
    }
  } clear_line{printer};
  absl::StatusOr<PipelineResult> result = RunClusterPipeline(f.cluster.inputs, *options);
  if (printer) printer->Finish();
  if (!result.ok()) return Fail(result.status());
  auto summary = [&] {
    if (!f.verbose) return;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cerr << absl::StrFormat(
        "dedup: %d documents, %d clusters, %.1f s, %.1f MB/s of text, peak memory %d MB\n",
        result->clusters.stats.documents, result->clusters.stats.clusters, seconds,
        seconds > 0 ? result->text_bytes / 1e6 / seconds : 0.0, PeakMemoryBytes() >> 20);
  };

  ReportInfo info;
  info.sketch_description = result->sketch_description;
  info.shingle_spec = ShingleSpec(options->sketch.shingle);
  info.num_perm = options->sketch.num_perm;
  info.threshold = options->cluster.threshold;
  info.exact = options->cluster.exact;
  info.skipped_lines = result->skipped_lines;
  info.stories = f.stories;
  if (html) {
    // Rendered whole before the output is opened: an error leaves nothing half-written.
    HtmlReportTexts texts;
    absl::StatusOr<PairExplainer> explainer = PairExplainer::Create(*options, std::move(result->boilerplate_model));
    if (!explainer.ok()) return Fail(explainer.status());
    texts.explainer = &*explainer;
    if (printer) printer->StartPhase("reading the report's texts", -1);
    absl::StatusOr<absl::flat_hash_map<DocIndex, Document>> docs = ReadReportDocuments(
        f.cluster.inputs, options->corpus, result->clusters, HtmlReportTextDocuments(result->clusters, texts.options));
    if (!docs.ok()) return Fail(docs.status());
    texts.documents = *std::move(docs);
    std::ostringstream page;
    absl::Status written = WriteHtmlReport(result->clusters, info, &texts, page);
    if (printer) printer->Finish();
    if (!written.ok()) return Fail(written);
    absl::Status st = WriteOutput(f.output, [&](std::ostream& out) { out << page.view(); });
    if (!st.ok()) return Fail(st);
    summary();
    return kExitOk;
  }
  absl::Status st = WriteOutput(f.output, [&](std::ostream& out) {
    WriteReport(result->clusters, info, *format, out);
  });
  if (!st.ok()) return Fail(st);
  summary();
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
  cmd->add_flag("--stories", flags->stories,
                "Also group the clusters into stories (articles about one event; story.h): a story\n"
                "column at the end of tsv/csv/jsonl, stories nested above clusters in text/json");
  cmd->add_option("--output,-o", flags->output, "Write the report to FILE (atomically) instead of stdout");
  cmd->add_flag("--progress", flags->progress,
                "Show progress on stderr even when it is not a terminal (a line every 5 s, for logs); by default "
                "it is shown on a terminal for runs longer than a second");
  cmd->add_flag("--quiet,-q", flags->quiet, "No progress on stderr");
  cmd->add_flag("--verbose,-v", flags->verbose,
                "End with a one-line summary on stderr: documents, clusters, seconds, MB/s, peak memory");
  return Command{cmd, [flags] { return RunCluster(*flags); }};
}

}  // namespace dedup::cli
