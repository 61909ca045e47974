// Clusterer: verifies candidate pairs and groups documents with union-find.
//
// Documents are added one at a time, in input order. Each new document is looked up
// in the candidate index (LSH, or brute force with `exact`), every candidate is
// verified by the rules of verify.h -- Jaccard >= threshold, or (when enabled) one
// document contained in the other -- on MinHash estimates, or exactly with `exact`,
// and verified pairs are merged with union-find. Then the document is inserted.
//
// Result, deterministic for a given input order and options:
//   - clusters are numbered 0, 1, 2, ... in the input order of their first documents
//     (every document belongs to one cluster; singletons are clusters of size 1);
//   - a cluster's representative is its canonical member by `canonical`: the earliest
//     published document (documents without a time count as later than any with one;
//     ties go to input order), or the first in input order, or the longest;
//   - each document's `similarity` is its Jaccard similarity with its representative
//     (1 for the representative), its `containment` the share of its shingles found in
//     the representative, and `relation` says how it relates to it ("similar",
//     "excerpt" of it, "extends" it, or "linked" through other members).
//
// Memory per document while documents are added (MemoryBytes() gives the exact figure):
//   - its signature packed to signature_bits per slot: 512, 256 or 128 bytes at K = 128;
//   - its LSH band entries: ~10.5 bytes per band (lsh_index.h), ~147 at 14 bands and
//     ~440 at 42;
//   - its id and snippet bytes, appended to one arena (no string object, no heap block
//     of its own), found through a 64-bit end offset and a 32-bit id length;
//   - 16 more bytes of columns: union-find parent, shingle count, publication time;
//   - its shingle set, with `exact` only.
// Signatures are stored in blocks of ~64 KiB, so that they are never copied to a bigger
// array (no old and new copy side by side, no freed old arrays left in the heap) and at
// most one block has room to spare; the small columns are std::vectors, whose spare
// capacity (up to as much again) is counted by MemoryBytes() but not written to.
// The DocumentResult records (112 bytes plus the id and snippet strings each) exist
// only in Finish(), which frees the index first and the columns as the records take
// over their contents.
//
// Example:
//   auto clusterer = dedup::Clusterer::Create(options, /*num_perm=*/128);
//   for (...) (*clusterer)->Add(id, snippet, std::move(sketch));
//   dedup::ClusterResult result = (*clusterer)->Finish();
//
// Not thread-safe.
#ifndef DEDUP_CLUSTER_H_
#define DEDUP_CLUSTER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "dedup/document.h"
#include "dedup/lsh_index.h"
#include "dedup/sketch.h"
#include "dedup/verify.h"

namespace dedup {

inline constexpr double kDefaultThreshold = 0.7;
inline constexpr double kDefaultContainmentThreshold = 0.8;
// Weight of false negatives when choosing the default LSH banding (false positives get
// 1 minus this). Verifying a candidate costs only K slot comparisons, so the default
// banding favours recall over datasketch's balanced 0.5 / 0.5; --bands/--rows override.
inline constexpr double kCandidateFalseNegativeWeight = 0.8;

enum class CanonicalRule { kEarliest, kFirst, kLongest };

struct ClusterOptions {
  double threshold = kDefaultThreshold;  // Similarity needed to group a pair, in [0, 1].
  // Excerpt matching (verify.h); 0 disables it.
  double containment_threshold = kDefaultContainmentThreshold;
  uint32_t min_containment_shingles = 20;
  double min_containment_ratio = 0.5;
  CanonicalRule canonical = CanonicalRule::kEarliest;
  // Exact Jaccard over stored shingle sets, with a brute-force index: O(n^2), for
  // small inputs and as the oracle. Requires sketches with shingles kept.
  bool exact = false;
  // LSH bands and rows; when unset, OptimalLshParams(CandidateThreshold(match), num_perm,
  // 1 - kCandidateFalseNegativeWeight, kCandidateFalseNegativeWeight).
  std::optional<LshParams> lsh;
  // Keep every verified pair in ClusterResult::verified_pairs (for evaluation).
  bool record_pairs = false;
  // Bits kept of each signature slot for verification: 32 (all), 16 or 8 -- b-bit
  // minwise hashing with the estimator correction of minhash.h. 16 halves and 8
  // quarters the signatures' memory (512 -> 256 / 128 bytes at K = 128); LSH band keys
  // still come from the full slots.
  int signature_bits = 32;
};

// How a document relates to its cluster's representative.
enum class Relation {
  kRepresentative,
  kSimilar,   // Jaccard >= threshold.
  kExcerpt,   // Contained in the representative (a truncated copy or an excerpt).
  kExtends,   // Contains the representative (the representative is an excerpt of it).
  kLinked,    // Grouped through other members only.
};
std::string_view RelationName(Relation r);  // "representative", "similar", ...

struct DocumentResult {
  std::string id;
  std::string snippet;          // Start of the text, for reports; may be empty.
  uint32_t cluster = 0;         // Cluster number.
  DocIndex representative = 0;  // Input position of the cluster's representative.
  double similarity = 1.0;      // Jaccard with the representative.
  double containment = 1.0;     // Share of this document's shingles in the representative.
  Relation relation = Relation::kRepresentative;
  int64_t published = kNoTime;  // Unix seconds, if known.
  uint32_t num_shingles = 0;
};

struct ClusterStats {
  int64_t documents = 0;
  int64_t empty_documents = 0;    // No shingles: never grouped.
  int64_t candidate_pairs = 0;    // Pairs returned by the index.
  int64_t verified_pairs = 0;     // Candidates at or above the threshold.
  int64_t clusters = 0;           // Including singletons.
  int64_t duplicate_clusters = 0; // Clusters of size >= 2.
  int64_t duplicates = 0;         // Documents that are not their cluster's representative.
};

struct ClusterResult {
  std::vector<DocumentResult> documents;           // In input order.
  std::vector<std::vector<DocIndex>> clusters;     // Members in input order, by cluster number.
  ClusterStats stats;
  LshParams lsh;                                    // Used (zero with exact).
  // With record_pairs: (earlier, later) input positions of every verified pair.
  std::vector<std::pair<DocIndex, DocIndex>> verified_pairs;
};

// Heap bytes held by a Clusterer, by part: capacities (what is allocated), not sizes.
struct ClustererMemory {
  size_t index = 0;             // LshIndex::MemoryBytes(); 0 with `exact` (not measured).
  size_t signatures = 0;        // Packed signatures: their blocks and the block list.
  size_t ids_and_snippets = 0;  // The arena, its end offsets and the id lengths.
  // Union-find parents, shingle counts, publication times, recorded pairs, the query
  // scratch, and with `exact` the shingle sets.
  size_t other = 0;

