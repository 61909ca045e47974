// Verification: is a candidate pair a near-duplicate, an excerpt, or neither?
//
// Two documents A and B match when either
//   - their Jaccard similarity J = |A ∩ B| / |A ∪ B| is >= `threshold` (near-duplicates:
//     the same article with other chrome, typos, a dropped paragraph), or
//   - one is contained in the other: C(A in B) = |A ∩ B| / |A| >= `containment_threshold`,
//     where A is the smaller document, has at least `min_containment_shingles` shingles,
//     and is at least `min_containment_ratio` of B's size (a truncated copy or an
//     excerpt: "A is a 60% excerpt of B").
// Containment is estimated from the MinHash estimate of J and the exact distinct
// shingle counts: C^ = J^ (|A| + |B|) / ((1 + J^) |A|). By the delta method its standard
// error is SE(C^) = SE(J^) · (|A| + |B|) / ((1 + J^)^2 |A|), with SE(J^) = sqrt(J(1-J)/K)
// (32-bit slots; b-bit slots in JaccardStandardError): at K = 128 that is 1.4x SE(J) for
// equal sizes but 4.6x when A is a quarter of B (J 0.19, SE(C^) 0.16). An excerpt is
// therefore accepted only when the estimate's lower bound C^ - z · SE(C^) (z =
// `containment_z`, default 2: one-sided 97.7%) reaches `containment_threshold`: among the
// thousands of candidate pairs of a corpus, unrelated documents of a formulaic language
// would otherwise pass by the tail of the estimate (seen: exact C 0.48 estimated 0.68).
// `exact` has SE 0, so there the bound is C itself.
//
// LSH has to find excerpt pairs too, although their Jaccard is low: a document that is
// fully contained (C = c) in one ρ times its size has J = cρ / (1 + ρ − cρ), so
// CandidateThreshold() aims the banding at min(threshold, J(c_t, ρ_min)).
//
// Example:
//   dedup::MatchOptions m{.threshold = 0.7, .containment_threshold = 0.8};
//   dedup::PairEstimate e = dedup::EstimatePair(sig_a, n_a, sig_b, n_b, 128);
//   if (dedup::Classify(e, n_a, n_b, m) != dedup::MatchKind::kNone) { ... }
#ifndef DEDUP_VERIFY_H_
#define DEDUP_VERIFY_H_

#include <cstdint>
#include <string_view>
#include <vector>

namespace dedup {

struct MatchOptions {
  double threshold = 0.7;               // Jaccard, in [0, 1].
  double containment_threshold = 0.0;   // In [0, 1]; 0 disables containment matching.
  uint32_t min_containment_shingles = 20;
  double min_containment_ratio = 0.5;   // Smaller / larger shingle count, in (0, 1].
  double containment_z = 2.0;           // Standard errors the containment estimate must clear.
};

struct PairEstimate {
  double jaccard = 0;
  double a_in_b = 0;      // |A ∩ B| / |A|
  double b_in_a = 0;      // |A ∩ B| / |B|
  double jaccard_se = 0;  // Standard error of `jaccard` (0 when exact).
};

enum class MatchKind {
  kNone,
  kSimilar,        // Jaccard >= threshold.
  kAContainedInB,  // A is an excerpt of B.
  kBContainedInA,  // B is an excerpt of A.
};

// "none", "similar", "a-in-b", "b-in-a".
std::string_view MatchKindName(MatchKind kind);

// From two K-slot signatures and the documents' distinct shingle counts.
PairEstimate EstimatePair(const uint32_t* sig_a, uint32_t n_a, const uint32_t* sig_b, uint32_t n_b, int k);
// The same from b-bit packed signatures (minhash.h: PackSignature, PackedSimilarity).
PairEstimate EstimatePackedPair(const uint8_t* sig_a, uint32_t n_a, const uint8_t* sig_b, uint32_t n_b, int k,
                                int bits);
// Exact, from sorted unique shingle sets.
PairEstimate ExactPair(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b);

// SE of a Jaccard estimate from K slots of `bits` bits (32: sqrt(J(1-J)/K)).
double JaccardStandardError(double j, int k, int bits);
// C^ - z · SE(C^) of the containment of A in B (`a_in_b`) or of B in A.
double ContainmentLowerBound(const PairEstimate& e, uint32_t n_a, uint32_t n_b, bool a_in_b, double z);

// Decides a pair. Empty documents (n = 0) never match.
MatchKind Classify(const PairEstimate& e, uint32_t n_a, uint32_t n_b, const MatchOptions& options);

// The Jaccard similarity LSH candidate generation should aim at (see above).
double CandidateThreshold(const MatchOptions& options);

}  // namespace dedup

#endif  // DEDUP_VERIFY_H_
