#include "dedup/lsh_index.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
#include <utility>

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

// A sketch with the given signature (no shingles kept; num_shingles > 0 so it is indexed).
SketchedDocument FromSlots(std::vector<uint32_t> slots) {
  SketchedDocument d;
  d.signature = Signature(std::move(slots), /*fingerprint=*/0);
  d.num_shingles = 1;
  return d;
}

// Many documents sharing one band key (site chrome, or a large cluster): all found, each
// once, in increasing order; and documents with keys of their own stay findable among them.
TEST(LshIndex, ManyDocumentsShareOneBandKey) {
  const int k = 8;
  auto index = *LshIndex::Create({4, 2}, k);
  uint64_t state = 9;
  std::vector<SketchedDocument> loners;
  std::vector<DocIndex> shared;
  // Inserted out of order: 3000 documents whose band 0 is {7, 7}, and every 10th one a
  // document with random bands only.
  for (int i = 0; i < 3300; ++i) {
    const DocIndex doc = static_cast<DocIndex>((i * 7919) % 3300);
    std::vector<uint32_t> slots(k);
    for (uint32_t& v : slots) v = static_cast<uint32_t>(SplitMix64(&state));
    if (i % 11 == 10) {
      loners.push_back(FromSlots(slots));
      index->Insert(doc, loners.back());
      // Its own candidates: itself alone (its random bands match nobody's).
      std::vector<DocIndex> out;
      index->Query(loners.back(), &out);
      ASSERT_EQ(out, std::vector<DocIndex>{doc});
    } else {
      slots[0] = slots[1] = 7;
      index->Insert(doc, FromSlots(slots));
      shared.push_back(doc);
    }
  }
  std::sort(shared.begin(), shared.end());
  std::vector<uint32_t> q(k, 1);
  q[0] = q[1] = 7;
  std::vector<DocIndex> out = {123456};  // Query appends.
  index->Query(FromSlots(q), &out);
  ASSERT_EQ(out.size(), shared.size() + 1);
  EXPECT_EQ(out[0], 123456u);
  EXPECT_TRUE(std::equal(shared.begin(), shared.end(), out.begin() + 1));
  // Loners inserted early are still found after the shared key's run grew.
  for (const SketchedDocument& d : loners) {
    out.clear();
    index->Query(d, &out);
    EXPECT_EQ(out.size(), 1u);
  }
}

// Interleaved Insert and Query through many rehashes, against a reference built here
// with std::multimap from each band's 64-bit key to its documents. Each band key of a
// document is drawn from a mix: unique (50%), one of 5000 values (a few documents per
// key), one of 50 (~100 per key), or one shared value (~400 documents, past the inline
// slots into overflow). The index may add documents that share only the top 31 bits of
// a band key (documented false candidates) -- and nothing else.
TEST(LshIndex, MatchesAMultimapReferenceThroughGrowth) {
  const int k = 16;
  const LshParams params{8, 2};
  auto index = *LshIndex::Create(params, k);
  std::vector<std::multimap<uint64_t, DocIndex>> reference(params.bands);
  uint64_t state = 1234;
  auto random_sketch = [&] {
    std::vector<uint32_t> slots(k);
    for (int b = 0; b < params.bands; ++b) {
      const uint64_t pick = SplitMix64(&state) % 100;
      const uint64_t pool = pick < 50 ? (1ull << 32) : pick < 80 ? 5000 : pick < 98 ? 50 : 1;
      const uint32_t value = static_cast<uint32_t>(SplitMix64(&state) % pool);
      for (int r = 0; r < params.rows; ++r) slots[b * params.rows + r] = value;
    }
    return FromSlots(std::move(slots));
  };
  std::vector<SketchedDocument> docs;
  size_t last_memory = 0;
  int growths = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    // Document numbers spread over the whole range, the largest included.
    const DocIndex doc = i == 0 ? 0xFFFFFFFEu : static_cast<DocIndex>(static_cast<uint64_t>(i) * 214013);
    docs.push_back(random_sketch());
    index->Insert(doc, docs.back());
    for (int b = 0; b < params.bands; ++b) {
      reference[b].emplace(index->BandKey(docs.back().signature.values().data(), b), doc);
    }
    if (index->MemoryBytes() != last_memory) ++growths;
    last_memory = index->MemoryBytes();
    if (i % 41 != 0 && i != n - 1) continue;
    // One query for a fresh document, one for an indexed one.
    for (const SketchedDocument& q : {random_sketch(), docs[SplitMix64(&state) % docs.size()]}) {
      std::set<DocIndex> want, near;
      for (int b = 0; b < params.bands; ++b) {
        const uint64_t key = index->BandKey(q.signature.values().data(), b);
        auto [lo, hi] = reference[b].equal_range(key);
        for (auto it = lo; it != hi; ++it) want.insert(it->second);
        // Keys equal in their top 31 bits: allowed extras.
        for (auto it = reference[b].lower_bound(key & ~((uint64_t{1} << 33) - 1));
             it != reference[b].end() && (it->first >> 33) == (key >> 33); ++it) {
          near.insert(it->second);
        }
      }
      std::vector<DocIndex> got;
      index->Query(q, &got);
      ASSERT_TRUE(std::is_sorted(got.begin(), got.end())) << "after " << i + 1 << " inserts";
      ASSERT_EQ(std::adjacent_find(got.begin(), got.end()), got.end()) << "duplicates";
      for (DocIndex d : want) {
        ASSERT_TRUE(std::binary_search(got.begin(), got.end(), d)) << d << " missing after " << i + 1;
      }
      for (DocIndex d : got) ASSERT_TRUE(near.count(d)) << d << " is not a candidate";
    }
  }
  EXPECT_EQ(index->size(), static_cast<size_t>(n));
  EXPECT_GE(growths, 20);  // 16 home slots at first, 1.25x per growth, ~20k keys per band.
}

