#include "dedup/story_eval.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"
#include "dedup/report.h"

namespace dedup {

absl::StatusOr<StoryEvaluation> EvaluateStories(const ClusterResult& result, const GroundTruth& truth) {
  if (result.stories.empty() && !result.documents.empty()) {
    return absl::FailedPreconditionError("the clustering has no stories (run with --stories)");
  }
  if (!truth.has_stories()) return absl::FailedPreconditionError("the truth file has no \"story\" column");
  StoryEvaluation e;
  const size_t n = result.documents.size();
  e.documents = static_cast<int64_t>(n);
  std::vector<uint32_t> predicted(n), actual(n);
  std::map<std::string, uint32_t> story_number;  // Ordered: deterministic numbering.
  std::vector<std::string> story_kind;
  std::vector<std::string> story_name;
  for (size_t d = 0; d < n; ++d) {
    const TruthRecord* t = truth.Find(result.documents[d].id);
    if (t == nullptr) {
      return absl::NotFoundError(absl::StrFormat("document \"%s\" is not in the truth file", result.documents[d].id));
    }
    auto [it, inserted] = story_number.try_emplace(t->story, static_cast<uint32_t>(story_name.size()));
    if (inserted) {
      story_name.push_back(t->story);
      story_kind.push_back(t->story_kind);
    }
    actual[d] = it->second;
    predicted[d] = result.stories[result.documents[d].cluster];
  }
  e.pairs = ScorePairs(predicted, actual);
  // Contingency table: (predicted, true) -> count.
  std::map<std::pair<uint32_t, uint32_t>, int64_t> cells;
  absl::flat_hash_map<uint32_t, int64_t> a, b;
  for (size_t d = 0; d < n; ++d) {
    ++cells[{predicted[d], actual[d]}];
    ++a[predicted[d]];
    ++b[actual[d]];
  }
  e.true_stories = static_cast<int64_t>(b.size());
  e.predicted_stories = static_cast<int64_t>(a.size());
  if (n > 0) {
    double p = 0, r = 0;
    for (const auto& [key, count] : cells) {
      const double sq = static_cast<double>(count) * static_cast<double>(count);
      p += sq / static_cast<double>(a[key.first]);
      r += sq / static_cast<double>(b[key.second]);
    }
    e.bcubed_precision = p / static_cast<double>(n);
    e.bcubed_recall = r / static_cast<double>(n);
    e.bcubed_f1 = 2 * e.bcubed_precision * e.bcubed_recall / (e.bcubed_precision + e.bcubed_recall);
  }
  // Same-kind merges: per predicted story, its true stories with a kind.
  std::map<uint32_t, std::vector<uint32_t>> true_in;
  for (const auto& [key, count] : cells) true_in[key.first].push_back(key.second);
  std::set<std::pair<std::string, std::string>> merges;
  for (const auto& [p, stories] : true_in) {
    for (size_t i = 0; i < stories.size(); ++i) {
      for (size_t j = i + 1; j < stories.size(); ++j) {
        const std::string& ki = story_kind[stories[i]];
        if (ki.empty() || ki != story_kind[stories[j]]) continue;
        merges.insert(std::minmax(story_name[stories[i]], story_name[stories[j]]));
      }
    }
  }
  e.same_kind_merges.assign(merges.begin(), merges.end());
  return e;
}

void WriteStoryEvaluation(const StoryEvaluation& e, bool json, std::ostream& out) {
  if (json) {
    out << absl::StrFormat(
        "{\"documents\": %d, \"true_stories\": %d, \"predicted_stories\": %d,\n"
        " \"pairwise\": {\"precision\": %.6f, \"recall\": %.6f, \"f1\": %.6f, \"true_positives\": %d, "
        "\"predicted_pairs\": %d, \"true_pairs\": %d},\n"
        " \"bcubed\": {\"precision\": %.6f, \"recall\": %.6f, \"f1\": %.6f},\n \"same_kind_merges\": [",
        e.documents, e.true_stories, e.predicted_stories, e.pairs.precision, e.pairs.recall, e.pairs.f1,
        e.pairs.true_positives, e.pairs.predicted_pairs, e.pairs.true_pairs, e.bcubed_precision, e.bcubed_recall,
        e.bcubed_f1);
    for (size_t i = 0; i < e.same_kind_merges.size(); ++i) {
      out << (i ? ", " : "") << "[" << JsonQuote(e.same_kind_merges[i].first) << ", "
          << JsonQuote(e.same_kind_merges[i].second) << "]";
    }
    out << "]}\n";
    return;
  }
  out << absl::StrFormat("stories: %d documents, %d labelled stories, %d predicted\n", e.documents, e.true_stories,
                         e.predicted_stories);
  out << absl::StrFormat("  pairwise  precision %.4f  recall %.4f  F1 %.4f  (%d of %d predicted pairs true, %d true pairs)\n",
                         e.pairs.precision, e.pairs.recall, e.pairs.f1, e.pairs.true_positives,
                         e.pairs.predicted_pairs, e.pairs.true_pairs);
  out << absl::StrFormat("  B-cubed   precision %.4f  recall %.4f  F1 %.4f\n", e.bcubed_precision, e.bcubed_recall,
                         e.bcubed_f1);
  out << absl::StrFormat("  same-kind merges (two labelled events of one kind in one story): %d\n",
                         e.same_kind_merges.size());
  for (const auto& [x, y] : e.same_kind_merges) out << "    " << x << " + " << y << "\n";
}

}  // namespace dedup
