#include "dedup/cluster.h"

#include <utility>

#include "absl/strings/str_format.h"
#include "dedup/status_macros.h"

namespace dedup {

absl::StatusOr<std::unique_ptr<Clusterer>> Clusterer::Create(const ClusterOptions& options,
                                                             int num_perm) {
  if (!(options.threshold >= 0.0 && options.threshold <= 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("threshold %g is out of range [0, 1]", options.threshold));
  }
  if (num_perm < 1) return absl::InvalidArgumentError(absl::StrFormat("num_perm %d < 1", num_perm));
  LshParams lsh;
  std::unique_ptr<CandidateIndex> index;
  if (options.exact) {
    index = std::make_unique<BruteForceIndex>(options.threshold);
  } else {
    if (options.lsh.has_value()) {
      lsh = *options.lsh;
    } else {
      // The S-curve optimiser needs an open interval; at the extremes, use its limits.
      double t = std::clamp(options.threshold, 0.01, 0.99);
      DEDUP_ASSIGN_OR_RETURN(lsh, OptimalLshParams(t, num_perm));
    }
    DEDUP_ASSIGN_OR_RETURN(index, LshIndex::Create(lsh, num_perm));
  }
  return std::unique_ptr<Clusterer>(new Clusterer(options, num_perm, lsh, std::move(index)));
}

DocIndex Clusterer::Find(DocIndex x) {
  while (parent_[x] != x) {
    parent_[x] = parent_[parent_[x]];  // Path halving.
    x = parent_[x];
  }
  return x;
}

double Clusterer::Similarity(DocIndex a, DocIndex b) const {
  if (options_.exact) return ExactJaccard(shingles_[a], shingles_[b]);
  return SignatureSimilarity(&signatures_[static_cast<size_t>(a) * num_perm_],
                             &signatures_[static_cast<size_t>(b) * num_perm_], num_perm_);
}

DocIndex Clusterer::Add(std::string id, std::string snippet, SketchedDocument sketch) {
  const DocIndex doc = static_cast<DocIndex>(docs_.size());
  DEDUP_CHECK(sketch.signature.size() == num_perm_);
  ++stats_.documents;
  if (sketch.num_shingles == 0) ++stats_.empty_documents;
  parent_.push_back(doc);
  auto values = sketch.signature.values();
  signatures_.insert(signatures_.end(), values.begin(), values.end());
  if (options_.exact) shingles_.push_back(sketch.shingles);
  docs_.push_back(DocumentResult{.id = std::move(id), .snippet = std::move(snippet)});

  candidates_.clear();
  index_->Query(sketch, &candidates_);
  stats_.candidate_pairs += static_cast<int64_t>(candidates_.size());
  for (DocIndex other : candidates_) {
    if (Similarity(doc, other) < options_.threshold) continue;
    ++stats_.verified_pairs;
    if (options_.record_pairs) verified_pairs_.emplace_back(other, doc);
    DocIndex a = Find(doc), b = Find(other);
    if (a == b) continue;
    // The smaller input position becomes the root, so a root is its cluster's
    // first document: the representative.
    if (a < b) std::swap(a, b);
    parent_[a] = b;
  }
  index_->Insert(doc, sketch);
  return doc;
}

ClusterResult Clusterer::Finish() {
  ClusterResult result;
  const DocIndex n = static_cast<DocIndex>(docs_.size());
  std::vector<uint32_t> cluster_of_root(n, 0);
  for (DocIndex d = 0; d < n; ++d) {
    DocIndex root = Find(d);
    DocumentResult& r = docs_[d];
    r.representative = root;
    if (root == d) {
      // Roots are met in input order, so cluster numbers follow representatives' order.
      cluster_of_root[d] = static_cast<uint32_t>(result.clusters.size());
      result.clusters.emplace_back();
      r.similarity = 1.0;
    } else {
      r.similarity = Similarity(d, root);
      ++stats_.duplicates;
    }
    r.cluster = cluster_of_root[root];
    result.clusters[r.cluster].push_back(d);
  }
  stats_.clusters = static_cast<int64_t>(result.clusters.size());
  for (const auto& c : result.clusters) stats_.duplicate_clusters += c.size() > 1;
  result.documents = std::move(docs_);
  result.stats = stats_;
  result.lsh = lsh_params_;
  result.verified_pairs = std::move(verified_pairs_);
  return result;
}

}  // namespace dedup
