#include "dedup/verify.h"

#include <algorithm>
#include <cmath>
#include <cstring>

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

namespace {
// Slots i with a[i] == b[i] and with a[i] < b[i]: loads through memcpy, so that packed
// (byte) signatures can be read in place; the loop vectorizes.
template <typename LoadA, typename LoadB>
PairEstimate Ordered(LoadA load_a, LoadB load_b, uint32_t n_a, uint32_t n_b, int k) {
  if (n_a == 0 || n_b == 0 || k <= 0) return {};
  int equal = 0, a_less = 0, b_less = 0;
  for (int i = 0; i < k; ++i) {
    const uint32_t x = load_a(i), y = load_b(i);
    equal += x == y;
    a_less += x < y;
    b_less += y < x;
  }
  PairEstimate e;
  e.jaccard = static_cast<double>(equal) / k;
  e.jaccard_se = JaccardStandardError(e.jaccard, k, 32);
  e.a_slots = equal + a_less;
  e.b_slots = equal + b_less;
  e.a_in_b = e.a_slots > 0 ? static_cast<double>(equal) / e.a_slots : 0.0;
  e.b_in_a = e.b_slots > 0 ? static_cast<double>(equal) / e.b_slots : 0.0;
  return e;
}
}  // namespace

PairEstimate EstimateOrderedPair(const uint32_t* sig_a, uint32_t n_a, const uint32_t* sig_b, uint32_t n_b, int k) {
  return Ordered([sig_a](int i) { return sig_a[i]; }, [sig_b](int i) { return sig_b[i]; }, n_a, n_b, k);
}

PairEstimate EstimateOrderedPackedPair(const uint8_t* sig_a, uint32_t n_a, const uint8_t* sig_b, uint32_t n_b,
                                       int k) {
  auto load = [](const uint8_t* p) {
    return [p](int i) {
      uint32_t v;
      std::memcpy(&v, p + 4 * static_cast<size_t>(i), 4);
      return v;
    };
  };
  return Ordered(load(sig_a), load(sig_b), n_a, n_b, k);
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
  // c = 2^-b, so the corrected estimate's variance is P(1-P) / (k (1-c)^2) with
  // P = c + (1-c)J, i.e. (1-J)(c + J(1-c)) / (k (1-c)): PackedStandardError.
  return PackedStandardError(j, k, bits);
}

double ContainmentLowerBound(const PairEstimate& e, uint32_t n_a, uint32_t n_b, bool a_in_b, double z) {
  const double c = a_in_b ? e.a_in_b : e.b_in_a;
  const int slots = a_in_b ? e.a_slots : e.b_slots;
  if (slots > 0) {
    // Wilson score lower bound of a binomial proportion c over `slots` trials.
    const double m = slots, z2 = z * z;
    return (c + z2 / (2 * m) - z * std::sqrt(c * (1 - c) / m + z2 / (4 * m * m))) / (1 + z2 / m);
  }
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
  const MatchKind contained = a_smaller ? MatchKind::kAContainedInB : MatchKind::kBContainedInA;
  const double bound = ContainmentLowerBound(e, n_a, n_b, a_smaller, options.containment_z);
  if (static_cast<double>(small) >= options.min_containment_ratio * large &&
      bound >= options.containment_threshold) {
    return contained;
  }
  // An opening excerpt: a shorter share of the larger document, starting where it starts.
  if (options.opening_threshold > 0.0 && e.opening >= options.opening_threshold &&
      static_cast<double>(small) >= options.opening_min_ratio * large && bound >= options.opening_containment) {
    return contained;
  }
  return MatchKind::kNone;
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