TEST(LshIndex, DocumentNumbersNearTheTopOfTheRange) {
  const int k = 8;
  auto index = *LshIndex::Create({4, 2}, k);
  const std::vector<uint32_t> slots = {1, 2, 3, 4, 5, 6, 7, 8};
  // More copies than fit inline, so the overflow bucket holds large numbers too.
  std::vector<DocIndex> docs = {0xFFFFFFFEu, 0xFFFFFFFDu, 0, 0xFFFFFFF0u, 1, 0x80000000u, 0x7FFFFFFFu};
  for (DocIndex d : docs) index->Insert(d, FromSlots(slots));
  std::vector<DocIndex> out;
  index->Query(FromSlots(slots), &out);
  std::sort(docs.begin(), docs.end());
  EXPECT_EQ(out, docs);
  EXPECT_EQ(index->size(), docs.size());
}

TEST(LshIndexDeathTest, TheEmptySlotMarkerIsNotADocument) {
  auto index = *LshIndex::Create({4, 2}, 8);
  EXPECT_DEATH(index->Insert(0xFFFFFFFFu, FromSlots({1, 2, 3, 4, 5, 6, 7, 8})), "");
}

// MemoryBytes() counts the slot arrays: 8 bytes per band per document over a load that
// stays between kMaxLoad / kGrowth and kMaxLoad once the tables are large.
TEST(LshIndex, MemoryBytesPerDocument) {
  const int k = 128;
  const LshParams params{42, 3};
  auto index = *LshIndex::Create(params, k);
  EXPECT_LT(index->MemoryBytes(), 42 * 100u);
  uint64_t state = 5;
  std::vector<uint32_t> slots(k);
  const int n = 30000;
  for (int i = 0; i < n; ++i) {
    for (uint32_t& v : slots) v = static_cast<uint32_t>(SplitMix64(&state));
    index->Insert(static_cast<DocIndex>(i), FromSlots(slots));
  }
  const double per_doc = static_cast<double>(index->MemoryBytes()) / n;
  const double low = 8.0 * params.bands / LshIndex::kMaxLoad;
  const double high = low * LshIndex::kGrowth;
  EXPECT_GE(per_doc, low);
  EXPECT_LE(per_doc, high + 64.0 * 8 * params.bands / n + 1);  // + each band's spare tail.
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

namespace dedup {
namespace {

// SharesBand is the exact candidate relation: true iff some band's r slots all agree;
// slots past bands * rows do not count.
TEST(SharesBandTest, TrueExactlyWhenOneBandAgreesWhole) {
  const LshParams p{5, 3};
  uint64_t state = 4;
  std::vector<uint32_t> a(16), b;
  for (uint32_t& v : a) v = static_cast<uint32_t>(SplitMix64(&state));
  b = a;
  EXPECT_TRUE(SharesBand(a.data(), b.data(), p));
  for (int band = 0; band < p.bands; ++band) b[band * p.rows + band % p.rows] ^= 1;  // One slot per band.
  EXPECT_FALSE(SharesBand(a.data(), b.data(), p));
  b[15] = a[15];  // Past the bands: still no.
  EXPECT_FALSE(SharesBand(a.data(), b.data(), p));
  for (int band = 0; band < p.bands; ++band) {
    std::vector<uint32_t> c = b;
    std::copy(a.begin() + band * p.rows, a.begin() + (band + 1) * p.rows, c.begin() + band * p.rows);
    EXPECT_TRUE(SharesBand(a.data(), c.data(), p)) << "band " << band;
  }
}

}  // namespace
}  // namespace dedup
