// Evaluation of stories (story.h) against labelled events.
//
// The truth file (eval.h, GroundTruth) names each document's `story` (the labelled
// event) and optionally its `story_kind` (earthquake, takeover, ...). A document's
// predicted story is its cluster's (ClusterResult::stories). With n documents,
// predicted stories i, true stories j and the contingency table n_ij (a_i = Σ_j n_ij,
// b_j = Σ_i n_ij):
//   - pairwise precision, recall, F1 over pairs of documents (eval.h, ScorePairs):
//       P = Σ C(n_ij,2) / Σ C(a_i,2),  R = Σ C(n_ij,2) / Σ C(b_j,2);
//     every document counts, copies included: a story with 200 copies weighs its pairs;
//   - B-cubed (Bagga & Baldwin 1998), the mean over documents of the share of its
//     predicted story that is in its true story, and of its true story that is in its
//     predicted story:
//       P = (1/n) Σ_ij n_ij^2 / a_i,  R = (1/n) Σ_ij n_ij^2 / b_j,  F1 = 2PR / (P + R);
//   - same-kind merges: pairs of different true stories of one non-empty story_kind
//     that share a predicted story (two earthquakes in one story), each listed.
//
// Example:
//   auto e = dedup::EvaluateStories(result.clusters, truth);
//   dedup::WriteStoryEvaluation(*e, /*json=*/false, std::cout);
#ifndef DEDUP_STORY_EVAL_H_
#define DEDUP_STORY_EVAL_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "dedup/cluster.h"
#include "dedup/eval.h"

namespace dedup {

struct StoryEvaluation {
  int64_t documents = 0;
  int64_t true_stories = 0;
  int64_t predicted_stories = 0;
  PairScores pairs;
  double bcubed_precision = 1.0;
  double bcubed_recall = 1.0;
  double bcubed_f1 = 1.0;
  // Pairs (sorted, each sorted) of different true stories of one story_kind placed in
  // one predicted story.
  std::vector<std::pair<std::string, std::string>> same_kind_merges;
};

// FailedPrecondition if `result` has no stories or `truth` no story column; NotFound
// naming the first document id missing from `truth`.
absl::StatusOr<StoryEvaluation> EvaluateStories(const ClusterResult& result, const GroundTruth& truth);

// Text (for people) or JSON: {"documents":…, "true_stories":…, "predicted_stories":…,
// "pairwise": {"precision":…, "recall":…, "f1":…}, "bcubed": {"precision":…,
// "recall":…, "f1":…}, "same_kind_merges": [[a, b], …]}.
void WriteStoryEvaluation(const StoryEvaluation& e, bool json, std::ostream& out);

}  // namespace dedup

#endif  // DEDUP_STORY_EVAL_H_
