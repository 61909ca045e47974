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
// Ordered slots. When slot i of a signature is the least over the set of a value v_i(x)
// that depends on the element alone (the classic and fss engines at 32 bits; not oph,
// whose densified bins copy other bins' values, nor b-bit slots, whose order is lost),
// the least element m_i of A ∪ B in slot i lies in A ∩ B when the two slots agree, in
// A \ B when A's slot is the smaller, in B \ A when B's is. Each m_i is uniform over
// A ∪ B, so given that it lies in A it is uniform over A and lies in B with probability
// C(A in B). With a_slots = #(slots where m_i ∈ A) = equal + #(A's slot smaller):
//   C^ = equal / a_slots,   equal | a_slots ~ Binomial(a_slots, C)
// (exactly for the classic engine's independent slots; fss samples small sets without
// replacement, which only lowers the variance). E[a_slots] = K |A| / |A ∪ B|, so
// SE(C^) = sqrt(C (1 - C) / a_slots) no longer carries the delta method's factor
// (|A| + |B|) / ((1 + J)^2 |A|): at K = 128, C = 0.8 and A a quarter of B (~30 slots)
// it is 0.073 instead of 0.12 (tests: verify_test). Its lower bound is the Wilson score
// bound of that binomial proportion at the same z,
//   (C^ + z²/2m − z sqrt(C^(1 − C^)/m + z²/4m²)) / (1 + z²/m),   m = a_slots,
// which stays below 1 at C^ = 1 (m / (m + z²)) where a Wald bound would not.
// EstimateOrderedPair() fills a_slots / b_slots; ContainmentLowerBound() then uses them.
//
// Opening excerpts. Below min_containment_ratio the containment estimate alone cannot
// tell a truncated copy (exact C ≥ 0.75 on the hard corpora's `deeptrunc` copies, after
// chrome removal) from a formulaic unrelated text (seen: different Chinese originals
// with exact C 0.56 and 0.73 at a size ratio of 0.26-0.30): both have ~25-35 slots in A.
// What a truncated copy has and such a text has not is the larger document's *opening*
// (opening.h): the smaller document A is an opening excerpt of B when
//   - |A| >= min_containment_shingles and |A| >= opening_min_ratio |B| (0.15: a copy
//     keeping 25% of the paragraphs can keep 15% of the shingles, the lead being short);
//   - the containment of A's opening in B's opening, estimated from the opening
//     signatures' order as above (PairEstimate::opening, 32 slots), is >= opening_threshold
//     (0.6; a truncated copy with 8% of its words edited has ~0.78);
//   - the containment's lower bound (Wilson, z = containment_z) is >= opening_containment
//     (0.5; a 15% excerpt has ~18 slots in A: C^ = 0.83 bounds at 0.61).
// The precision guard is the product of two nearly independent tests, on different
// slots of different sets: an unrelated pair must share most of an 80-shingle opening
// and, over the whole of A, enough to clear a bound its true containment sits below.
// Both estimates are binomial proportions: an opening containment of 0.25 over ~20
// opening slots reaches 0.6 with P(Bin(20, 0.25) >= 12) = 9e-4; the bound 0.5 needs 21
// of 30 slots (or 14 of 18) in B, which a true C of 0.45 gives with P = 0.005 and one of
// 0.3 with P < 4e-5. Measured on the opening join's candidates of four hard corpora of
// 20k documents (420k pairs under a looser join), no pair of different originals passed
// the defaults; loosening the tests let some through (opening 0.5: 1 pair; bound 0.4:
// 1 pair; opening 0.5 and bound 0.4: 8; both 0.4: 15) -- BENCHMARKS.md.
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
  // Opening excerpts (see above); opening_threshold 0 turns them off.
  double opening_threshold = 0.0;       // Opening containment (PairEstimate::opening) needed, in [0, 1].
  double opening_min_ratio = 0.15;      // Smaller / larger shingle count, in (0, 1].
  double opening_containment = 0.5;     // Containment lower bound needed (z = containment_z).
};

struct PairEstimate {
  double jaccard = 0;
  double a_in_b = 0;      // |A ∩ B| / |A|
  double b_in_a = 0;      // |A ∩ B| / |B|
  double jaccard_se = 0;  // Standard error of `jaccard` (0 when exact).
  // With ordered slots (EstimateOrderedPair): the slots whose least element of A ∪ B lies
  // in A (`a_slots`) and in B (`b_slots`); a_in_b is then the share of a_slots that agree,
  // a binomial proportion (see ContainmentLowerBound). 0 for the other estimators.
  int a_slots = 0;
  int b_slots = 0;
  // Estimated containment of the smaller document's opening in the larger's (opening.h),
  // from the opening signatures' order; negative: unknown (no openings).
  double opening = -1;
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
// From two full 32-bit signatures whose slot i is the least over the set of a value
// v_i(x) that depends on the element x alone (the classic and fss engines, not oph,
// whose densified bins copy other bins' values): see "Ordered slots" above.
PairEstimate EstimateOrderedPair(const uint32_t* sig_a, uint32_t n_a, const uint32_t* sig_b, uint32_t n_b, int k);
// The same from 32-bit packed signatures (minhash.h: PackSignature with bits = 32).
PairEstimate EstimateOrderedPackedPair(const uint8_t* sig_a, uint32_t n_a, const uint8_t* sig_b, uint32_t n_b, int k);
// Exact, from sorted unique shingle sets.
PairEstimate ExactPair(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b);

// SE of a Jaccard estimate from K slots of `bits` bits (32: sqrt(J(1-J)/K)).
double JaccardStandardError(double j, int k, int bits);
// The lower bound of the containment of A in B (`a_in_b`) or of B in A that Classify()
// compares with containment_threshold: C^ - z · SE(C^) by the delta method, or with
// ordered slots the Wilson score bound of the binomial proportion (see above).
double ContainmentLowerBound(const PairEstimate& e, uint32_t n_a, uint32_t n_b, bool a_in_b, double z);

// Decides a pair. Empty documents (n = 0) never match.
MatchKind Classify(const PairEstimate& e, uint32_t n_a, uint32_t n_b, const MatchOptions& options);

// The Jaccard similarity LSH candidate generation should aim at (see above).
double CandidateThreshold(const MatchOptions& options);

}  // namespace dedup

#endif  // DEDUP_VERIFY_H_
