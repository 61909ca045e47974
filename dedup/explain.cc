#include "dedup/explain.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "dedup/cluster.h"
#include "dedup/opening.h"
#include "dedup/shingle.h"

namespace dedup {
namespace {

// Maximal runs of `a`'s word shingles that `b` also has, longest first (stable: ties
// in text order). A run of shingles i..j covers tokens i .. j + k - 1 of a.kept.
std::vector<TokenRun> SharedPassages(const ExplainedSide& a, const ExplainedSide& b, int k) {
  std::vector<TokenRun> out;
  const size_t n = a.ordered.size();
  if (a.kept.size() < static_cast<size_t>(k)) return out;  // One whole-text shingle: no passages.
  auto in_b = [&](size_t i) { return std::binary_search(b.set.begin(), b.set.end(), a.ordered[i]); };
  for (size_t i = 0; i < n;) {
    if (!in_b(i)) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j + 1 < n && in_b(j + 1)) ++j;
    out.push_back({i, j - i + static_cast<size_t>(k)});
    i = j + 1;
  }
  std::stable_sort(out.begin(), out.end(), [](const TokenRun& x, const TokenRun& y) { return x.tokens > y.tokens; });
  return out;
}

}  // namespace

absl::StatusOr<PairExplainer> PairExplainer::Create(const PipelineOptions& options, BoilerplateModel model) {
  // As the batch pipeline sketches: with openings when the opening rule is on.
  SketchOptions sketch_options = options.sketch;
  if (!options.cluster.exact && options.cluster.opening_threshold > 0) sketch_options.opening = options.cluster.opening;
  absl::StatusOr<Sketcher> sketcher = Sketcher::Create(sketch_options);
  if (!sketcher.ok()) return sketcher.status();
  return PairExplainer(options, std::move(model), *std::move(sketcher));
}

absl::Status PairExplainer::Prepare(const Document& doc, ExplainedSide* s) const {
  s->doc = doc;
  absl::Status st = Tokenize(s->doc.text, &s->tokens);
  if (!st.ok()) return absl::InvalidArgumentError(s->doc.id + ": " + std::string(st.message()));
  if (StripBoilerplate(s->tokens, model_, SourceKey(s->doc.source), &s->kept, &s->removed) == 0) {
    s->kept = s->tokens;
    s->removed.clear();
  }
  HashShingles(s->kept, options_.sketch.shingle, options_.sketch.seed, &s->ordered);
  s->set = s->ordered;
  SortUnique(&s->set);
  SketchScratch scratch;
  return sketcher_.Sketch(s->doc.text, /*keep_shingles=*/true, &scratch, &s->sketch, &model_, SourceKey(s->doc.source));
}

absl::StatusOr<PairExplanation> PairExplainer::Explain(const Document& doc_a, const Document& doc_b) const {
  PairExplanation x;
  ExplainedSide& a = x.a;
  ExplainedSide& b = x.b;
  absl::Status st = Prepare(doc_a, &a);
  if (!st.ok()) return st;
  st = Prepare(doc_b, &b);
  if (!st.ok()) return st;
  const int k = options_.sketch.num_perm;
  x.exact = ExactPair(a.set, b.set);
  // As the batch pipeline estimates: containment from the slots' order where it can.
  const bool ordered = options_.ordered_containment && options_.sketch.engine != MinHashEngine::kOph;
  x.estimate = ordered ? EstimateOrderedPair(a.sketch.signature.values().data(), a.sketch.num_shingles,
                                             b.sketch.signature.values().data(), b.sketch.num_shingles, k)
                       : EstimatePair(a.sketch.signature.values().data(), a.sketch.num_shingles,
                                      b.sketch.signature.values().data(), b.sketch.num_shingles, k);
  // Opening containment (opening.h): of the smaller document's opening in the larger's.
  x.a_is_small = a.set.size() <= b.set.size();
  const ExplainedSide& small_side = x.a_is_small ? a : b;
  const ExplainedSide& large_side = x.a_is_small ? b : a;
  if (!a.sketch.opening.empty() && !b.sketch.opening.empty() && !a.set.empty() && !b.set.empty()) {
    x.estimate.opening = OpeningContainment(small_side.sketch.opening.data(), large_side.sketch.opening.data(),
                                            static_cast<int>(a.sketch.opening.size()));
    std::vector<uint64_t> bits, open_small, open_large;
    OpeningShingles(small_side.ordered, options_.cluster.opening.shingles, &open_small, &bits);
    OpeningShingles(large_side.ordered, options_.cluster.opening.shingles, &open_large, &bits);
    SortUnique(&open_small);
    SortUnique(&open_large);
    x.exact.opening = static_cast<double>(IntersectionSize(open_small, open_large)) / open_small.size();
  }
  const MatchOptions match = MatchOptionsOf(options_.cluster);
  const uint32_t na = static_cast<uint32_t>(a.set.size()), nb = static_cast<uint32_t>(b.set.size());
  x.by_estimate = Classify(x.estimate, na, nb, match);
  x.by_exact = Classify(x.exact, na, nb, match);
  const ShingleOptions& shingle = options_.sketch.shingle;
  if (shingle.kind == ShingleKind::kWord) {
    a.passages = SharedPassages(a, b, shingle.size);
    b.passages = SharedPassages(b, a, shingle.size);
  }
  return x;
}

std::string PairExplainer::Verdict(MatchKind m, const PairEstimate& e, const PairExplanation& x) const {
  const MatchOptions match = MatchOptionsOf(options_.cluster);
  const uint32_t na = static_cast<uint32_t>(x.a.set.size()), nb = static_cast<uint32_t>(x.b.set.size());
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
          100 * match.opening_threshold,
          e.opening < 0 ? std::string("unknown") : absl::StrFormat("%.0f%%", 100 * e.opening),
          100 * match.opening_min_ratio, match.opening_containment);
    }
  }
  return why;
}

std::vector<TokenRun> KeptRunsToTokens(const ExplainedSide& side, const std::vector<TokenRun>& kept_runs) {
  // kept token i is tokens token map[i]: `removed` lists [first, end) ranges in order.
  std::vector<size_t> map;
  map.reserve(side.kept.size());
  size_t r = 0;
  for (size_t t = 0; t < side.tokens.size() && map.size() < side.kept.size(); ++t) {
    while (r < side.removed.size() && t >= side.removed[r].second) ++r;
    if (r < side.removed.size() && t >= side.removed[r].first) continue;
    map.push_back(t);
  }
  std::vector<std::pair<size_t, size_t>> spans;  // [first, end) in tokens.
  for (const TokenRun& run : kept_runs) {
    for (size_t i = run.first_token; i < run.first_token + run.tokens && i < map.size(); ++i) {
      spans.push_back({map[i], map[i] + 1});
    }
  }
  std::sort(spans.begin(), spans.end());
  std::vector<TokenRun> out;
  for (const auto& [first, end] : spans) {
    if (!out.empty() && first <= out.back().first_token + out.back().tokens) {
      out.back().tokens = std::max(out.back().tokens, end - out.back().first_token);
    } else {
      out.push_back({first, end - first});
    }
  }
  return out;
}

}  // namespace dedup
