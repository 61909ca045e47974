#include "dedup/lsh_index.h"

#include <gtest/gtest.h>

#include <cmath>

#include "tests/test_util.h"

namespace dedup {
namespace {

using dedup::testing::MakeSetPair;

SketchedDocument Sketch(const MinHasher& h, const std::vector<uint64_t>& set) {
  SketchedDocument d;
  d.signature = h.Sign(set);
  d.shingles = set;
  d.num_shingles = static_cast<uint32_t>(set.size());
  return d;
}

TEST(CandidateProbability, SCurve) {
  LshParams p{20, 5};
  EXPECT_DOUBLE_EQ(CandidateProbability(0.0, p), 0.0);
  EXPECT_DOUBLE_EQ(CandidateProbability(1.0, p), 1.0);
  EXPECT_NEAR(CandidateProbability(0.5, p), 1 - std::pow(1 - std::pow(0.5, 5), 20), 1e-15);
}

TEST(ValidateLshParams, Errors) {
  EXPECT_TRUE(ValidateLshParams({16, 8}, 128).ok());
  auto st = ValidateLshParams({50, 50}, 128);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("2500"), std::string::npos) << st;
  EXPECT_FALSE(ValidateLshParams({0, 8}, 128).ok());
  EXPECT_FALSE(ValidateLshParams({8, 0}, 128).ok());
}

// The optimiser's choice must beat (or tie) every other (b, r) on the weighted
// error, computed here independently with the trapezoid rule on a fine grid.
double WeightedError(double t, LshParams p, double wfp, double wfn) {
  const int n = 4000;
  double fp = 0, fn = 0;
  for (int i = 0; i < n; ++i) {
    double s0 = t * i / n, s1 = t * (i + 1) / n;
    fp += (CandidateProbability(s0, p) + CandidateProbability(s1, p)) / 2 * (s1 - s0);
    double u0 = t + (1 - t) * i / n, u1 = t + (1 - t) * (i + 1) / n;
    fn += (2 - CandidateProbability(u0, p) - CandidateProbability(u1, p)) / 2 * (u1 - u0);
  }
  return wfp * fp + wfn * fn;
}

TEST(OptimalLshParams, MinimisesTheWeightedError) {
  for (double t : {0.5, 0.7, 0.8}) {
    for (int k : {32, 64}) {
      auto best = OptimalLshParams(t, k);
      ASSERT_TRUE(best.ok());
      EXPECT_LE(best->bands * best->rows, k);
      const double best_err = WeightedError(t, *best, 0.5, 0.5);
      for (int b = 1; b <= k; ++b) {
        for (int r = 1; r <= k / b; ++r) {
          ASSERT_LE(best_err, WeightedError(t, {b, r}, 0.5, 0.5) + 1e-6)
              << "t=" << t << " k=" << k << " chose " << best->bands << "x" << best->rows
              << " but " << b << "x" << r << " is better";
        }
      }
    }
  }
}

// The (b, r) that datasketch 1.10.0's MinHashLSH chooses for K = 128 (computed by
// running datasketch, see bench/reference/README.md): users switching from it get the
// same banding.
TEST(OptimalLshParams, AgreesWithDatasketch) {
  EXPECT_EQ(*OptimalLshParams(0.7, 128), (LshParams{14, 9}));
  EXPECT_EQ(*OptimalLshParams(0.8, 128), (LshParams{9, 13}));
  EXPECT_EQ(*OptimalLshParams(0.85, 128), (LshParams{8, 16}));
  EXPECT_EQ(*OptimalLshParams(0.9, 128), (LshParams{5, 25}));
}

TEST(OptimalLshParams, WeightsShiftTheCurve) {
  // Penalising false negatives more must not raise the similarity at which P = 0.5.
  auto balanced = *OptimalLshParams(0.8, 128, 0.5, 0.5);
  auto recall = *OptimalLshParams(0.8, 128, 0.1, 0.9);
  auto mid = [](LshParams p) { return std::pow(1 - std::pow(0.5, 1.0 / p.bands), 1.0 / p.rows); };
  EXPECT_LE(mid(recall), mid(balanced));
}

TEST(OptimalLshParams, RejectsBadArguments) {
  EXPECT_FALSE(OptimalLshParams(0.0, 128).ok());
  EXPECT_FALSE(OptimalLshParams(1.0, 128).ok());
  EXPECT_FALSE(OptimalLshParams(0.5, 0).ok());
  EXPECT_FALSE(OptimalLshParams(0.5, 128, 0, 0).ok());
}

TEST(LshIndex, IdenticalIsCandidateEmptyIsNot) {
  auto h = *MinHasher::Create({.num_perm = 128}, 1);
  auto index = *LshIndex::Create({16, 8}, 128);
  uint64_t state = 3;
  auto pair = MakeSetPair(&state, 200, 0);
  index->Insert(0, Sketch(h, pair.a));
  index->Insert(1, Sketch(h, {}));
  std::vector<DocIndex> out;
  index->Query(Sketch(h, pair.b), &out);
  EXPECT_EQ(out, std::vector<DocIndex>{0});
  out.clear();
  index->Query(Sketch(h, {}), &out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(index->size(), 2u);
}

TEST(LshIndex, QueryResultsAreSortedAndUnique) {
  auto h = *MinHasher::Create({.num_perm = 64}, 1);
  auto index = *LshIndex::Create({32, 2}, 64);
  uint64_t state = 4;
  auto base = MakeSetPair(&state, 100, 0).a;
  for (DocIndex d = 10; d > 0; --d) index->Insert(d, Sketch(h, base));
  std::vector<DocIndex> out;
  index->Query(Sketch(h, base), &out);
  EXPECT_EQ(out, (std::vector<DocIndex>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
}

// For a pair with Jaccard s, P[candidate] = 1 - (1 - s^r)^b. Over M independent pairs
// per similarity level, the candidate count is a sum of Bernoulli(P(s)) variables;
// it must lie within 4 binomial standard deviations of M * P(s).
TEST(LshIndex, CandidateRateFollowsTheSCurve) {
  const int k = 128;
  const LshParams params{16, 8};
  auto h = *MinHasher::Create({.num_perm = k, .seed = 11}, 1);
  uint64_t state = 2024;
  const int pairs_per_level = 400;
  for (int common : {40, 80, 120, 160, 200, 280}) {
    const int only = 40;  // J = common / (common + 80): 0.33 .. 0.78
    int hits = 0;
    double expected = 0, variance = 0;
    for (int i = 0; i < pairs_per_level; ++i) {
      auto pair = MakeSetPair(&state, common, only);
      auto index = *LshIndex::Create(params, k);
      index->Insert(0, Sketch(h, pair.a));
      std::vector<DocIndex> out;
      index->Query(Sketch(h, pair.b), &out);
      hits += !out.empty();
      double p = CandidateProbability(pair.jaccard, params);
      expected += p;
      variance += p * (1 - p);
    }
    EXPECT_NEAR(hits, expected, 4 * std::sqrt(variance) + 1)
        << "J=" << static_cast<double>(common) / (common + 2 * only);
  }
}

// LSH against the exact oracle on a random corpus of clusters: every pair the
// oracle reports (J >= t) is an LSH candidate with probability P(J) >= P(t); the
// number missed must stay within what the S-curve allows.
TEST(LshIndex, RecallAgainstBruteForce) {
  const int k = 128;
  const double t = 0.7;
  const LshParams params = *OptimalLshParams(t, k);
  auto h = *MinHasher::Create({.num_perm = k, .seed = 5}, 1);
  auto lsh = *LshIndex::Create(params, k);
  BruteForceIndex exact(t);
  uint64_t state = 77;
  std::vector<SketchedDocument> docs;
  // 60 groups of 5 near-copies of a base set (J of copies with the base ~0.6-0.95).
  for (int g = 0; g < 60; ++g) {
    auto base = MakeSetPair(&state, 300, 0).a;
    for (int c = 0; c < 5; ++c) {
      std::vector<uint64_t> copy;
      const int drop = static_cast<int>(SplitMix64(&state) % 60);
      for (size_t i = 0; i < base.size(); ++i) {
        if (SplitMix64(&state) % 300 >= static_cast<uint64_t>(drop)) copy.push_back(base[i]);
      }
      const int add = static_cast<int>(SplitMix64(&state) % 60);
      for (int i = 0; i < add; ++i) copy.push_back(SplitMix64(&state));
      std::sort(copy.begin(), copy.end());
      docs.push_back(Sketch(h, copy));
    }
  }
  int64_t oracle_pairs = 0, found = 0;
  double expected_found = 0, variance = 0;
  for (DocIndex d = 0; d < docs.size(); ++d) {
    std::vector<DocIndex> truth, cand;
    exact.Query(docs[d], &truth);
    lsh->Query(docs[d], &cand);
    for (DocIndex o : truth) {
      ++oracle_pairs;
      found += std::binary_search(cand.begin(), cand.end(), o);
      double p = CandidateProbability(ExactJaccard(docs[d].shingles, docs[o].shingles), params);
      expected_found += p;
      variance += p * (1 - p);
    }
    exact.Insert(d, docs[d]);
    lsh->Insert(d, docs[d]);
  }
  ASSERT_GT(oracle_pairs, 200);
  // Pairs inside a group share documents, so their candidate events are positively
  // correlated; a design effect of 5 (a pair overlaps at most 6 others of its group's
  // 10) bounds the variance inflation.
  EXPECT_GE(found, expected_found - 4 * std::sqrt(5 * variance) - 1)
      << "recall " << static_cast<double>(found) / oracle_pairs;
}

TEST(BruteForceIndex, ReturnsExactlyThePairsAboveThreshold) {
  BruteForceIndex index(0.5);
  SketchedDocument a, b, c, q;
  a.shingles = {1, 2, 3, 4};   // J(q, a) = 3/5
  b.shingles = {1, 9};         // J(q, b) = 1/5
  c.shingles = {1, 2, 3, 4, 6, 7, 8};  // J(q, c) = 3/8
  q.shingles = {1, 2, 3, 5};
  index.Insert(0, a);
  index.Insert(1, b);
  index.Insert(2, c);
  std::vector<DocIndex> out;
  index.Query(q, &out);
  EXPECT_EQ(out, std::vector<DocIndex>{0});
}

}  // namespace
}  // namespace dedup
