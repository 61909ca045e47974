// Why two documents were, or were not, grouped: the one computation behind
// `dedup explain` and the side-by-side view of the HTML report (report_html.h), so
// the two always agree.
//
// For a pair (A, B) under a run's options and boilerplate model, PairExplainer:
//   - tokenizes both texts (normalize.h) and leaves out their boilerplate lines for
//     their source (boilerplate.h; when every line is boilerplate, nothing is removed,
//     as the sketcher does);
//   - computes the exact Jaccard and containments from the shingle sets, and the
//     estimates from the signatures as the batch pipeline does (ordered slots where the
//     engine allows them), plus the opening containment when the opening rule is on;
//   - classifies the pair both ways (verify.h, Classify);
//   - finds the shared passages: maximal runs of consecutive word shingles of one side
//     that the other side also has. A run of r shingles of size k covers r + k - 1
//     tokens. Cost O(n log m) for n shingles on one side, m on the other.
//
// Example:
//   absl::StatusOr<dedup::PairExplainer> x = dedup::PairExplainer::Create(options, model);
//   absl::StatusOr<dedup::PairExplanation> e = x->Explain(doc_a, doc_b);
//   std::cout << x->Verdict(e->by_estimate, e->estimate, *e) << "\n";
#ifndef DEDUP_EXPLAIN_H_
#define DEDUP_EXPLAIN_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "dedup/boilerplate.h"
#include "dedup/document.h"
#include "dedup/normalize.h"
#include "dedup/pipeline.h"
#include "dedup/sketch.h"
#include "dedup/verify.h"

namespace dedup {

// A run of tokens [first_token, first_token + tokens).
struct TokenRun {
  size_t first_token = 0;
  size_t tokens = 0;
};

struct ExplainedSide {
  Document doc;
  TokenizedText tokens;  // The whole text.
  TokenizedText kept;    // Without boilerplate lines.
  std::vector<std::pair<size_t, size_t>> removed;  // Boilerplate token ranges [first, end) in `tokens`.
  std::vector<uint64_t> ordered;                    // Shingle hashes of `kept` in text order.
  std::vector<uint64_t> set;                        // Sorted, unique.
  SketchedDocument sketch;
  // Shared passages in `kept` (tokens the other side's shingles also cover), longest
  // first, ties in text order. Empty for character shingles and for texts shorter than
  // one shingle.
  std::vector<TokenRun> passages;
};

struct PairExplanation {
  ExplainedSide a, b;
  PairEstimate exact;     // From the shingle sets (and the exact opening containment).
  PairEstimate estimate;  // From the signatures, as dedup cluster estimates.
  bool a_is_small = true;  // A has no more distinct shingles than B (opening direction).
  MatchKind by_estimate = MatchKind::kNone;  // As dedup cluster decides.
  MatchKind by_exact = MatchKind::kNone;     // What the exact values would decide.
};

class PairExplainer {
 public:
  // `options` as for RunClusterPipeline; `model` the boilerplate model of the corpus
  // (LearnBoilerplate), or an empty model. InvalidArgument for bad sketch options.
  static absl::StatusOr<PairExplainer> Create(const PipelineOptions& options, BoilerplateModel model);

  // InvalidArgument (naming the document's id) if a text is not valid UTF-8. Thread-safe.
  absl::StatusOr<PairExplanation> Explain(const Document& a, const Document& b) const;

  // One line for a person: "grouped: …" or "not grouped: …" with the numbers that
  // decided, for `kind` decided from `e` (e.estimate or e.exact).
  std::string Verdict(MatchKind kind, const PairEstimate& e, const PairExplanation& x) const;

  const PipelineOptions& options() const { return options_; }
  const BoilerplateModel& model() const { return model_; }

 private:
  PairExplainer(PipelineOptions options, BoilerplateModel model, Sketcher sketcher)
      : options_(std::move(options)), model_(std::move(model)), sketcher_(std::move(sketcher)) {}
  absl::Status Prepare(const Document& doc, ExplainedSide* side) const;

  PipelineOptions options_;
  BoilerplateModel model_;
  Sketcher sketcher_;
};

// Maps runs of `side.kept` tokens to runs of `side.tokens` tokens (the removed lines
// between them split a run in two), in text order, merged where they touch.
std::vector<TokenRun> KeptRunsToTokens(const ExplainedSide& side, const std::vector<TokenRun>& kept_runs);

}  // namespace dedup

#endif  // DEDUP_EXPLAIN_H_
