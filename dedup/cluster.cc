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
  if (!ValidSignatureBits(options.signature_bits)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("signature bits %d: expected 8, 16 or 32", options.signature_bits));
  }
  if (!(options.containment_threshold >= 0.0 && options.containment_threshold <= 1.0)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "containment threshold %g is out of range [0, 1]", options.containment_threshold));
  }
  if (!(options.min_containment_ratio > 0.0 && options.min_containment_ratio <= 1.0)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "minimum containment size ratio %g is out of range (0, 1]", options.min_containment_ratio));
  }
  LshParams lsh;
  std::unique_ptr<CandidateIndex> index;
  const MatchOptions m{options.threshold, options.containment_threshold, options.min_containment_shingles,
                       options.min_containment_ratio};
  if (options.exact) {
    // Every pair the rules can accept has Jaccard >= CandidateThreshold (verify.h).
    index = std::make_unique<BruteForceIndex>(CandidateThreshold(m));
  } else {
    if (options.lsh.has_value()) {
      lsh = *options.lsh;
    } else {
      // The S-curve optimiser needs an open interval; at the extremes, use its limits.
      double t = std::clamp(CandidateThreshold(m), 0.01, 0.99);
      DEDUP_ASSIGN_OR_RETURN(lsh, OptimalLshParams(t, num_perm, 1.0 - kCandidateFalseNegativeWeight,
                                                    kCandidateFalseNegativeWeight));
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

std::string_view RelationName(Relation r) {
  switch (r) {
    case Relation::kRepresentative: return "representative";
    case Relation::kSimilar: return "similar";
    case Relation::kExcerpt: return "excerpt";
    case Relation::kExtends: return "extends";
    case Relation::kLinked: return "linked";
  }
  return "linked";
}

PairEstimate Clusterer::Estimate(DocIndex a, DocIndex b) const {
  if (options_.exact) return ExactPair(shingles_[a], shingles_[b]);
  const size_t bytes = PackedSignatureBytes(num_perm_, options_.signature_bits);
  return EstimatePackedPair(&signatures_[a * bytes], docs_[a].num_shingles, &signatures_[b * bytes],
                            docs_[b].num_shingles, num_perm_, options_.signature_bits);
}

bool Clusterer::Better(DocIndex a, DocIndex b) const {
  const DocumentResult& x = docs_[a];
  const DocumentResult& y = docs_[b];
  switch (options_.canonical) {
    case CanonicalRule::kFirst:
      break;
    case CanonicalRule::kEarliest:
      // kNoTime is INT64_MIN: map it past every real time.
      if (x.published != y.published) {
        auto key = [](int64_t t) { return t == kNoTime ? INT64_MAX : t; };
        if (key(x.published) != key(y.published)) return key(x.published) < key(y.published);
      }
      break;
    case CanonicalRule::kLongest:
      if (x.num_shingles != y.num_shingles) return x.num_shingles > y.num_shingles;
      break;
  }
  return a < b;
}

DocIndex Clusterer::Add(std::string id, std::string snippet, SketchedDocument sketch, int64_t published) {
  const DocIndex doc = static_cast<DocIndex>(docs_.size());
  DEDUP_CHECK(sketch.signature.size() == num_perm_);
  ++stats_.documents;
  if (sketch.num_shingles == 0) ++stats_.empty_documents;
  parent_.push_back(doc);
  auto values = sketch.signature.values();
  const size_t bytes = PackedSignatureBytes(num_perm_, options_.signature_bits);
  signatures_.resize(signatures_.size() + bytes);
  PackSignature(values.data(), num_perm_, options_.signature_bits, &signatures_[signatures_.size() - bytes]);
  if (options_.exact) shingles_.push_back(sketch.shingles);
  docs_.push_back(DocumentResult{.id = std::move(id),
                                 .snippet = std::move(snippet),
                                 .published = published,
                                 .num_shingles = sketch.num_shingles});

  candidates_.clear();
  index_->Query(sketch, &candidates_);
  stats_.candidate_pairs += static_cast<int64_t>(candidates_.size());
  for (DocIndex other : candidates_) {
    if (Classify(Estimate(other, doc), docs_[other].num_shingles, docs_[doc].num_shingles, match_) ==
        MatchKind::kNone) {
      continue;
    }
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
  // Clusters, numbered by their first member (the union-find root is the smallest index).
  std::vector<uint32_t> cluster_of_root(n, 0);
  for (DocIndex d = 0; d < n; ++d) {
    DocIndex root = Find(d);
    if (root == d) {
      cluster_of_root[d] = static_cast<uint32_t>(result.clusters.size());
      result.clusters.emplace_back();
    }
    docs_[d].cluster = cluster_of_root[root];
    result.clusters[docs_[d].cluster].push_back(d);
  }
  for (const std::vector<DocIndex>& members : result.clusters) {
    DocIndex rep = members[0];
    for (DocIndex m : members) {
      if (Better(m, rep)) rep = m;
    }
    for (DocIndex m : members) {
      DocumentResult& r = docs_[m];
      r.representative = rep;
      if (m == rep) {
        r.similarity = r.containment = 1.0;
        r.relation = Relation::kRepresentative;
        continue;
      }
      ++stats_.duplicates;
      PairEstimate e = Estimate(m, rep);
      r.similarity = e.jaccard;
      r.containment = e.a_in_b;
      switch (Classify(e, r.num_shingles, docs_[rep].num_shingles, match_)) {
        case MatchKind::kSimilar: r.relation = Relation::kSimilar; break;
        case MatchKind::kAContainedInB: r.relation = Relation::kExcerpt; break;
        case MatchKind::kBContainedInA: r.relation = Relation::kExtends; break;
        case MatchKind::kNone: r.relation = Relation::kLinked; break;
      }
    }
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
