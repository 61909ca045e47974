#include "dedup/verify.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>

#include "dedup/minhash.h"
#include "tests/test_util.h"

namespace dedup {
namespace {

TEST(ExactPair, ContainmentBothWays) {
  std::vector<uint64_t> a{1, 2, 3, 4}, b{1, 2, 3, 4, 5, 6, 7, 8};
  PairEstimate e = ExactPair(a, b);
  EXPECT_DOUBLE_EQ(e.jaccard, 0.5);
  EXPECT_DOUBLE_EQ(e.a_in_b, 1.0);
  EXPECT_DOUBLE_EQ(e.b_in_a, 0.5);
}

TEST(Classify, Rules) {
  MatchOptions m{.threshold = 0.7, .containment_threshold = 0.8, .min_containment_shingles = 20,
                 .min_containment_ratio = 0.5};
  EXPECT_EQ(Classify({0.75, 0.9, 0.8}, 100, 100, m), MatchKind::kSimilar);
  // A (60 shingles) is 95% inside B (100): an excerpt.
  EXPECT_EQ(Classify({0.55, 0.95, 0.57}, 60, 100, m), MatchKind::kAContainedInB);
  EXPECT_EQ(Classify({0.55, 0.57, 0.95}, 100, 60, m), MatchKind::kBContainedInA);
  // Too small a share of the larger document.
  EXPECT_EQ(Classify({0.3, 0.95, 0.3}, 30, 100, m), MatchKind::kNone);
  // Too few shingles to trust containment.
  EXPECT_EQ(Classify({0.55, 1.0, 0.6}, 10, 15, m), MatchKind::kNone);
  // Containment off.
  m.containment_threshold = 0;
  EXPECT_EQ(Classify({0.55, 0.95, 0.57}, 60, 100, m), MatchKind::kNone);
  // Empty documents never match.
  EXPECT_EQ(Classify({1.0, 1.0, 1.0}, 0, 0, m), MatchKind::kNone);
}

TEST(CandidateThreshold, CoversTheWeakestAcceptedExcerpt) {
  MatchOptions m{.threshold = 0.7, .containment_threshold = 0.8, .min_containment_ratio = 0.5};
  // A fully-at-threshold excerpt at the minimum size ratio: |A| = 50, |B| = 100,
  // |A ∩ B| = 40 -> J = 40 / 110.
  EXPECT_NEAR(CandidateThreshold(m), 40.0 / 110.0, 1e-12);
  m.containment_threshold = 0;
  EXPECT_DOUBLE_EQ(CandidateThreshold(m), 0.7);
}

// The containment estimate from MinHash: on random excerpt pairs with known sizes,
// the estimate's error is within 4 of its delta-method standard errors
//   SE(C) ≈ SE(J) · (|A| + |B|) / ((1 + J)^2 |A|).
TEST(EstimatePair, ContainmentErrorMatchesTheory) {
  uint64_t state = 4242;
  const int k = 128;
  auto hasher = *MinHasher::Create({.num_perm = k, .seed = 3}, 1);
  int outside = 0, trials = 300;
  for (int t = 0; t < trials; ++t) {
    const int na = 100 + t % 200, extra = 60 + (t * 7) % 150;  // B = A ∪ extra.
    auto pair = dedup::testing::MakeSetPair(&state, na, 0);
    std::vector<uint64_t> b = pair.a;
    for (int i = 0; i < extra; ++i) b.push_back(SplitMix64(&state));
    std::sort(b.begin(), b.end());
    const double j = static_cast<double>(na) / (na + extra);
    auto sa = hasher.Sign(pair.a), sb = hasher.Sign(b);
    PairEstimate e = EstimatePair(sa.values().data(), na, sb.values().data(), static_cast<uint32_t>(b.size()), k);
    const double se = MinHashStandardError(j, k) * (na + b.size()) / ((1 + j) * (1 + j) * na);
    outside += std::fabs(e.a_in_b - 1.0) > 4 * se + 1e-9;
  }
  // P(|z| > 4) ≈ 6e-5 per trial (the estimate is clipped at 1, which only helps).
  EXPECT_LE(outside, 2);
}

// The guard's SE of J^ is the one the packed estimator is tested against (minhash.h:
// PackedStandardError; Li & König's b-bit variance P(1 - P) / (K (1 - c)^2) with
// P = c + (1 - c) J, c = 2^-b).
TEST(JaccardStandardError, MatchesThePackedEstimatorsStandardError) {
  for (int bits : {8, 16, 32}) {
    for (double j : {0.0, 0.1, 0.5, 0.9, 1.0}) {
      EXPECT_NEAR(JaccardStandardError(j, 128, bits), PackedStandardError(j, 128, bits), 1e-12)
          << "bits " << bits << " J " << j;
    }
  }
}

// The containment guard (MatchOptions::containment_z): an excerpt is accepted only when
// C^ - z SE(C^) reaches the threshold. Unrelated-enough pairs whose true containment
// (0.45) is well below the threshold (0.6) must rarely pass by the tail of the estimate.
//
// Setup: |A| = 200, |B| = 800 (A a quarter of B), |A ∩ B| = 90, so C = 0.45 and
// J = 90 / 910 = 0.0989; K = 128 classic MinHash slots, so K J^ ~ Binomial(128, J):
// mean 12.66, sd sqrt(128 J (1 - J)) = 3.378. C^ = J^ (|A| + |B|) / ((1 + J^) |A|)
// = 5 J^ / (1 + J^) and SE(C^) = sqrt(J^(1 - J^)/K) · 5 / (1 + J^)^2.
//  - z = 0: C^ >= 0.6 iff J^ >= 0.6 / 4.4 = 0.1364, i.e. K J^ >= 18. Normal tail
//    P(Z >= (17.5 - 12.66) / 3.378 = 1.43) = 0.076 (exact binomial: 0.081): about 150
//    of 2000 pairs (sd ~12).
//  - z = 2: C^ - 2 SE(C^) >= 0.6 first at K J^ = 27 (J^ = 0.211: C^ 0.871, SE 0.131).
//    Normal tail P(Z >= (26.5 - 12.66) / 3.378 = 4.10) = 2.1e-5 (exact binomial, whose
//    right tail is heavier at p = 0.1: 1.2e-4): expected 0.04-0.25 of 2000 pairs.
// So at most 3 acceptances with the guard (P(Poisson(0.25) >= 4) ~ 1e-4), at least 100
// without it (4.5 sd below the mean). Without the guard both counts would be ~150.
TEST(Classify, ContainmentGuardRejectsTheEstimatesTail) {
  uint64_t state = 977;
  const int k = 128, trials = 2000;
  const int n_small = 200, n_large = 800, common = 90;  // C = 0.45, |A| = |B| / 4.
  auto hasher = *MinHasher::Create({.num_perm = k, .seed = 5}, 1);
  MatchOptions guarded{.threshold = 0.5, .containment_threshold = 0.6, .min_containment_shingles = 20,
                       .min_containment_ratio = 0.2, .containment_z = 2.0};
  MatchOptions unguarded = guarded;
  unguarded.containment_z = 0.0;
  int accepted_guarded = 0, accepted_unguarded = 0;
  for (int t = 0; t < trials; ++t) {
    auto pair = dedup::testing::MakeSetPair(&state, common, n_small - common);  // 200 and 200.
    std::vector<uint64_t> b = pair.b;
    for (int i = 0; i < n_large - n_small; ++i) b.push_back(SplitMix64(&state));
    std::sort(b.begin(), b.end());
    ASSERT_EQ(pair.a.size(), static_cast<size_t>(n_small));
    ASSERT_EQ(b.size(), static_cast<size_t>(n_large));
    auto sa = hasher.Sign(pair.a), sb = hasher.Sign(b);
    const PairEstimate e = EstimatePair(sa.values().data(), n_small, sb.values().data(), n_large, k);
    EXPECT_NEAR(e.jaccard_se, MinHashStandardError(e.jaccard, k), 1e-12);
    const MatchKind g = Classify(e, n_small, n_large, guarded), u = Classify(e, n_small, n_large, unguarded);
    EXPECT_NE(g, MatchKind::kSimilar);
    EXPECT_NE(u, MatchKind::kSimilar);
    accepted_guarded += g == MatchKind::kAContainedInB;
    accepted_unguarded += u == MatchKind::kAContainedInB;
    // The guard only ever removes acceptances.
    if (g != MatchKind::kNone) {
      EXPECT_EQ(u, g);
    }
  }
  EXPECT_LE(accepted_guarded, 3) << "unguarded: " << accepted_unguarded;
  EXPECT_GE(accepted_unguarded, 100) << "guarded: " << accepted_guarded;
  std::cout << "accepted of " << trials << ": z = 2: " << accepted_guarded << ", z = 0: " << accepted_unguarded
            << "\n";
}

// Exact estimates have no standard error: the guard does not change them.
TEST(Classify, ContainmentGuardLeavesExactEstimatesAlone) {
  std::vector<uint64_t> a, b;
  for (uint64_t i = 0; i < 100; ++i) a.push_back(i);
  for (uint64_t i = 30; i < 200; ++i) b.push_back(i);  // A ∩ B = 70 of A's 100: C = 0.7.
  const PairEstimate e = ExactPair(a, b);
  EXPECT_EQ(e.jaccard_se, 0.0);
  EXPECT_DOUBLE_EQ(ContainmentLowerBound(e, 100, 170, true, 2.0), 0.7);
  MatchOptions m{.threshold = 0.9, .containment_threshold = 0.7, .min_containment_shingles = 20,
                 .min_containment_ratio = 0.5, .containment_z = 2.0};
  EXPECT_EQ(Classify(e, 100, 170, m), MatchKind::kAContainedInB);
}

// Ordered slots: on excerpt pairs at a quarter of the larger document's size, the
// estimate n_eq / (n_eq + n_{a<b}) is a binomial proportion over a_slots: it stays within
// 4 of its standard errors sqrt(C (1 - C) / a_slots), and its error is smaller than the
// delta-method estimate's from the same signatures (verify.h: SE 0.066 vs 0.107 at
// C = 0.8, a quarter, K = 128; allowing for noise, the squared error must be < 0.7x).
TEST(EstimateOrderedPair, ContainmentIsABinomialProportionOverASlots) {
  uint64_t state = 515;
  const int k = 128, trials = 400;
  for (MinHashEngine engine : {MinHashEngine::kClassic, MinHashEngine::kFss}) {
    auto hasher = *MinHasher::Create({.num_perm = k, .seed = 11, .engine = engine}, 1);
    int outside = 0;
    double sq_ordered = 0, sq_delta = 0;
    for (int t = 0; t < trials; ++t) {
      const int na = 100 + t % 100, common = na * 4 / 5;  // C = 0.8.
      auto pair = dedup::testing::MakeSetPair(&state, common, na - common);
      std::vector<uint64_t> b = pair.b;
      while (b.size() < static_cast<size_t>(4 * na)) b.push_back(SplitMix64(&state));
      std::sort(b.begin(), b.end());
      const double c = static_cast<double>(common) / na;
      auto sa = hasher.Sign(pair.a), sb = hasher.Sign(b);
      const uint32_t nb = static_cast<uint32_t>(b.size());
      const PairEstimate o = EstimateOrderedPair(sa.values().data(), na, sb.values().data(), nb, k);
      const PairEstimate d = EstimatePair(sa.values().data(), na, sb.values().data(), nb, k);
      ASSERT_GT(o.a_slots, 0);
      EXPECT_DOUBLE_EQ(o.jaccard, d.jaccard);  // The same slot agreements.
      EXPECT_GE(o.b_slots, o.a_slots);           // B is 4x larger: more slots are B's.
      outside += std::abs(o.a_in_b - c) > 4 * std::sqrt(c * (1 - c) / o.a_slots);
      sq_ordered += (o.a_in_b - c) * (o.a_in_b - c);
      sq_delta += (d.a_in_b - c) * (d.a_in_b - c);
    }
    EXPECT_LE(outside, 2) << MinHashEngineName(engine);
    EXPECT_LT(sq_ordered, 0.7 * sq_delta) << MinHashEngineName(engine);
    std::cout << MinHashEngineName(engine) << ": RMSE ordered " << std::sqrt(sq_ordered / trials) << ", delta "
              << std::sqrt(sq_delta / trials) << "\n";
  }
}

// With ordered slots the bound is Wilson's: for c^ = 1 over m slots it is m / (m + z^2),
// not 1 (a Wald bound would have standard error 0 there).
TEST(ContainmentLowerBound, WilsonBoundOverASlots) {
  PairEstimate e;
  e.jaccard = 0.25;
  e.a_in_b = 1.0;
  e.a_slots = 30;
  EXPECT_NEAR(ContainmentLowerBound(e, 100, 400, true, 2.0), 30.0 / 34.0, 1e-12);
  e.a_in_b = 0.8;  // 24 of 30: (0.8 + 2/30 - 2 sqrt(0.16/30 + 1/900)) / (1 + 4/30).
  EXPECT_NEAR(ContainmentLowerBound(e, 100, 400, true, 2.0),
              (0.8 + 2.0 / 30 - 2 * std::sqrt(0.16 / 30 + 1.0 / 900)) / (1 + 4.0 / 30), 1e-12);
  EXPECT_NEAR(ContainmentLowerBound(e, 100, 400, true, 0.0), 0.8, 1e-12);
}

// Opening excerpts: below min_containment_ratio, a pair is an excerpt only with its
// opening matched, its size at least opening_min_ratio of the larger's, and the
// containment bound at least opening_containment.
TEST(Classify, OpeningExcerptRule) {
  MatchOptions m{.threshold = 0.5, .containment_threshold = 0.7, .min_containment_shingles = 20,
                 .min_containment_ratio = 0.5, .containment_z = 2.0, .opening_threshold = 0.6,
                 .opening_min_ratio = 0.15, .opening_containment = 0.5};
  PairEstimate e;
  e.jaccard = 0.2;
  e.a_in_b = 27.0 / 30;  // 27 of A's 30 slots: Wilson bound 0.742.
  e.a_slots = 30;
  e.opening = 0.8;
  EXPECT_EQ(Classify(e, 100, 400, m), MatchKind::kAContainedInB);
  std::swap(e.a_in_b, e.b_in_a);
  std::swap(e.a_slots, e.b_slots);
  EXPECT_EQ(Classify(e, 400, 100, m), MatchKind::kBContainedInA);
  std::swap(e.a_in_b, e.b_in_a);
  std::swap(e.a_slots, e.b_slots);
  PairEstimate no_opening = e;
  no_opening.opening = -1;  // Unknown (no opening signatures): the main rule only.
  EXPECT_EQ(Classify(no_opening, 100, 400, m), MatchKind::kNone);
  PairEstimate other_opening = e;
  other_opening.opening = 0.5;
  EXPECT_EQ(Classify(other_opening, 100, 400, m), MatchKind::kNone);
  EXPECT_EQ(Classify(e, 100, 1000, m), MatchKind::kNone);  // A tenth: below opening_min_ratio.
  EXPECT_EQ(Classify(e, 19, 100, m), MatchKind::kNone);    // Too few shingles.
  PairEstimate weak = e;
  weak.a_in_b = 18.0 / 30;  // Wilson bound 0.42 < 0.5.
  EXPECT_EQ(Classify(weak, 100, 400, m), MatchKind::kNone);
  m.opening_threshold = 0;  // Off.
  EXPECT_EQ(Classify(e, 100, 400, m), MatchKind::kNone);
}

}  // namespace
}  // namespace dedup
