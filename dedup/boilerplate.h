// Boilerplate: lines that recur across documents as site chrome, left out of shingles.
//
// Scraped news carries its site's header and footer ("Exit mobile version", "Leave a
// Reply … Required fields are marked *", an aggregator's disclaimer). Two different
// short articles under the same long footer look alike to Jaccard; a copy of a short
// article under another site's chrome looks different. Removing boilerplate lines
// before shingling fixes both.
//
// Lines are the units (news text has one paragraph per line). A line's key is the XXH3
// of its normalized tokens, so quote style and spacing do not matter.
//
// The rule: a line is chrome when it recurs across documents that are otherwise
// DIFFERENT. A paragraph repeated only among copies of one article is article text,
// however many copies there are (a hot story syndicated 200 times keeps every
// paragraph); a disclaimer repeated under many different articles is chrome, whether
// the lines next to it are unique or are themselves repeated (the last paragraph of a
// syndicated article stands above an aggregator's footer in every copy).
//
// The context of an occurrence of line L in document d is d's text without L: the set
// of d's context shingles (word 3-grams within each line; CJK characters are tokens)
// outside L. Two contexts are the same when the smaller is at least
// `context_containment` contained in the larger, |A ∩ B| / min(|A|, |B|) >= c (default
// 0.5): two copies of one article -- edited, truncated to a quarter, under other sites'
// chrome -- share most of the smaller one's text; two different articles share only
// their chrome. Within a scope -- the whole corpus, and separately the documents of each
// `source` -- with df(L) the number of the scope's documents containing L:
//   1. Seeds. L is chrome when df(L) >= min_docs and its occurrences have at least
//      min_contexts mutually different contexts. They are counted greedily, in document
//      order: an occurrence whose context matches none of the contexts kept so far is
//      kept, up to min_contexts (so the work per occurrence is at most min_contexts
//      comparisons).
//   2. Blocks. A line L with df(L) >= min_docs that stands next to a chrome line B in at
//      least block_adjacency of L's documents, with df(L) >= block_df_ratio · df(B), is
//      chrome too: the inner lines of a multi-line header or footer, whose contexts still
//      hold the rest of their block.
//   3. Rounds. Chrome inflates a context: two copies of a short article under two
//      sites' large headers and footers share less than half of their rests, so in round
//      1 such an article's paragraphs can look like chrome. Each later round recounts
//      every line with the previous round's chrome left out of each context -- where the
//      other document lacks it (chrome the two share stays in: it is no evidence either
//      way, and leaving it out would make two different articles under one header look
//      alike when their own paragraphs were flagged) -- until the model stops changing
//      or `rounds` (default 3) have run. On the aggregator case the rounds go: too much
//      (short articles' paragraphs), then too little (the footer, whose articles were
//      left out), then right, and stay there.
//
// Estimating containment. Each document keeps a one-permutation MinHash of its context
// shingles in kContextSlots slots: per slot the smallest 16-bit value and the line it
// came from. A context "d without L" is the document's sketch without the slots owned by
// L (or by known chrome): those slots hold the minimum of the remaining lines exactly
// when their owner is not excluded, so slots excluded on either side are skipped, and
// J is estimated over the s slots that remain, J^ = matches / s, SE sqrt(J(1-J)/s). With
// n_A, n_B the context sizes (shingle counts without the excluded lines),
// C^ = J^ (n_A + n_B) / ((1 + J^) min(n_A, n_B)). Fewer than kMinContextSlots usable
// slots, or an empty context, count as the same context: unknown never makes chrome.
// At c = 0.5, a copy at true containment 0.75 sharing 32 slots is wrongly kept apart
// with probability about 1e-3 (J 0.6 vs the 0.33 that C = 0.5 needs, 3 standard
// errors), and even then only adds one context of the min_contexts needed.
//
// Defaults: min_docs 3 and min_contexts 3 in both scopes (a site repeats its chrome on
// every article; two documents of a site may be two versions of one article). A corpus
// of one document has no chrome. When every line of a document is chrome, nothing is
// removed from it (a page that is all chrome is compared as it is), so an article body
// is never stripped whole.
//
// Mergeable. Within a round the statistics per line are df (a sum) and at most
// min_contexts context sketches (merged by the same greedy rule), so the counts of two
// halves of a corpus combine into those of the whole; the greedy rule makes the merged
// set equal to one pass over the halves in order except where one context matches two
// kept ones that do not match each other. Each round needs the previous round's model
// (broadcast).
//
// Batch mode counts over the whole corpus (a first pass before sketching).
//
// Example:
//   dedup::BoilerplateDetector detector({});
//   for (...) detector.AddDocument(doc.source, tokens);
//   dedup::BoilerplateModel model = detector.Build();
//   dedup::StripBoilerplate(tokens, model, dedup::SourceKey(doc.source), &kept);
#ifndef DEDUP_BOILERPLATE_H_
#define DEDUP_BOILERPLATE_H_

