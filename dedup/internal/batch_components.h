// BatchComponents: re-clustering a set of stored documents of the ingestion index by one
// batch run (used by removals, re-examinations and `dedup index verify`).
#ifndef DEDUP_INTERNAL_BATCH_COMPONENTS_H_
#define DEDUP_INTERNAL_BATCH_COMPONENTS_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "dedup/cluster.h"
#include "dedup/ingest_index.h"
#include "dedup/status_macros.h"
#include "oneapi/tbb/task_arena.h"

namespace dedup::internal {

// Re-clustering a set of stored documents, in insertion order, as a batch run does.
//
// Copies (internal/copy_classes.h) are one component: class[i] names document i's copy
// class (equal for copies, distinct otherwise), and only each class's earliest member
// enters a batch run (a Clusterer with the index's match options, clustering.h) over
// sketch(i). Returns, for each document, the position of the earliest document of its
// component. Cost: a batch run over the classes' earliest members -- O(n) per band for
// n documents in one run that match (cluster.h, "Giant runs"), not n^2 / 2 verifications.
template <typename ClassOf, typename SketchOf>
absl::StatusOr<std::vector<uint32_t>> BatchComponents(const IndexParams& params, int threads, size_t n,
                                                      ClassOf class_of, SketchOf sketch_of) {
  std::vector<uint32_t> first(n), firsts;
  {
    absl::flat_hash_map<int64_t, uint32_t> first_of_class;
    for (uint32_t i = 0; i < n; ++i) {
      auto [f, is_first] = first_of_class.try_emplace(class_of(i), i);
      first[i] = f->second;
      if (is_first) firsts.push_back(i);
    }
  }
  if (firsts.size() <= 1) return first;  // One class, or none: one component.
  ClusterOptions options = ClusterOptionsFor(params);
  options.opening_threshold = 0;
  options.ordered_slots = false;
  DEDUP_ASSIGN_OR_RETURN(std::unique_ptr<Clusterer> clusterer, Clusterer::Create(options, params.sketch.num_perm));
  for (uint32_t f : firsts) clusterer->Add("", "", sketch_of(f));
  ClusterResult result;
  tbb::task_arena arena(threads > 0 ? threads : tbb::info::default_concurrency());
  arena.execute([&] { result = clusterer->Finish(); });
  // The earliest first of each batch cluster (firsts ascend), then every document's.
  std::vector<uint32_t> root_of_cluster(firsts.size(), UINT32_MAX);
  std::vector<uint32_t> root(n);
  absl::flat_hash_map<uint32_t, uint32_t> position_of_first;
  for (uint32_t j = 0; j < firsts.size(); ++j) {
    uint32_t& r = root_of_cluster[result.documents[j].cluster];
    if (r == UINT32_MAX) r = firsts[j];
    position_of_first.emplace(firsts[j], j);
  }
  for (uint32_t i = 0; i < n; ++i) root[i] = root_of_cluster[result.documents[position_of_first.at(first[i])].cluster];
  return root;
}


}  // namespace dedup::internal

#endif  // DEDUP_INTERNAL_BATCH_COMPONENTS_H_
