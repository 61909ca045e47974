// dedup explain: why two documents were, or were not, grouped.
#include <algorithm>
#include <iostream>
#include <memory>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_format.h"
#include "dedup/boilerplate.h"
#include "dedup/explain.h"
#include "dedup/cli/commands.h"
#include "dedup/internal/input_spool.h"
#include "dedup/pipeline.h"
#include "dedup/report.h"
#include "dedup/verify.h"

namespace dedup::cli {
namespace {

struct ExplainFlags {
  std::string a, b;
  std::vector<std::string> corpus;
  ClusterFlags cluster;
  int max_passages = 5;
  std::string format = "text";
};

std::string Clip(std::string_view s, size_t max) {
  if (s.size() <= max) return std::string(s);
  size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return std::string(s.substr(0, cut)) + " …";
}

int RunExplain(ExplainFlags& f) {
  f.cluster.inputs = f.corpus;
  absl::StatusOr<PipelineOptions> options = f.cluster.ToOptions();
  if (!options.ok()) return Fail(options.status(), kExitUsage);
  if (f.format != "text" && f.format != "json") {
    return Fail(absl::InvalidArgumentError(absl::StrFormat("unknown format \"%s\" (expected text or json)", f.format)),
                kExitUsage);
  }
  // The corpus is read twice (the pair, then boilerplate): spool stdin, pipes and FIFOs.
  internal::InputSpool spool;
  absl::Status st = spool.Spool(f.corpus, &options->corpus);
  if (!st.ok()) return Fail(st);
  Document doc_a, doc_b;
  st = LoadPair(f.a, f.b, f.corpus, options->corpus, &doc_a, &doc_b);
  if (!st.ok()) return Fail(st);

  // Boilerplate is a corpus property: learned from --corpus, or from the two documents.
  BoilerplateModel model;
  if (options->boilerplate.enabled && !f.corpus.empty()) {
    absl::StatusOr<BoilerplateModel> learned = LearnBoilerplate(f.corpus, *options);
    if (!learned.ok()) return Fail(learned.status());
    model = *std::move(learned);
  }
  absl::StatusOr<PairExplainer> explainer = PairExplainer::Create(*options, std::move(model));
  if (!explainer.ok()) return Fail(explainer.status(), kExitUsage);
  absl::StatusOr<PairExplanation> x = explainer->Explain(doc_a, doc_b);
  if (!x.ok()) return Fail(x.status());
  const ExplainedSide& a = x->a;
  const ExplainedSide& b = x->b;
  const PairEstimate& exact = x->exact;
  const PairEstimate& estimate = x->estimate;
  const MatchKind by_estimate = x->by_estimate, by_exact = x->by_exact;
  const bool a_is_small = x->a_is_small;
  const std::vector<TokenRun>& passages = a.passages;
  const ShingleOptions& shingle = options->sketch.shingle;
  auto verdict = [&](MatchKind m, const PairEstimate& e) { return explainer->Verdict(m, e, *x); };

  if (f.format == "json") {
    auto side_json = [&](const ExplainedSide& s) {
      std::string removed = "[";
      for (size_t i = 0; i < s.removed.size(); ++i) {
        removed += (i ? ", " : "") + JsonQuote(s.tokens.span(s.removed[i].first, s.removed[i].second - s.removed[i].first));
      }
      removed += "]";
      return absl::StrFormat("{\"id\": %s, \"tokens\": %d, \"shingles\": %d, \"boilerplate_lines_removed\": %s}",
                             JsonQuote(s.doc.id), s.tokens.size(), s.set.size(), removed);
    };
    std::string ps = "[";
    for (int i = 0; i < std::min<int>(f.max_passages, static_cast<int>(passages.size())); ++i) {
      ps += (i ? ", " : "") + JsonQuote(a.kept.span(passages[i].first_token, passages[i].tokens));
    }
    ps += "]";
    std::cout << absl::StrFormat(
        "{\"a\": %s, \"b\": %s, \"exact\": {\"jaccard\": %.6g, \"a_in_b\": %.6g, \"b_in_a\": %.6g}, "
        "\"estimated\": {\"jaccard\": %.6g, \"a_in_b\": %.6g, \"b_in_a\": %.6g}, \"decision\": %s, "
        "\"decision_exact\": %s, \"shared_passages\": %d, \"longest_passages\": %s, \"sketch\": %s}\n",
        side_json(a), side_json(b), exact.jaccard, exact.a_in_b, exact.b_in_a, estimate.jaccard, estimate.a_in_b,
        estimate.b_in_a, JsonQuote(MatchKindName(by_estimate)), JsonQuote(MatchKindName(by_exact)), passages.size(), ps,
        JsonQuote(DescribeSketchOptions(options->sketch)));
    return kExitOk;
  }
  for (const ExplainedSide* s : {&a, &b}) {
    std::cout << absl::StrFormat("%s: %s — %d tokens, %d distinct %s shingles after boilerplate removal\n",
                                 s == &a ? "A" : "B", s->doc.id, s->tokens.size(), s->set.size(), ShingleSpec(shingle));
    for (const auto& [first, end] : s->removed) {
      std::cout << "   boilerplate removed: " << Clip(s->tokens.span(first, end - first), 100) << "\n";
    }
  }
  if (f.corpus.empty() && options->boilerplate.enabled) {
    std::cout << "   (boilerplate is learned from a corpus: give --corpus to see what it removes)\n";
  }
  std::cout << absl::StrFormat("\n                 exact    estimated (K=%d)\n", options->sketch.num_perm);
  std::cout << absl::StrFormat("Jaccard          %.4f   %.4f  (standard error %.4f)\n", exact.jaccard, estimate.jaccard,
                               MinHashStandardError(exact.jaccard, options->sketch.num_perm));
  std::cout << absl::StrFormat("A contained in B %.4f   %.4f\n", exact.a_in_b, estimate.a_in_b);
  std::cout << absl::StrFormat("B contained in A %.4f   %.4f\n", exact.b_in_a, estimate.b_in_a);
  if (estimate.opening >= 0) {
    std::cout << absl::StrFormat("opening (%s in %s) %.4f   %.4f\n", a_is_small ? "A" : "B", a_is_small ? "B" : "A",
                                 exact.opening, estimate.opening);
  }
  std::cout << "\ndecision (as dedup cluster decides, from the estimate): " << verdict(by_estimate, estimate) << "\n";
  if (by_exact != by_estimate) std::cout << "decision from the exact values would be: " << verdict(by_exact, exact) << "\n";
  std::cout << absl::StrFormat("\n%d shared passages", passages.size());
  if (!passages.empty()) std::cout << ", longest first";
  std::cout << ":\n";
  for (int i = 0; i < std::min<int>(f.max_passages, static_cast<int>(passages.size())); ++i) {
    std::cout << absl::StrFormat("  [%d words] %s\n", passages[i].tokens,
                                 Clip(a.kept.span(passages[i].first_token, passages[i].tokens), 160));
  }
  return kExitOk;
}

}  // namespace

Command RegisterExplainCommand(CLI::App& app) {
  auto flags = std::make_shared<ExplainFlags>();
  CLI::App* cmd = app.add_subcommand(
      "explain",
      "Why two documents were or were not grouped: exact and estimated Jaccard, containment both\n"
      "ways, the decision under the given options, the passages they share, and the boilerplate\n"
      "removed from each (learned from --corpus, as dedup cluster learns it).");
  cmd->add_option("A", flags->a, "First document (file, or id with --corpus)")->required();
  cmd->add_option("B", flags->b, "Second document (file, or id with --corpus)")->required();
  cmd->add_option("--corpus", flags->corpus, "Inputs to look A and B up in and to learn boilerplate from");
  flags->cluster.Register(cmd, /*with_inputs=*/false);
  cmd->add_option("--passages", flags->max_passages, "Shared passages to show")->capture_default_str();
  cmd->add_option("--format", flags->format, "text or json")->capture_default_str();
  return Command{cmd, [flags] { return RunExplain(*flags); }};
}

}  // namespace dedup::cli
