// Stories: different articles about one event, grouped above the duplicate clusters.
//
// A story is a set of duplicate clusters (cluster.h); every cluster belongs to exactly
// one story. Each cluster takes part through one representative -- its canonical
// member -- so that 200 syndicated copies of one report weigh as much as one report:
// GroupStories() is given one StoryDocument per cluster, with the representative's
// features (story_terms.h) and publication time.
//
// Representation. Over the n representatives, a key k (a term or an entity) has
// document frequency df(k) and inverse document frequency (smoothed, as scikit-learn's)
//     idf(k) = ln((1 + n) / (1 + df(k))) + 1.
// A representative with count c(k) in its lead has the log-tf IDF weight
//     w(k) = (1 + ln c(k)) * idf(k),
// and two unit vectors: t, its term weights divided by their L2 norm, and e, its entity
// weights (names, multi-word names, numbers and dates) divided by theirs.
//
// Similarity of representatives a and b, with Gaussian time decay (Miranda et al., EMNLP
// 2018: sigma = 3 days) when both publication times are known (else 1):
//     d(a, b) = exp(-(t_a - t_b)^2 / (2 sigma^2)),
//     S_t = d * cos(t_a, t_b),   S_e = d * cos(e_a, e_b).
//
// Decision (separate from the score). a and b may join one story only if
//     S_t >= term_threshold  AND  S_e >= entity_threshold.
// The words of two earthquakes, or of two companies cutting prices, agree (S_t high),
// but their names, places, magnitudes, prices and dates do not (S_e low): the entity
// test keeps events of the same kind apart; the term test keeps apart articles that
// merely mention the same names (a minister in two unrelated stories).
//
// Candidates, never all pairs. Each representative's keys_per_document heaviest keys
// (by w, ties by key) index it in an inverted index, except keys found in only one
// representative or in more than max(kMinKeyCap, max_key_share * n) of them (so common
// that they say nothing). Each posting list is sorted by (publication time, position); a
// representative is paired with the key_window entries before it in each of its lists,
// of those no further away in time than the decay allows to pass (d >= term_threshold:
// |t_a - t_b| <= sigma sqrt(2 ln(1 / term_threshold))). Representatives without a time
// are paired only with each other. A pair is a candidate when it meets that way in at
// least min_shared_keys lists (shares that many indexed keys): one shared word is no
// evidence of one event. The order (time, position) is the same in every list, so each
// pair is found from its later member, whose earlier entries are gathered, counted and
// scored per representative, in parallel. Cost: O(n * keys_per_document * key_window)
// entries gathered, each candidate scored by one merge of two feature lists (<= 96
// entries each).
//
// Clustering. The pairs that pass the decision are sorted by score (S_t + S_e)/2, best
// first (ties: by the pair's positions) and merged with union-find, each merge of two
// stories A and B also required to pass the decision between the stories' centroids
// (the sums of their members' t and e vectors, kept to their kCentroidKeys heaviest
// entries): cos(T_A, T_B) >= term_threshold and cos(E_A, E_B) >= entity_threshold. Pure
// single linkage would chain one event into the next through one ambiguous pair; the
// centroid test makes the story agree as a whole (as the centroid join of Miranda et al.),
// and sorting the pairs makes the result independent of the order in which they were
// found. The result depends only on the representatives' features, times and positions:
// deterministic, and independent of the thread count.
//
// Stories are numbered 0, 1, 2, ... in the order of their first representative (the
// first cluster, hence -- clusters being numbered so -- the first document in input
// order).
//
// Example:
//   std::vector<dedup::StoryDocument> reps = ...;  // one per cluster, by cluster number
//   dedup::StoryResult s = dedup::GroupStories(reps, dedup::StoryOptions{});
//   // s.story[c] is cluster c's story.
#ifndef DEDUP_STORY_H_
#define DEDUP_STORY_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "dedup/cluster.h"
#include "dedup/document.h"
#include "dedup/story_terms.h"

namespace dedup {

inline constexpr size_t kCentroidKeys = 256;
// A key is never too common to index while it is in at most this many representatives
// (max_key_share of a small corpus would exclude every shared key).
inline constexpr size_t kMinKeyCap = 100;

// Every option with its default and meaning (see above for the rule).
struct StoryOptions {
  double term_threshold = 0.2;     // S_t needed to join, in (0, 1].
  double entity_threshold = 0.4;   // S_e needed to join, in [0, 1].
  double time_sigma_days = 3.0;    // Gaussian decay's sigma, > 0.
  int keys_per_document = 8;       // Inverted-index keys per representative, >= 1.
  int key_window = 16;             // Earlier entries of a posting list paired, >= 1.
  int min_shared_keys = 2;         // Indexed keys a candidate pair must share, >= 1.
  double max_key_share = 0.05;     // A key in more than this share is not indexed, (0, 1].
};

// InvalidArgument naming the option and value.
absl::Status ValidateStoryOptions(const StoryOptions& options);

struct StoryDocument {
  const StoryFeatures* features = nullptr;  // story_terms.h; not null.
  int64_t published = kNoTime;              // Unix seconds, or kNoTime.
};

struct StoryStats {
  int64_t candidate_pairs = 0;  // Distinct pairs scored.
  int64_t joinable_pairs = 0;   // Pairs passing the decision.
  int64_t stories = 0;
};

struct StoryResult {
  std::vector<uint32_t> story;  // Per StoryDocument, its story number.
  StoryStats stats;
};

// Groups the documents into stories (see above). Options must be valid. Cost: near
// linear, O(n (keys_per_document key_window + features)) plus sorting the pairs.
// Runs on the oneTBB threads of the caller's task arena; the result does not depend on
// their number.
StoryResult GroupStories(const std::vector<StoryDocument>& docs, const StoryOptions& options);

// The story tier of a batch run: takes each cluster's representative's features from
// `features` (by input position, one per document of *clusters), groups the clusters
// with GroupStories() and fills clusters->stories. Frees `features`.
StoryStats GroupClusterStories(std::vector<StoryFeatures>& features, const StoryOptions& options,
                               ClusterResult* clusters);

// S_t and S_e of documents a and b of `docs`, as GroupStories() computes them (IDF
// learned from all of `docs`): for tests and diagnostics. Cost: one GroupStories() weighing.
struct StoryScore {
  double term = 0;    // S_t.
  double entity = 0;  // S_e.
};
StoryScore ScoreStoryPair(const std::vector<StoryDocument>& docs, size_t a, size_t b,
                          const StoryOptions& options);

}  // namespace dedup

#endif  // DEDUP_STORY_H_
