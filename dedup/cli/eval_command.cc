// dedup eval: cluster a labelled corpus and score the result against its ground truth, or
// score a clustering made elsewhere (--clusters: `dedup index export --format tsv`, ...).
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

#include "absl/strings/str_format.h"
#include "dedup/cli/commands.h"
#include "dedup/output_file.h"
#include "dedup/internal/input_spool.h"
#include "dedup/eval.h"
#include "dedup/pipeline.h"
#include "dedup/story_eval.h"

namespace dedup::cli {
namespace {

struct EvalFlags {
  ClusterFlags cluster;
  std::string truth;
  std::string oracle = "auto";
  int64_t oracle_max_docs = 20000;
  std::string format = "text";
  std::string output;
  std::string clusters;  // Score this clustering (TSV: id, cluster) instead of clustering.
  bool stories = false;  // Also group stories and score them against the truth's story column.
};

// --clusters: the clustering is read, not computed; the clustering flags are not used.
int RunEvalOfClusters(const EvalFlags& f, const GroundTruth& truth) {
  absl::StatusOr<ClusterResult> clusters = ReadClusterAssignment(f.clusters);
  if (!clusters.ok()) return Fail(clusters.status());
  absl::StatusOr<Evaluation> eval = Evaluate(*clusters, truth);
  if (!eval.ok()) return Fail(eval.status());
  if (static_cast<size_t>(eval->documents) < truth.size()) {
    std::cerr << absl::StrFormat(
        "dedup eval: warning: %s has %d of the truth file's %d documents; pairs with the others "
        "are not counted\n",
        f.clusters, eval->documents, truth.size());
  }
  absl::Status st = WriteOutput(f.output, [&](std::ostream& out) {
    if (f.format == "text") out << "dedup eval: clusters from " << f.clusters << "\n";
    WriteEvaluation(*eval, f.format == "json", out);
  });
  if (!st.ok()) return Fail(st);
  return kExitOk;
}

int RunEval(const EvalFlags& f) {
  absl::StatusOr<PipelineOptions> options = f.cluster.ToOptions();
  if (!options.ok()) return Fail(options.status(), kExitUsage);
  if (f.format != "text" && f.format != "json") {
    return Fail(absl::InvalidArgumentError(absl::StrFormat("unknown format \"%s\" (expected text or json)", f.format)),
                kExitUsage);
  }
  if (f.oracle != "auto" && f.oracle != "on" && f.oracle != "off") {
    return Fail(absl::InvalidArgumentError("--oracle must be auto, on or off"), kExitUsage);
  }
  if (f.clusters.empty() && f.cluster.inputs.empty()) {
    return Fail(absl::InvalidArgumentError("INPUT is required (unless --clusters is given)"), kExitUsage);
  }
  // Before any input is read: -o must not name an input, the truth and clusters files included.
  std::vector<std::string> read = f.cluster.inputs;
  read.push_back(f.truth);
  if (!f.clusters.empty()) read.push_back(f.clusters);
  absl::Status output_ok = CheckOutputPath(f.output, read, {});
  if (!output_ok.ok()) return Fail(output_ok, kExitUsage);
  absl::StatusOr<GroundTruth> truth = GroundTruth::Read(f.truth);
  if (!truth.ok()) return Fail(truth.status());
  if (f.stories && !f.clusters.empty()) {
    return Fail(absl::InvalidArgumentError("--stories scores stories it groups itself: not with --clusters"), kExitUsage);
  }
  if (f.stories && !truth->has_stories()) {
    return Fail(absl::InvalidArgumentError(absl::StrFormat("%s: --stories needs a \"story\" column", f.truth)),
                kExitUsage);
  }
  if (!f.clusters.empty()) return RunEvalOfClusters(f, *truth);
  options->stories = f.stories;

  options->cluster.record_pairs = true;
  // The oracle run reads the inputs again: spool stdin, pipes and FIFOs once.
  internal::InputSpool spool;
  absl::Status spooled = spool.Spool(f.cluster.inputs, &options->corpus);
  if (!spooled.ok()) return Fail(spooled);
  absl::StatusOr<PipelineResult> result = RunClusterPipeline(f.cluster.inputs, *options);
  if (!result.ok()) return Fail(result.status());
  absl::StatusOr<Evaluation> eval = Evaluate(result->clusters, *truth);
  if (!eval.ok()) return Fail(eval.status());
  std::optional<StoryEvaluation> stories;
  if (f.stories) {
    absl::StatusOr<StoryEvaluation> s = EvaluateStories(result->clusters, *truth);
    if (!s.ok()) return Fail(s.status());
    stories = *std::move(s);
  }

  const bool run_oracle = !options->cluster.exact &&
                          (f.oracle == "on" || (f.oracle == "auto" && eval->documents <= f.oracle_max_docs));
  if (run_oracle) {
    PipelineOptions exact = *options;
    exact.cluster.exact = true;
    exact.stories = false;
    absl::StatusOr<PipelineResult> oracle = RunClusterPipeline(f.cluster.inputs, exact);
    if (!oracle.ok()) return Fail(oracle.status());
    eval->oracle = CompareWithOracle(result->clusters.verified_pairs, oracle->clusters.verified_pairs);
  }
  absl::Status st = WriteOutput(f.output, [&](std::ostream& out) {
    if (f.format == "text") {
      out << absl::StrFormat("dedup eval: %s, threshold %g, %s\n", result->sketch_description,
                             options->cluster.threshold,
                             options->cluster.exact ? std::string("exact")
                                                    : absl::StrFormat("LSH %d x %d", result->clusters.lsh.bands,
                                                                      result->clusters.lsh.rows));
    }
    if (!stories) {
      WriteEvaluation(*eval, f.format == "json", out);
    } else if (f.format == "json") {
      // {"clusters": <the evaluation>, "stories": <the story evaluation>}
      std::ostringstream clusters, story;
      WriteEvaluation(*eval, /*json=*/true, clusters);
      WriteStoryEvaluation(*stories, /*json=*/true, story);
      std::string c = clusters.str(), s = story.str();
      while (!c.empty() && c.back() == '\n') c.pop_back();
      while (!s.empty() && s.back() == '\n') s.pop_back();
      out << "{\"clusters\": " << c << ",\n\"stories\": " << s << "}\n";
    } else {
      WriteEvaluation(*eval, /*json=*/false, out);
      WriteStoryEvaluation(*stories, /*json=*/false, out);
    }
  });
  if (!st.ok()) return Fail(st);
  return kExitOk;
}

}  // namespace

Command RegisterEvalCommand(CLI::App& app) {
  auto flags = std::make_shared<EvalFlags>();
  CLI::App* cmd = app.add_subcommand(
      "eval",
      "Cluster a labelled corpus (same options as cluster) and score it against a truth file:\n"
      "pairwise precision/recall/F1, adjusted Rand index, recall by kind of variant, merged\n"
      "originals, and LSH recall/precision against the exact-Jaccard oracle on small corpora.\n"
      "With --clusters FILE, score that clustering instead (a TSV with columns id and cluster:\n"
      "`dedup cluster --format tsv`, `dedup index export --format tsv`); INPUT is then optional\n"
      "and not read, and the clustering options do not apply.");
  cmd->add_option("INPUT", flags->cluster.inputs,
                  "Inputs, read in order: .jsonl files, folders, text files, - for stdin (required unless "
                  "--clusters)");
  flags->cluster.Register(cmd, /*with_inputs=*/false);
  cmd->add_option("--truth", flags->truth, "TSV with columns id, source_id (optional: kind, topic)")->required();
  cmd->add_option("--oracle", flags->oracle, "Compare with exact Jaccard: auto (if documents <= --oracle-max-docs), on, off")
      ->capture_default_str();
  cmd->add_option("--oracle-max-docs", flags->oracle_max_docs, "Largest corpus the oracle runs on with --oracle auto")
      ->capture_default_str();
  cmd->add_option("--format", flags->format, "text or json")->capture_default_str();
  cmd->add_option("--clusters", flags->clusters,
                  "Score this clustering (TSV with columns id and cluster) instead of clustering INPUT");
  cmd->add_flag("--stories", flags->stories,
                "Also group the clusters into stories (as cluster --stories) and score them against the\n"
                "truth file's story column (and story_kind): pairwise P/R/F1, B-cubed, same-kind merges;\n"
                "json output is then {\"clusters\": ..., \"stories\": ...}");
  cmd->add_option("--output,-o", flags->output, "Write to FILE (atomically) instead of stdout");
  return Command{cmd, [flags] { return RunEval(*flags); }};
}

}  // namespace dedup::cli
