// ChromeStream: the chrome rule of boilerplate.h, learned one document at a time.
//
// A batch run counts the whole corpus before it signs anything (BoilerplateDetector).
// The ingestion index cannot: documents arrive one by one, for weeks. ChromeStream keeps
// the same statistics -- per line key, per scope (the corpus, and each `source`), the
// number of documents holding the line (df) and up to min_contexts mutually different
// contexts of it (boilerplate.h defines a context, "the same context", and the 64-slot
// sketch that estimates it) -- and updates them as each document is counted:
//
//   Seeds. Line L becomes chrome in a scope when df(L) >= min_docs and L has been seen
//     in min_contexts mutually different contexts. An occurrence's context is compared
//     with the contexts kept so far (at most min_contexts comparisons), leaving out of
//     both sides the lines that are chrome at that moment where the other document lacks
//     them -- what a batch run's later rounds do with the previous round's model. An
//     occurrence whose context keeps fewer than kMinContextSlots slots once its
//     document's chrome is left out is no evidence; a kept context that has come to that
//     (its document's lines became chrome) is replaced by the next occurrence that is not
//     the same as any other kept one.
//   Blocks. Each line remembers its neighbours B (the line before, the line after) in
//     the first document that held it, and in how many of its documents the same line
//     stood there. L becomes chrome when df(L) >= min_docs, such a neighbour B is
//     chrome, B stood next to L in at least block_adjacency of L's documents and
//     df(L) >= block_df_ratio * df(B): the inner lines of a header or footer, whose
//     contexts still hold the rest of their block. The test runs when L is counted, so
//     a block line is flagged in the document that flags its neighbour (when it comes
//     after it) or in the next document holding it.
//   Monotone. Once chrome, a line stays chrome (removing documents from an index does
//     not un-learn it); a document counted later never changes an earlier verdict.
//
// Documents are numbered 0, 1, ... in the order they are counted. The model after
// counting d_0..d_n depends only on that sequence, never on how it was split into
// batches, sessions or threads, so replaying the stored history (the ingestion index does
// at Open) rebuilds exactly the same model; Digest() hashes it to check that. Add()
// reports the lines it made chrome and the earlier documents that hold them (from a
// posting list kept for every line seen twice and not yet chrome), so that a user of the
// model (the ingestion index) can re-sign them: every document is then signed with the
// current model, whatever the order it arrived in.
//
// How it differs from a batch run over the same documents: the batch counts every
// document before deciding and may take back a round's verdict; the stream decides with
// what it has seen, so a line can be flagged early (an article's paragraph seen under
// three sites' not-yet-known chrome) and stays chrome. BENCHMARKS.md measures what this
// costs against the batch model on the hard corpora.
//
// Memory: per document its line keys (12 bytes per line) and context sketch (256
// bytes); per distinct (scope, line) about 70 bytes; 4 bytes per occurrence of a line
// seen twice and not chrome. Not thread-safe for writers; const
// members may run concurrently with each other.
#ifndef DEDUP_CHROME_STREAM_H_
#define DEDUP_CHROME_STREAM_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "dedup/boilerplate.h"

namespace dedup {

// A stable description of the streaming rule and its options, stored in an index so
// that an index never mixes signatures made under different chrome rules. "off" when
// options.enabled is false. Bump the version in it when the rule changes.
std::string DescribeChromeRule(const BoilerplateOptions& options);

// LineKeys as bytes (little-endian; the format an index stores) and back.
std::string SerializeLineKeys(const LineKeys& keys);
absl::StatusOr<LineKeys> ParseLineKeys(std::string_view bytes);

class ChromeStream {
 public:
  static constexpr uint32_t kNever = UINT32_MAX;

  explicit ChromeStream(const BoilerplateOptions& options);

  // A line made chrome: corpus-wide (source 0) or in one source's scope.
  struct Flag {
    uint64_t source;
    uint64_t line;
  };

  // Counts the next document (number documents()), remembering `tag` for it (the index
  // passes the document's seq); appends the lines it made chrome to *flagged and the
  // tags of the earlier documents holding them to *holders (unsorted, possibly
  // repeated), each when non-null; returns how many lines. With options.enabled false it
  // only numbers the document.
  int Add(uint64_t source_key, const LineKeys& keys, uint64_t tag = 0, std::vector<Flag>* flagged = nullptr,
          std::vector<uint64_t>* holders = nullptr);

  // Whether `line_key` is chrome for a document of `source_key`, corpus-wide or in the
  // source's scope.
  bool IsChrome(uint64_t source_key, uint64_t line_key) const;


  uint64_t documents() const { return sources_.size(); }
  size_t chrome_lines() const { return chrome_lines_; }
  // Order-independent hash of the chrome (scope, line, since) triples and documents().
  uint64_t Digest() const;
  const BoilerplateOptions& options() const { return options_; }

 private:
  struct Context {
    uint32_t doc;
    uint16_t line;
  };
  struct LineState {
    uint64_t before = 0, after = 0;  // Neighbours in the first document (0: none).
    uint32_t df = 0;
    uint32_t same_before = 0, same_after = 0;  // Documents with those neighbours.
    uint32_t since = kNever;
    uint32_t more = kNever;  // Offset in pool_ of the contexts after the first.
    uint32_t first_doc = 0;  // The first document holding it.
    uint32_t postings = kNever;  // Index in postings_ once df >= 2, until chrome.
    Context first{0, 0};
    uint8_t contexts = 0;
  };
  using Table = absl::flat_hash_map<uint64_t, LineState>;

  DocKeys doc(size_t d) const {
    return DocKeys{keys_.data() + offsets_[d], shingles_.data() + offsets_[d],
                   static_cast<uint32_t>(offsets_[d + 1] - offsets_[d]), totals_[d], &contexts_[d]};
  }
  const Context& ContextAt(const LineState& s, int i) const { return i == 0 ? s.first : pool_[s.more + i - 1]; }
  // Counts line j of document n in one scope; returns whether it became chrome.
  bool Count(Table& table, uint64_t key, uint64_t scope, uint32_t n, size_t j, const FlaggedLines& mine,
             int min_docs, int min_contexts, std::vector<Flag>* flagged, std::vector<uint64_t>* holders);
  const FlaggedLines& Flagged(size_t d);
  const LineState* Find(const Table& table, uint64_t key) const {
    auto it = table.find(key);
    return it == table.end() ? nullptr : &it->second;
  }

  BoilerplateOptions options_;
  int max_contexts_;
  Table corpus_;     // Line key -> state.
  Table by_source_;  // ScopedKey(source, line) -> state.
  std::vector<Context> pool_;
  // Documents holding a line seen at least twice and not chrome (freed when it becomes
  // chrome: later documents are signed without it anyway).
  std::vector<std::vector<uint32_t>> postings_;
  std::vector<uint32_t> free_postings_;
  size_t chrome_lines_ = 0;
  uint64_t digest_ = 0;

  std::vector<uint64_t> sources_;
  std::vector<uint64_t> tags_;
  std::vector<uint64_t> keys_;
  std::vector<uint32_t> shingles_;
  std::vector<size_t> offsets_{0};
  std::vector<uint32_t> totals_;
  std::vector<ContextSketch> contexts_;

  absl::flat_hash_set<uint64_t> seen_;  // Scratch: a document's distinct lines.
  absl::flat_hash_map<uint32_t, FlaggedLines> flagged_cache_;
  size_t cache_version_ = 0;
};

}  // namespace dedup

#endif  // DEDUP_CHROME_STREAM_H_
