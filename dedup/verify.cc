#include "dedup/verify.h"

#include <algorithm>

#include "dedup/minhash.h"
#include "dedup/shingle.h"

namespace dedup {

std::string_view MatchKindName(MatchKind kind) {
  switch (kind) {
    case MatchKind::kNone: return "none";
    case MatchKind::kSimilar: return "similar";
    case MatchKind::kAContainedInB: return "a-in-b";
    case MatchKind::kBContainedInA: return "b-in-a";
  }
  return "none";
}

namespace {
PairEstimate FromJaccard(double j, double n_a, double n_b) {
  PairEstimate e;
  e.jaccard = j;
  if (n_a <= 0 || n_b <= 0) return e;
  const double common = j * (n_a + n_b) / (1.0 + j);
  e.a_in_b = std::min(1.0, common / n_a);
  e.b_in_a = std::min(1.0, common / n_b);
  return e;
}
}  // namespace

PairEstimate EstimatePair(const uint32_t* sig_a, uint32_t n_a, const uint32_t* sig_b, uint32_t n_b, int k) {
  if (n_a == 0 || n_b == 0) return {};
  return FromJaccard(SignatureSimilarity(sig_a, sig_b, k), n_a, n_b);
}

PairEstimate EstimatePackedPair(const uint8_t* sig_a, uint32_t n_a, const uint8_t* sig_b, uint32_t n_b, int k,
                                int bits) {
  if (n_a == 0 || n_b == 0) return {};
  return FromJaccard(PackedSimilarity(sig_a, sig_b, k, bits), n_a, n_b);
}

PairEstimate ExactPair(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  PairEstimate e;
  if (a.empty() || b.empty()) return e;
  const double common = static_cast<double>(IntersectionSize(a, b));
  e.jaccard = ExactJaccard(a, b);
  e.a_in_b = common / static_cast<double>(a.size());
  e.b_in_a = common / static_cast<double>(b.size());
  return e;
}

MatchKind Classify(const PairEstimate& e, uint32_t n_a, uint32_t n_b, const MatchOptions& options) {
  if (n_a == 0 || n_b == 0) return MatchKind::kNone;
  if (e.jaccard >= options.threshold) return MatchKind::kSimilar;
  if (options.containment_threshold <= 0.0) return MatchKind::kNone;
  const bool a_smaller = n_a <= n_b;
  const uint32_t small = a_smaller ? n_a : n_b, large = a_smaller ? n_b : n_a;
  if (small < options.min_containment_shingles) return MatchKind::kNone;
  if (static_cast<double>(small) < options.min_containment_ratio * large) return MatchKind::kNone;
  const double c = a_smaller ? e.a_in_b : e.b_in_a;
  if (c < options.containment_threshold) return MatchKind::kNone;
  return a_smaller ? MatchKind::kAContainedInB : MatchKind::kBContainedInA;
}

double CandidateThreshold(const MatchOptions& options) {
  double t = options.threshold;
  if (options.containment_threshold > 0.0) {
    const double c = options.containment_threshold, rho = options.min_containment_ratio;
    t = std::min(t, c * rho / (1.0 + rho - c * rho));
  }
  return t;
}

}  // namespace dedup