#include <array>
#include <cstdint>
#include <functional>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "dedup/normalize.h"

namespace dedup {

struct BoilerplateOptions {
  bool enabled = true;
  int min_docs = 3;             // Corpus scope: documents a line must be in ...
  int min_contexts = 3;         // ... with this many different contexts.
  int min_source_docs = 3;      // Per-source scope (documents naming their source).
  int min_source_contexts = 3;
  double context_containment = 0.5;  // Two contexts are the same from this containment on.
  int rounds = 3;                    // At most this many rounds, 1..8 (see above).
  double block_adjacency = 0.5;
  double block_df_ratio = 0.8;
};

// The largest min_contexts / min_source_contexts allowed (work per occurrence grows with it).
inline constexpr int kMaxBoilerplateContexts = 64;

absl::Status ValidateBoilerplateOptions(const BoilerplateOptions& options);

// Key of the tokens [first, end) of a tokenized text.
uint64_t LineKey(const TokenizedText& tokens, size_t first_token, size_t end_token);
// Key of a source name; 0 for the empty name (no per-source scope).
uint64_t SourceKey(std::string_view source);

// What the detector keeps of a document: its lines' keys, and the context sketch (see
// the top of this file): per line its count of context shingles, and per slot the
// smallest 16-bit value of the slot's shingles and the line it came from.
inline constexpr int kContextSlots = 64;
inline constexpr int kContextShingleTokens = 3;
inline constexpr int kMinContextSlots = 8;
// Slots as two arrays (values, and the lines they came from), so that the masks a
// comparison needs are a few vector compares.
struct ContextSketch {
  static constexpr uint16_t kEmpty = 0xFFFF;    // `line` of a slot no shingle fell into.
  static constexpr uint16_t kMaxLine = 0xFFFE;  // Lines from here on share this index.
  ContextSketch() {
    value.fill(0xFFFF);
    line.fill(kEmpty);
  }
  std::array<uint16_t, kContextSlots> value;
  std::array<uint16_t, kContextSlots> line;
  // Bit s set when slot s came from line `l` (indexes past kMaxLine count as kMaxLine).
  uint64_t OwnedBy(size_t l) const;
  friend bool operator==(const ContextSketch&, const ContextSketch&) = default;
};
// A document's keys as the detector reads them (views into its arrays, or a LineKeys).
struct DocKeys {
  const uint64_t* lines = nullptr;     // Key per line.
  const uint32_t* shingles = nullptr;  // Context shingles per line.
  uint32_t num_lines = 0;
  uint32_t total_shingles = 0;         // Their sum.
  const ContextSketch* context = nullptr;
};
struct LineKeys {
  std::vector<uint64_t> lines;
  std::vector<uint32_t> shingles;
  uint32_t total_shingles = 0;
  ContextSketch context;
  operator DocKeys() const {  // NOLINT: a view, as string -> string_view.
    return DocKeys{lines.data(), shingles.data(), static_cast<uint32_t>(lines.size()), total_shingles, &context};
  }
};
LineKeys ComputeLineKeys(const TokenizedText& tokens);

// A document's lines found to be chrome in a round: their keys, the context slots they
// own and their context shingles.
struct FlaggedLines {
  std::vector<uint64_t> keys;
  std::vector<uint64_t> slots;
  std::vector<uint32_t> shingles;
};
FlaggedLines FlagLines(const DocKeys& doc, const std::function<bool(uint64_t)>& is_chrome);

// Whether the context of line `line_a` in `a` and that of `line_b` in `b` are the same
// (see the top of this file). The lines in `flagged_a` that b lacks are left out of a's
// context, and the other way round.
bool SameContext(const DocKeys& a, size_t line_a, const FlaggedLines& flagged_a, const DocKeys& b, size_t line_b,
                 const FlaggedLines& flagged_b, double containment);
// The same comparison, telling "unknown" (fewer than kMinContextSlots usable slots, or
// an empty context) apart: SameContext() is CompareContexts() != kDifferent.
enum class ContextMatch { kSame, kDifferent, kUnknown };
ContextMatch CompareContexts(const DocKeys& a, size_t line_a, const FlaggedLines& flagged_a, const DocKeys& b,
                             size_t line_b, const FlaggedLines& flagged_b, double containment);

// The lines found to be boilerplate. Immutable; thread-safe to read.
class BoilerplateModel {
 public:
  bool IsBoilerplate(uint64_t source_key, uint64_t line_key) const;
  size_t corpus_lines() const { return corpus_.size(); }
  size_t source_lines() const { return per_source_.size(); }
  bool empty() const { return corpus_.empty() && per_source_.empty(); }
  friend bool operator==(const BoilerplateModel&, const BoilerplateModel&) = default;

