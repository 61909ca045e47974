// Evaluation of a clustering against ground truth, and of LSH against the exact oracle.
//
// Ground truth is a TSV file with a header naming at least `id` and `source_id`
// (optional: `kind`, `topic`, and for stories `story`, `story_kind`: story_eval.h): every document derived from the same original has that
// original's id as source_id; an original's source_id is its own id. This is what
// the corpus generator (bench/) and fixtures/news_truth.tsv provide.
//
// Metrics:
//   - pairwise precision, recall and F1 over same-source pairs: a pair of documents is
//     a true pair when their source_ids are equal, a predicted pair when they share a
//     cluster. Computed from the contingency table n_ij (predicted cluster i, true
//     group j): TP = Σ C(n_ij, 2), predicted = Σ_i C(a_i, 2), true = Σ_j C(b_j, 2).
//   - adjusted Rand index (Hubert & Arabie 1985):
//       ARI = (Σ C(n_ij,2) − E) / (½ (Σ C(a_i,2) + Σ C(b_j,2)) − E),
//       E = Σ C(a_i,2) · Σ C(b_j,2) / C(n,2);   1 for identical partitions, ~0 for random.
//   - recall by kind: the share of derived documents of each kind found in the same
//     cluster as their original;
//   - pair recall by kind: for each kind (originals included), the share of the true pairs
//     involving a document of that kind that share a cluster, and the predicted pairs
//     involving one that are false. A pair of two kinds counts for both. From the same
//     contingency table, per kind k: true = Σ_j C(b_j,2) − C(b_j − b_jk,2), found =
//     Σ_ij C(n_ij,2) − C(n_ij − n_ijk,2), predicted = Σ_i C(a_i,2) − C(a_i − a_ik,2),
//     where b_jk, n_ijk, a_ik count the documents of kind k. A kind's share of the
//     pairs can be large (a story copied 200 times has 20,100 pairs): the overall
//     pairwise figures weigh classes by their pairs, this table does not;
//   - false merges: pairs of distinct originals placed in one cluster (hard negatives);
//   - oracle comparison: LSH-verified pairs against the pairs whose exact Jaccard is
//     >= the threshold: recall = |both| / |oracle|, precision = |both| / |LSH|.
//
// A clustering made elsewhere (`dedup cluster --format tsv`, `dedup index export --format
// tsv`) is scored by reading it with ReadClusterAssignment.
//
// Example:
//   auto truth = dedup::GroundTruth::Read("truth.tsv");
//   auto eval = dedup::Evaluate(result.clusters, *truth);
//   dedup::WriteEvaluation(*eval, /*json=*/false, std::cout);
#ifndef DEDUP_EVAL_H_
#define DEDUP_EVAL_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "dedup/cluster.h"

namespace dedup {

struct TruthRecord {
  std::string source_id;
  std::string kind;   // "original", "chrome", "trunc", ...; empty when the file has no kind column.
  std::string topic;  // Empty when the file has no topic column.
  // Story tier (story_eval.h): the labelled event, never empty when the file has a story
  // column, and its kind (optional column story_kind; may be empty).
  std::string story;
  std::string story_kind;
};

class GroundTruth {
 public:
  // Errors name the file and line: a missing header column, a wrong field count, a
  // duplicate id.
  static absl::StatusOr<GroundTruth> Read(const std::string& path);
  // For tests: build from records directly.
  static GroundTruth FromRecords(std::vector<std::pair<std::string, TruthRecord>> records);

  const TruthRecord* Find(const std::string& id) const;
  size_t size() const { return records_.size(); }
  bool has_stories() const { return has_stories_; }  // The file has a story column.

 private:
  absl::flat_hash_map<std::string, TruthRecord> records_;
  bool has_stories_ = false;
};

struct PairScores {
  int64_t true_positives = 0;
  int64_t predicted_pairs = 0;
  int64_t true_pairs = 0;
  double precision = 1.0;  // 1 when nothing is predicted.
  double recall = 1.0;     // 1 when there is nothing to find.
  double f1 = 1.0;
};

// Pairwise scores of a predicted labelling against the true one (same items, same order).
PairScores ScorePairs(const std::vector<uint32_t>& predicted, const std::vector<uint32_t>& truth);

// Adjusted Rand index of two labellings of the same items; 1 if both put every item
// alone or both put all together (the index is undefined there; identical partitions).
double AdjustedRandIndex(const std::vector<uint32_t>& predicted, const std::vector<uint32_t>& truth);

struct KindRecall {
  std::string kind;
  int64_t total = 0;  // Derived documents of this kind whose original is in the corpus.
  int64_t found = 0;  // ... that share their original's cluster.
};

struct KindPairRecall {
  std::string kind;
  int64_t true_pairs = 0;       // True pairs with at least one document of this kind.
  int64_t found_pairs = 0;      // ... of them in one predicted cluster.
  int64_t predicted_pairs = 0;  // Predicted pairs with at least one document of this kind.
  int64_t false_pairs() const { return predicted_pairs - found_pairs; }
  double recall() const { return true_pairs > 0 ? static_cast<double>(found_pairs) / true_pairs : 1.0; }
};

struct OracleScores {
  int64_t oracle_pairs = 0;  // Exact Jaccard >= threshold.
  int64_t lsh_pairs = 0;     // Verified by the LSH run.
  int64_t common = 0;
  double recall = 1.0;
  double precision = 1.0;
};

// Compares two sets of (earlier, later) pairs.
OracleScores CompareWithOracle(std::vector<std::pair<DocIndex, DocIndex>> lsh,
                               std::vector<std::pair<DocIndex, DocIndex>> oracle);

struct Evaluation {
  int64_t documents = 0;
  int64_t true_groups = 0;
  int64_t predicted_clusters = 0;
  PairScores pairs;
  double adjusted_rand_index = 0;
  std::vector<KindRecall> by_kind;   // Sorted by kind; originals excluded.
  std::vector<KindPairRecall> pair_recall_by_kind;  // Sorted by kind; originals included.
  int64_t merged_original_pairs = 0;  // Pairs of distinct originals in one cluster.
  int64_t originals = 0;
  std::optional<OracleScores> oracle;
};

// Fails with NotFound naming the first document id missing from `truth`.
absl::StatusOr<Evaluation> Evaluate(const ClusterResult& result, const GroundTruth& truth);

void WriteEvaluation(const Evaluation& e, bool json, std::ostream& out);

// Reads a clustering from a TSV file whose header names the columns "id" and "cluster"
// (the report format of `dedup cluster --format tsv` and `dedup index export --format
// tsv`; ids are unescaped as report.h escapes them). Cluster labels may be any strings;
// clusters are numbered by first appearance. Only the ids and clusters are filled in.
// Errors name the file and line: a missing column, a wrong field count, a duplicate id.
absl::StatusOr<ClusterResult> ReadClusterAssignment(const std::string& path);

}  // namespace dedup

#endif  // DEDUP_EVAL_H_
