// Clusterer: verifies candidate pairs and groups documents with union-find.
//
// Documents are added one at a time, in input order. Each new document is looked up
// in the candidate index (LSH, or brute force with `exact`), every candidate is
// verified -- its similarity with the new document must be >= threshold: the MinHash
// estimate, or the exact Jaccard with `exact` -- and verified pairs are merged with
// union-find. Then the document is inserted into the index.
//
// Result, deterministic for a given input order and options:
//   - a cluster's representative is its first document in input order;
//   - clusters are numbered 0, 1, 2, ... in the input order of their representatives
//     (every document belongs to one cluster; singletons are clusters of size 1);
//   - each document's `similarity` is its similarity with its representative (1 for
//     the representative itself), estimated or exact as above. A member joined through
//     a chain of verified pairs may have a similarity below the threshold.
//
// Memory per document: its id, K * 4 bytes of signature, the LSH band entries, an
// optional text snippet for reports, and its shingle set only with `exact`.
//
// Example:
//   auto clusterer = dedup::Clusterer::Create(options, /*num_perm=*/128);
//   for (...) (*clusterer)->Add(std::move(id), std::move(snippet), std::move(sketch));
//   dedup::ClusterResult result = (*clusterer)->Finish();
//
// Not thread-safe.
#ifndef DEDUP_CLUSTER_H_
#define DEDUP_CLUSTER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dedup/lsh_index.h"
#include "dedup/sketch.h"

namespace dedup {

inline constexpr double kDefaultThreshold = 0.7;

struct ClusterOptions {
  double threshold = kDefaultThreshold;  // Similarity needed to group a pair, in [0, 1].
  // Exact Jaccard over stored shingle sets, with a brute-force index: O(n^2), for
  // small inputs and as the oracle. Requires sketches with shingles kept.
  bool exact = false;
  // LSH bands and rows; when unset, OptimalLshParams(threshold, num_perm).
  std::optional<LshParams> lsh;
  // Keep every verified pair in ClusterResult::verified_pairs (for evaluation).
  bool record_pairs = false;
};

struct DocumentResult {
  std::string id;
  std::string snippet;          // Start of the text, for reports; may be empty.
  uint32_t cluster = 0;         // Cluster number.
  DocIndex representative = 0;  // Input position of the cluster's representative.
  double similarity = 1.0;      // With the representative.
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

class Clusterer {
 public:
  // InvalidArgument for a threshold outside [0, 1] or LSH params not fitting num_perm.
  static absl::StatusOr<std::unique_ptr<Clusterer>> Create(const ClusterOptions& options,
                                                           int num_perm);

  // Adds the next document; returns its input position. With `exact`, the sketch must
  // carry its shingles. Cost: one index query, plus one verification per candidate.
  DocIndex Add(std::string id, std::string snippet, SketchedDocument sketch);

  // Computes clusters and similarities. Call once, after the last Add().
  ClusterResult Finish();

  const ClusterOptions& options() const { return options_; }
  const LshParams& lsh_params() const { return lsh_params_; }

 private:
  Clusterer(ClusterOptions options, int num_perm, LshParams lsh,
            std::unique_ptr<CandidateIndex> index)
      : options_(options), num_perm_(num_perm), lsh_params_(lsh), index_(std::move(index)) {}

  DocIndex Find(DocIndex x);
  double Similarity(DocIndex a, DocIndex b) const;

  ClusterOptions options_;
  int num_perm_;
  LshParams lsh_params_;
  std::unique_ptr<CandidateIndex> index_;
  std::vector<DocIndex> parent_;             // Union-find; a root is its set's smallest index.
  std::vector<uint32_t> signatures_;         // num_perm_ slots per document, contiguous.
  std::vector<std::vector<uint64_t>> shingles_;  // Per document, with `exact` only.
  std::vector<DocumentResult> docs_;
  std::vector<DocIndex> candidates_;         // Scratch.
  std::vector<std::pair<DocIndex, DocIndex>> verified_pairs_;
  ClusterStats stats_;
};

}  // namespace dedup

#endif  // DEDUP_CLUSTER_H_