  size_t total() const { return index + signatures + ids_and_snippets + other; }
};

class Clusterer {
 public:
  // InvalidArgument for a threshold outside [0, 1] or LSH params not fitting num_perm.
  static absl::StatusOr<std::unique_ptr<Clusterer>> Create(const ClusterOptions& options,
                                                           int num_perm);

  // Adds the next document; returns its input position. The id and snippet bytes are
  // copied. With `exact`, the sketch must carry its shingles. `published` (Unix seconds
  // or kNoTime) feeds the canonical rule.
  // Cost: one index query, plus one verification per candidate.
  DocIndex Add(std::string_view id, std::string_view snippet, SketchedDocument sketch,
               int64_t published = kNoTime);

  // Computes clusters and similarities. Call once, after the last Add(); it releases
  // the index and the columns, so no Add() may follow.
  ClusterResult Finish();

  // Heap bytes of the indexed state (see ClustererMemory). Cost O(bands + overflowing
  // band keys). After Finish(): only what is left, the Clusterer being spent.
  ClustererMemory Memory() const;
  size_t MemoryBytes() const { return Memory().total(); }

  const ClusterOptions& options() const { return options_; }
  const LshParams& lsh_params() const { return lsh_params_; }

 private:
  Clusterer(ClusterOptions options, int num_perm, LshParams lsh,
            std::unique_ptr<CandidateIndex> index);

  // Document d's packed signature.
  const uint8_t* PackedSignature(DocIndex d) const {
    return signature_blocks_[d >> signature_block_shift_].get() +
           (d & ((DocIndex{1} << signature_block_shift_) - 1)) * signature_bytes_;
  }
  DocIndex Find(DocIndex x);
  PairEstimate Estimate(DocIndex a, DocIndex b) const;
  bool Better(DocIndex a, DocIndex b) const;  // a is a better canonical member than b.

  ClusterOptions options_;
  MatchOptions match_;
  int num_perm_;
  LshParams lsh_params_;
  std::unique_ptr<CandidateIndex> index_;    // Null after Finish().
  // Per document, by input position: the columns.
  std::vector<DocIndex> parent_;             // Union-find; a root is its set's smallest index.
  // Packed signatures, signature_bytes_ each, 2^signature_block_shift_ to a block.
  std::vector<std::unique_ptr<uint8_t[]>> signature_blocks_;
  size_t signature_bytes_;                   // PackedSignatureBytes(num_perm_, signature_bits).
  int signature_block_shift_;
  std::vector<uint32_t> num_shingles_;
  std::vector<int64_t> published_;
  // Document d's id then its snippet: arena_[text_end_[d - 1], text_end_[d]) (from 0
  // for d = 0), the id taking its first id_size_[d] bytes.
  std::vector<char> arena_;
  std::vector<uint64_t> text_end_;
  std::vector<uint32_t> id_size_;
  std::vector<std::vector<uint64_t>> shingles_;  // Per document, with `exact` only.
  size_t shingle_bytes_ = 0;                 // Capacity of shingles_' sets, in bytes.
  std::vector<DocIndex> candidates_;         // Scratch.
  std::vector<std::pair<DocIndex, DocIndex>> verified_pairs_;
  ClusterStats stats_;
};

}  // namespace dedup

#endif  // DEDUP_CLUSTER_H_
