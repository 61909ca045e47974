// Boilerplate: lines that recur across documents as site chrome, left out of shingles.
//
// Scraped news carries its site's header and footer ("Exit mobile version", "Leave a
// Reply … Required fields are marked *", an aggregator's disclaimer). Two different
// short articles under the same long footer look alike to Jaccard; a copy of a short
// article under another site's chrome looks different. Removing boilerplate lines
// before shingling fixes both.
//
// Lines are the units (news text has one paragraph per line). A line's key is the XXH3
// of its normalized tokens, so quote style and spacing do not matter. Within a scope --
// the whole corpus, and separately the documents of each `source` -- with df(L) the
// number of the scope's documents containing line L:
//   1. Seeds. L is boilerplate when df(L) >= min_docs and, on one side (the lines just
//      before it, or just after it), L has at least min_contexts distinct neighbour lines
//      that occur in no other document of the scope (df 1), while on the other side the
//      document's edge is reached through recurring lines only (df >= min_docs) in at
//      least half of L's occurrences. A footer follows the endings of many different
//      articles and runs to the end of the page; a header runs from the start of the page
//      into many different titles. A syndicated article copied under the chrome of sites
//      seen once has unique neighbours on both sides and is kept. (Frequency alone cannot
//      tell them apart: in a small corpus an article copied seven times is more frequent
//      than the chrome of sites seen twice.)
//   2. Blocks. A line L with df(L) >= min_docs that stands next to a boilerplate line B
//      in at least block_adjacency of L's documents, with df(L) >= block_df_ratio · df(B),
//      is boilerplate too: the inner lines of a multi-line header or footer.
// Defaults: min_docs 3 and min_contexts 3 in both scopes (a site repeats its chrome on
// every article; two documents of a site may be two versions of one article). A corpus of one document
// has no boilerplate. When every line of a document is boilerplate, nothing is removed
// from it (a page that is all chrome is compared as it is), so an article body is never
// stripped whole.
//
// Batch mode counts over the whole corpus (a first pass before sketching). Ingestion
// can feed a BoilerplateDetector with a recent window of documents and Build() a new
// model periodically.
//
// Example:
//   dedup::BoilerplateDetector detector({});
//   for (...) detector.AddDocument(doc.source, tokens);
//   dedup::BoilerplateModel model = detector.Build();
//   dedup::StripBoilerplate(tokens, model, dedup::SourceKey(doc.source), &kept);
#ifndef DEDUP_BOILERPLATE_H_
#define DEDUP_BOILERPLATE_H_

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "dedup/normalize.h"

namespace dedup {

struct BoilerplateOptions {
  bool enabled = true;
  int min_docs = 3;             // Corpus scope.
  int min_contexts = 3;
  int min_source_docs = 3;      // Per-source scope (documents naming their source).
  int min_source_contexts = 3;
  double block_adjacency = 0.5;
  double block_df_ratio = 0.8;
};

absl::Status ValidateBoilerplateOptions(const BoilerplateOptions& options);

// Key of the tokens [first, end) of a tokenized text.
uint64_t LineKey(const TokenizedText& tokens, size_t first_token, size_t end_token);
// Key of a source name; 0 for the empty name (no per-source scope).
uint64_t SourceKey(std::string_view source);

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

// Collects the line keys of documents, then finds the boilerplate. Memory: 8 bytes per
// line per document. Not thread-safe.
class BoilerplateDetector {
 public:
  explicit BoilerplateDetector(BoilerplateOptions options) : options_(options) {}

  void AddDocument(std::string_view source, const TokenizedText& tokens);
  // Adds precomputed line keys (from ComputeLineKeys()).
  void AddLineKeys(uint64_t source_key, const struct LineKeys& keys);
  // Runs the per-scope searches in parallel (oneTBB, in the caller's task arena); a
  // large scope is itself searched in shards of about `lines_per_shard` lines (up to 16
  // shards). The model does not depend on the shard size (tested) or the thread count.
  BoilerplateModel Build(size_t lines_per_shard = size_t{1} << 18) const;
  size_t documents() const { return sources_.size(); }

 private:
  BoilerplateOptions options_;
  std::vector<uint64_t> sources_;   // Per document.
  std::vector<uint64_t> keys_;      // All documents' line keys, in order.
  std::vector<uint64_t> openings_;  // Their opening keys.
  std::vector<size_t> offsets_{0};  // Document d's keys: [offsets_[d], offsets_[d + 1]).
};

// Keys of a text's lines, in order: the whole line's, and its opening's (its first
// kOpeningTokens tokens). Neighbour lines count as different contexts only when their
// openings differ, so a paragraph and its truncated or lightly edited copy -- the
// continuations of one article -- are not mistaken for the varied articles that follow
// a header.
inline constexpr int kOpeningTokens = 4;
struct LineKeys {
  std::vector<uint64_t> lines;
  std::vector<uint64_t> openings;
};
LineKeys ComputeLineKeys(const TokenizedText& tokens);

// Copies `in` without its boilerplate lines into *out. If every line is boilerplate,
// *out is a copy of `in`. Returns the number of lines removed; their token ranges go to
// *removed when non-null.
int StripBoilerplate(const TokenizedText& in, const BoilerplateModel& model, uint64_t source_key,
                     TokenizedText* out, std::vector<std::pair<size_t, size_t>>* removed = nullptr);

}  // namespace dedup

#endif  // DEDUP_BOILERPLATE_H_
