// dedup explain: why two documents were, or were not, grouped.
#include <algorithm>
#include <iostream>
#include <memory>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_format.h"
#include "dedup/boilerplate.h"
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

struct Side {
  Document doc;
  TokenizedText tokens, kept;
  std::vector<std::pair<size_t, size_t>> removed;  // Boilerplate token ranges in `tokens`.
  std::vector<uint64_t> ordered;                    // Shingle hashes in text order.
  std::vector<uint64_t> set;                        // Sorted, unique.
  SketchedDocument sketch;
};

struct Passage {
  size_t first_token = 0, tokens = 0;  // In A's kept tokens.
};

// Maximal runs of A's word shingles that B also has, longest first.
std::vector<Passage> SharedPassages(const Side& a, const Side& b, int k) {
  std::vector<Passage> out;
  const size_t n = a.ordered.size();
  if (a.kept.size() < static_cast<size_t>(k)) return out;  // One whole-text shingle: no passages.
  for (size_t i = 0; i < n;) {
    if (!std::binary_search(b.set.begin(), b.set.end(), a.ordered[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j + 1 < n && std::binary_search(b.set.begin(), b.set.end(), a.ordered[j + 1])) ++j;
    out.push_back({i, j - i + static_cast<size_t>(k)});
    i = j + 1;
  }
  std::stable_sort(out.begin(), out.end(), [](const Passage& x, const Passage& y) { return x.tokens > y.tokens; });
  return out;
}

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
  // As the batch pipeline sketches: with openings when the opening rule is on.
  SketchOptions sketch_options = options->sketch;
  if (!options->cluster.exact && options->cluster.opening_threshold > 0) sketch_options.opening = options->cluster.opening;
  absl::StatusOr<Sketcher> sketcher = Sketcher::Create(sketch_options);
  if (!sketcher.ok()) return Fail(sketcher.status(), kExitUsage);
  // The corpus is read twice (the pair, then boilerplate): spool stdin, pipes and FIFOs.
  internal::InputSpool spool;
  absl::Status st = spool.Spool(f.corpus, &options->corpus);
  if (!st.ok()) return Fail(st);
  Side a, b;
  st = LoadPair(f.a, f.b, f.corpus, options->corpus, &a.doc, &b.doc);
  if (!st.ok()) return Fail(st);

  // Boilerplate is a corpus property: learned from --corpus, or from the two documents.
  BoilerplateModel model;
  if (options->boilerplate.enabled && !f.corpus.empty()) {
    absl::StatusOr<BoilerplateModel> learned = LearnBoilerplate(f.corpus, *options);
    if (!learned.ok()) return Fail(learned.status());
    model = *std::move(learned);
  }
  const ShingleOptions& shingle = options->sketch.shingle;
  for (Side* s : {&a, &b}) {
    st = Tokenize(s->doc.text, &s->tokens);
    if (!st.ok()) return Fail(absl::InvalidArgumentError(s->doc.id + ": " + std::string(st.message())));
    if (StripBoilerplate(s->tokens, model, SourceKey(s->doc.source), &s->kept, &s->removed) == 0) s->kept = s->tokens;
    HashShingles(s->kept, shingle, options->sketch.seed, &s->ordered);
    s->set = s->ordered;
    SortUnique(&s->set);
    SketchScratch scratch;
    st = sketcher->Sketch(s->doc.text, /*keep_shingles=*/true, &scratch, &s->sketch, &model, SourceKey(s->doc.source));
    if (!st.ok()) return Fail(st);
  }
  PairEstimate exact = ExactPair(a.set, b.set);
  // As the batch pipeline estimates: containment from the slots' order where it can.
  const bool ordered = options->ordered_containment && options->sketch.engine != MinHashEngine::kOph;
  PairEstimate estimate =
      ordered ? EstimateOrderedPair(a.sketch.signature.values().data(), a.sketch.num_shingles,
                                    b.sketch.signature.values().data(), b.sketch.num_shingles, options->sketch.num_perm)
              : EstimatePair(a.sketch.signature.values().data(), a.sketch.num_shingles,
                             b.sketch.signature.values().data(), b.sketch.num_shingles, options->sketch.num_perm);
  // Opening containment (opening.h): of the smaller document's opening in the larger's.
  const bool a_is_small = a.set.size() <= b.set.size();
  const Side& small_side = a_is_small ? a : b;
  const Side& large_side = a_is_small ? b : a;
  if (!a.sketch.opening.empty() && !b.sketch.opening.empty() && !a.set.empty() && !b.set.empty()) {
    estimate.opening = OpeningContainment(small_side.sketch.opening.data(), large_side.sketch.opening.data(),
                                          static_cast<int>(a.sketch.opening.size()));
    std::vector<uint64_t> bits, open_small, open_large;
    OpeningShingles(small_side.ordered, options->cluster.opening.shingles, &open_small, &bits);
    OpeningShingles(large_side.ordered, options->cluster.opening.shingles, &open_large, &bits);
    SortUnique(&open_small);
    SortUnique(&open_large);
    exact.opening = static_cast<double>(IntersectionSize(open_small, open_large)) / open_small.size();
  }
  const MatchOptions match = MatchOptionsOf(options->cluster);
  const uint32_t na = static_cast<uint32_t>(a.set.size()), nb = static_cast<uint32_t>(b.set.size());
  const MatchKind by_estimate = Classify(estimate, na, nb, match);
  const MatchKind by_exact = Classify(exact, na, nb, match);
  std::vector<Passage> passages;
  if (shingle.kind == ShingleKind::kWord) passages = SharedPassages(a, b, shingle.size);

  auto verdict = [&](MatchKind m, const PairEstimate& e) -> std::string {
    switch (m) {
      case MatchKind::kSimilar: return absl::StrFormat("grouped: Jaccard >= threshold %g", match.threshold);
      case MatchKind::kAContainedInB:
        return absl::StrFormat("grouped: A is an excerpt of B (%.0f%% of A is in B; A is %.0f%% of B's size)",
                               100 * e.a_in_b, 100.0 * na / std::max(nb, 1u));
      case MatchKind::kBContainedInA:
        return absl::StrFormat("grouped: B is an excerpt of A (%.0f%% of B is in A; B is %.0f%% of A's size)",
                               100 * e.b_in_a, 100.0 * nb / std::max(na, 1u));
      case MatchKind::kNone: break;
    }
    std::string why = absl::StrFormat("not grouped: Jaccard below %g", match.threshold);
    if (match.containment_threshold > 0) {
      const bool a_smaller = na <= nb;
      why += absl::StrFormat(
          ", containment's lower bound %.2f (at %g standard errors) below %g (or the smaller document has "
          "fewer than %d shingles or is under %.0f%% of the larger's size)",
          ContainmentLowerBound(e, na, nb, a_smaller, match.containment_z), match.containment_z,
          match.containment_threshold, match.min_containment_shingles, 100 * match.min_containment_ratio);
      if (match.opening_threshold > 0) {
        why += absl::StrFormat(
            "; not an opening excerpt: needs the smaller document's opening %.0f%% inside the larger's (here %s), "
            "its size at least %.0f%% of the larger's and the containment's bound at least %g",
            100 * match.opening_threshold, e.opening < 0 ? std::string("unknown") : absl::StrFormat("%.0f%%", 100 * e.opening),
            100 * match.opening_min_ratio, match.opening_containment);
      }
    }
    return why;
  };

  if (f.format == "json") {
    auto side_json = [&](const Side& s) {
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
  for (const Side* s : {&a, &b}) {
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