 private:
  friend class BoilerplateDetector;
  absl::flat_hash_set<uint64_t> corpus_;
  absl::flat_hash_set<std::pair<uint64_t, uint64_t>> per_source_;  // (source key, line key)
};

// Collects the line keys and context sketches of documents, then finds the chrome.
// Memory: 12 bytes per line plus 264 bytes per document. Not thread-safe.
class BoilerplateDetector {
 public:
  explicit BoilerplateDetector(BoilerplateOptions options) : options_(options) {}

  void AddDocument(std::string_view source, const TokenizedText& tokens);
  // Adds precomputed keys (from ComputeLineKeys()).
  void AddLineKeys(uint64_t source_key, const LineKeys& keys);
  // Runs the per-scope searches in parallel (oneTBB, in the caller's task arena); a
  // large scope is itself searched in shards of about `lines_per_shard` lines (up to 16
  // shards). The model does not depend on the shard size (tested) or the thread count.
  BoilerplateModel Build(size_t lines_per_shard = size_t{1} << 18) const;
  size_t documents() const { return sources_.size(); }
  DocKeys doc(size_t d) const {
    return DocKeys{keys_.data() + offsets_[d], shingles_.data() + offsets_[d],
                   static_cast<uint32_t>(offsets_[d + 1] - offsets_[d]), totals_[d], &contexts_[d]};
  }

 private:
  BoilerplateOptions options_;
  std::vector<uint64_t> sources_;   // Per document.
  std::vector<uint64_t> keys_;      // All documents' line keys, in order.
  std::vector<uint32_t> shingles_;  // Their context shingle counts.
  std::vector<size_t> offsets_{0};  // Document d's lines: [offsets_[d], offsets_[d + 1]).
  std::vector<uint32_t> totals_;    // Per document.
  std::vector<ContextSketch> contexts_;
};

// Copies `in` without the lines i for which drop_line(i) holds into *out. If it holds
// for every line, or none, *out is a copy of `in`. Returns the number of lines removed;
// their token ranges go to *removed when non-null. One definition of "leaving lines
// out" for every model (batch, and the ingestion index's streaming one).
int StripLines(const TokenizedText& in, const std::function<bool(size_t line)>& drop_line, TokenizedText* out,
               std::vector<std::pair<size_t, size_t>>* removed = nullptr);

// Copies `in` without its boilerplate lines into *out. If every line is boilerplate,
// *out is a copy of `in`. Returns the number of lines removed; their token ranges go to
// *removed when non-null.
int StripBoilerplate(const TokenizedText& in, const BoilerplateModel& model, uint64_t source_key,
                     TokenizedText* out, std::vector<std::pair<size_t, size_t>>* removed = nullptr);

}  // namespace dedup

#endif  // DEDUP_BOILERPLATE_H_
