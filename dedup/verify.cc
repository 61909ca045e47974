#include "dedup/verify.h"

#include <algorithm>
#include <cmath>

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
PairEstimate FromJaccard(double j, double n_a, double n_b, double se) {
  PairEstimate e;
  e.jaccard = j;
  e.jaccard_se = se;
  if (n_a <= 0 || n_b <= 0) return e;
  const double common = j * (n_a + n_b) / (1.0 + j);
  e.a_in_b = std::min(1.0, common / n_a);
  e.b_in_a = std::min(1.0, common / n_b);
  return e;
}
}  // namespace

PairEstimate EstimatePair(const uint32_t* sig_a, uint32_t n_a, const uint32_t* sig_b, uint32_t n_b, int k) {
  if (n_a == 0 || n_b == 0) return {};
  const double j = SignatureSimilarity(sig_a, sig_b, k);
  return FromJaccard(j, n_a, n_b, JaccardStandardError(j, k, 32));
}

PairEstimate EstimatePackedPair(const uint8_t* sig_a, uint32_t n_a, const uint8_t* sig_b, uint32_t n_b, int k,
                                int bits) {
  if (n_a == 0 || n_b == 0) return {};
  const double j = PackedSimilarity(sig_a, sig_b, k, bits);
  return FromJaccard(j, n_a, n_b, JaccardStandardError(j, k, bits));
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

double JaccardStandardError(double j, int k, int bits) {
  if (k <= 0) return 0;
  j = std::clamp(j, 0.0, 1.0);
  // b-bit minwise hashing (Li & König 2010): slots agree by chance with probability
  // c = 2^-b, so the corrected estimate's variance is (1-J)(c + J(1-c)) / (k (1-c)^2).
  const double c = bits >= 32 ? 0.0 : std::ldexp(1.0, -bits);
  return std::sqrt((1 - j) * (c + j * (1 - c)) / (k * (1 - c) * (1 - c)));
}

double ContainmentLowerBound(const PairEstimate& e, uint32_t n_a, uint32_t n_b, bool a_in_b, double z) {
  const double c = a_in_b ? e.a_in_b : e.b_in_a;
  const double n_small = a_in_b ? n_a : n_b;
  if (n_small <= 0) return 0;
  const double j = e.jaccard;
  const double se = e.jaccard_se * (static_cast<double>(n_a) + n_b) / ((1 + j) * (1 + j) * n_small);
  return c - z * se;
}

MatchKind Classify(const PairEstimate& e, uint32_t n_a, uint32_t n_b, const MatchOptions& options) {
  if (n_a == 0 || n_b == 0) return MatchKind::kNone;
  if (e.jaccard >= options.threshold) return MatchKind::kSimilar;
  if (options.containment_threshold <= 0.0) return MatchKind::kNone;
  const bool a_smaller = n_a <= n_b;
  const uint32_t small = a_smaller ? n_a : n_b, large = a_smaller ? n_b : n_a;
  if (small < options.min_containment_shingles) return MatchKind::kNone;
  if (static_cast<double>(small) < options.min_containment_ratio * large) return MatchKind::kNone;
  if (ContainmentLowerBound(e, n_a, n_b, a_smaller, options.containment_z) < options.containment_threshold) {
    return MatchKind::kNone;
  }
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
