#include "dedup/verify.h"

#include <gtest/gtest.h>

#include <cmath>

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

}  // namespace
}  // namespace dedup
