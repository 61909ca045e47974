#include "dedup/minhash.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "dedup/lsh_index.h"
#include "dedup/sketch.h"
#include "tests/test_util.h"

namespace dedup {
namespace {

using dedup::testing::MakeSetPair;

MinHasher Hasher(int k, uint64_t seed = 1, MinHashEngine engine = MinHashEngine::kClassic) {
  auto h = MinHasher::Create({.num_perm = k, .seed = seed, .engine = engine}, /*fingerprint=*/42);
  EXPECT_TRUE(h.ok());
  return *h;
}
MinHasher OphHasher(int k, uint64_t seed = 1) { return Hasher(k, seed, MinHashEngine::kOph); }
MinHasher FssHasher(int k, uint64_t seed = 1) { return Hasher(k, seed, MinHashEngine::kFss); }

// Mean and variance of a sample, accumulated one value at a time.
struct Moments {
  double sum = 0, sum2 = 0;
  int n = 0;
  void Add(double x) {
    sum += x;
    sum2 += x * x;
    ++n;
  }
  double Mean() const { return sum / n; }
  double Variance() const { return sum2 / n - Mean() * Mean(); }
};

// Over `pairs` random set pairs (|A n B| = common, |A \ B| = |B \ A| = only), the number
// that LSH banding makes candidates lies within 4 binomial standard deviations of the
// S-curve's expectation: a sum of Bernoulli(P(J)) variables.
void ExpectCandidateRateFollowsSCurve(const MinHasher& h, LshParams params, int common, int only, int pairs,
                                      uint64_t* state) {
  auto sketch = [&h](const std::vector<uint64_t>& set) {
    SketchedDocument d;
    d.signature = h.Sign(set);
    d.num_shingles = static_cast<uint32_t>(set.size());
    return d;
  };
  int hits = 0;
  double expected = 0, variance = 0;
  for (int i = 0; i < pairs; ++i) {
    auto pair = MakeSetPair(state, common, only);
    auto index = *LshIndex::Create(params, h.num_perm());
    index->Insert(0, sketch(pair.a));
    std::vector<DocIndex> out;
    index->Query(sketch(pair.b), &out);
    hits += !out.empty();
    const double p = CandidateProbability(pair.jaccard, params);
    expected += p;
    variance += p * (1 - p);
  }
  EXPECT_NEAR(hits, expected, 4 * std::sqrt(variance) + 1)
      << params.bands << "x" << params.rows << " J=" << static_cast<double>(common) / (common + 2 * only);
}

TEST(MinHasher, RejectsBadSize) {
  EXPECT_EQ(MinHasher::Create({.num_perm = 0}, 0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MinHasher::Create({.num_perm = kMaxNumPerm + 1}, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// An independent, plainly written reference of the documented hash family.
std::vector<uint32_t> ReferenceSignature(const std::vector<uint64_t>& set, int k, uint64_t seed) {
  std::vector<uint32_t> sig(k, kEmptySlot);
  uint64_t state = seed;
  for (int i = 0; i < k; ++i) {
    uint64_t a = SplitMix64(&state) | 1;
    uint64_t b = SplitMix64(&state);
    for (uint64_t x : set) {
      uint32_t h = static_cast<uint32_t>((a * x + b) >> 32);
      if (h < sig[i]) sig[i] = h;
    }
  }
  return sig;
}

TEST(MinHasher, MatchesReferenceImplementation) {
  uint64_t state = 99;
  auto pair = MakeSetPair(&state, 300, 50);
  for (int k : {1, 7, 64, 128, 256}) {
    Signature sig = Hasher(k, 3).Sign(pair.a);
    auto ref = ReferenceSignature(pair.a, k, 3);
    EXPECT_EQ(std::vector<uint32_t>(sig.values().begin(), sig.values().end()), ref) << "k=" << k;
  }
}

std::vector<MinHashKernel> SupportedKernels() {
  std::vector<MinHashKernel> kernels;
  for (MinHashKernel kernel : {MinHashKernel::kPortable, MinHashKernel::kAvx2, MinHashKernel::kAvx512}) {
    if (MinHashKernelSupported(kernel)) kernels.push_back(kernel);
  }
  return kernels;
}

// Every kernel this CPU supports computes the reference's signature, for K that are
// and are not multiples of the SIMD width, set sizes around the kernels' chunk size,
// and hash values at the edges (0, all ones, only high or low bits set).
TEST(MinHasher, EveryKernelMatchesReference) {
  ASSERT_TRUE(MinHashKernelSupported(MinHashKernel::kPortable));
  ASSERT_TRUE(MinHashKernelSupported(DefaultMinHashKernel()));
  uint64_t state = 2024;
  std::vector<uint64_t> edges = {0, ~0ull, 1, 0xFFFFFFFFull, 0xFFFFFFFF00000000ull, 0x8000000000000000ull,
                                 0x80000000ull};
  for (int k : {1, 3, 8, 9, 16, 63, 64, 65, 128, 200, 256, kMaxNumPerm}) {
    for (size_t n : {0, 1, 2, 7, 100, 2047, 2048, 2049, 5000}) {
      if (k == kMaxNumPerm && n > 100) continue;  // The reference is slow.
      std::vector<uint64_t> set;
      for (size_t i = 0; i < n; ++i) set.push_back(i < edges.size() && n < 100 ? edges[i] : SplitMix64(&state));
      const uint64_t seed = static_cast<uint64_t>(k) * 31 + n;
      const auto ref = ReferenceSignature(set, k, seed);
      MinHasher h = Hasher(k, seed);
      for (MinHashKernel kernel : SupportedKernels()) {
        std::vector<uint32_t> got(static_cast<size_t>(k), 12345);
        h.SignIntoWithKernel(kernel, set, got.data());
        ASSERT_EQ(got, ref) << "kernel=" << MinHashKernelName(kernel) << " k=" << k << " n=" << n;
      }
    }
  }
}

// The text whose signatures the golden tests pin, at the settings they were recorded
// with (word 5-shingles, the default until the batch default became word:3).
void SketchGoldenText(const Sketcher& sketcher, SketchedDocument* doc) {
  SketchScratch scratch;
  ASSERT_TRUE(sketcher
                  .Sketch("Chinese President Xi Jinping arrived in Moscow on Monday for a three-day state visit.",
                          false, &scratch, doc)
                  .ok());
}

// Pinned (values recorded from the first release; MatchesReferenceImplementation checks
// the formula independently): changing them silently invalidates every stored signature.
TEST(MinHasher, GoldenSignaturePrefix) {
  auto sketcher = Sketcher::Create({.shingle = {ShingleKind::kWord, 5}, .engine = MinHashEngine::kClassic});
  ASSERT_TRUE(sketcher.ok());
  SketchedDocument doc;
  ASSERT_NO_FATAL_FAILURE(SketchGoldenText(*sketcher, &doc));
  ASSERT_EQ(doc.signature.size(), 128);
  EXPECT_EQ(doc.signature.values()[0], 225702433u);
  EXPECT_EQ(doc.signature.values()[1], 60203444u);
  EXPECT_EQ(doc.signature.values()[2], 54315004u);
  EXPECT_EQ(doc.signature.values()[3], 213256404u);
  EXPECT_EQ(sketcher->fingerprint(), 6748558803466220507ull);
}

// kOph's pinned values, recorded like the classic ones above;
// OphMinHasher.MatchesReferenceImplementation checks the scheme independently.
TEST(OphMinHasher, GoldenSignaturePrefix) {
  auto sketcher = Sketcher::Create({.shingle = {ShingleKind::kWord, 5}, .engine = MinHashEngine::kOph});
  ASSERT_TRUE(sketcher.ok());
  SketchedDocument doc;
  ASSERT_NO_FATAL_FAILURE(SketchGoldenText(*sketcher, &doc));
  ASSERT_EQ(doc.signature.size(), 128);
  EXPECT_EQ(doc.signature.values()[0], 3253886347u);
  EXPECT_EQ(doc.signature.values()[1], 1290786114u);
  EXPECT_EQ(doc.signature.values()[2], 1290786114u  /* densified: 11 shingles, 128 bins */);
  EXPECT_EQ(doc.signature.values()[3], 3768028914u);
  EXPECT_EQ(sketcher->fingerprint(), 6604979628963749252ull);
}

// kFss's pinned values (the default engine), recorded once from the code when this test
// was added: they pin today's output against accidental change, like the two above, at
// the same explicit options (word 5-shingles, not the default word:3).
// FssMinHasher.MatchesReferenceImplementation checks the scheme independently.
TEST(FssMinHasher, GoldenSignaturePrefix) {
  auto sketcher = Sketcher::Create({.shingle = {ShingleKind::kWord, 5}, .engine = MinHashEngine::kFss});
  ASSERT_TRUE(sketcher.ok());
  SketchedDocument doc;
  ASSERT_NO_FATAL_FAILURE(SketchGoldenText(*sketcher, &doc));
  ASSERT_EQ(doc.signature.size(), 128);
  EXPECT_EQ(doc.signature.values()[0], 249195872u);
  EXPECT_EQ(doc.signature.values()[1], 339913736u);
  EXPECT_EQ(doc.signature.values()[2], 122979729u);
  EXPECT_EQ(doc.signature.values()[3], 154812037u);
  EXPECT_EQ(sketcher->fingerprint(), 7389698986724743115ull);
}

TEST(MinHasher, DuplicatesAndOrderDoNotMatter) {
  MinHasher h = Hasher(64);
  std::vector<uint64_t> a{5, 1, 9, 1, 5}, b{9, 5, 1};
  EXPECT_EQ(h.Sign(a), h.Sign(b));
}

TEST(MinHasher, EmptySetGivesEmptySignatureThatMatchesNothing) {
  MinHasher h = Hasher(32);
  Signature e = h.Sign({});
  EXPECT_TRUE(e.empty());
  EXPECT_EQ(*EstimateJaccard(e, e), 0.0);
  EXPECT_FALSE(h.Sign(std::vector<uint64_t>{1}).empty());
  EXPECT_EQ(*EstimateJaccard(e, h.Sign(std::vector<uint64_t>{1})), 0.0);
}

// SignatureSimilarity is the share of equal slots; a slot may hold kEmptySlot's value
// without the signature being empty (K = 10: past the 16-byte steps too).
TEST(SignatureSimilarityTest, ShareOfEqualSlotsAndOnlyWhollyEmptySignaturesAreEmpty) {
  std::vector<uint32_t> a{kEmptySlot, 7, 8, 9, 10, 11, 12, 13, 14, 15}, b = a;
  EXPECT_DOUBLE_EQ(SignatureSimilarity(a.data(), b.data(), 10), 1.0);
  b[0] = 1, b[4] = 1, b[9] = 1;
  EXPECT_DOUBLE_EQ(SignatureSimilarity(a.data(), b.data(), 10), 0.7);
  const std::vector<uint32_t> empty(10, kEmptySlot);
  EXPECT_DOUBLE_EQ(SignatureSimilarity(empty.data(), empty.data(), 10), 0.0);
  EXPECT_DOUBLE_EQ(SignatureSimilarity(a.data(), empty.data(), 10), 0.0);
}

TEST(EstimateJaccard, RefusesDifferentFingerprints) {
  auto a = MinHasher::Create({.num_perm = 16}, 1);
  auto b = MinHasher::Create({.num_perm = 16}, 2);
  std::vector<uint64_t> s{1, 2, 3};
  auto r = EstimateJaccard(a->Sign(s), b->Sign(s));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("fingerprint"), std::string::npos);
}

TEST(SketchFingerprint, EveryParameterChangesIt) {
  SketchOptions base;
  const uint64_t f = SketchFingerprint(base);
  SketchOptions o = base;
  o.num_perm = 64;
  EXPECT_NE(SketchFingerprint(o), f);
  o = base;
  o.seed = 2;
  EXPECT_NE(SketchFingerprint(o), f);
  o = base;
  o.shingle.size = 4;
  EXPECT_NE(SketchFingerprint(o), f);
  o = base;
  o.shingle.kind = ShingleKind::kChar;
  EXPECT_NE(SketchFingerprint(o), f);
  EXPECT_EQ(SketchFingerprint(base), f);
}

// The estimator's statistics on many random set pairs with known Jaccard J, K slots:
// the number of agreeing slots is Binomial(K, J) when the K functions act
// independently, so z = (estimate - J) / sqrt(J (1 - J) / K) has mean 0 and variance 1.
// Tolerances follow from N independent trials:
//   - mean error within 4 sigma of 0: |mean(z)| <= 4 / sqrt(N);
//   - variance of z within 4 standard deviations of 1: for near-normal z,
//     var(sample variance) ≈ 2 / N;
//   - |z| > 3 in at most N p + 4 sqrt(N p) trials, p = 0.0027 the normal two-sided tail
//     (the binomial tail at these K and J is no heavier; checked in the mean/variance).
TEST(EstimateJaccard, ErrorMatchesTheory) {
  uint64_t state = 12345;
  for (int k : {64, 128, 256}) {
    MinHasher h = Hasher(k, 777);
    const int n = 1200;
    double sum_z = 0, sum_z2 = 0;
    int beyond3 = 0;
    for (int trial = 0; trial < n; ++trial) {
      // J from ~0.1 to ~0.95 over the trials.
      const int common = 50 + (trial % 12) * 40;
      const int only = 10 + (trial % 7) * 25;
      auto pair = MakeSetPair(&state, common, only);
      double est = *EstimateJaccard(h.Sign(pair.a), h.Sign(pair.b));
      double z = (est - pair.jaccard) / MinHashStandardError(pair.jaccard, k);
      sum_z += z;
      sum_z2 += z * z;
      beyond3 += std::fabs(z) > 3.0;
    }
    const double mean = sum_z / n;
    const double var = sum_z2 / n - mean * mean;
    EXPECT_LE(std::fabs(mean), 4.0 / std::sqrt(n)) << "k=" << k;
    EXPECT_NEAR(var, 1.0, 4.0 * std::sqrt(2.0 / n)) << "k=" << k;
    const double p = 0.0027;
    EXPECT_LE(beyond3, n * p + 4.0 * std::sqrt(n * p)) << "k=" << k;
  }
}

// Identical sets always estimate 1, disjoint sets essentially 0.
TEST(EstimateJaccard, Extremes) {
  uint64_t state = 7;
  MinHasher h = Hasher(128);
  auto same = MakeSetPair(&state, 500, 0);
  EXPECT_EQ(*EstimateJaccard(h.Sign(same.a), h.Sign(same.b)), 1.0);
  auto disjoint = MakeSetPair(&state, 0, 500);
  // P[any slot agrees] <= K * 2^-32 per slot collision: 0 with overwhelming probability.
  EXPECT_EQ(*EstimateJaccard(h.Sign(disjoint.a), h.Sign(disjoint.b)), 0.0);
}

// ---------------------------------------------------------------------------------
// One permutation hashing with optimal densification (MinHashEngine::kOph).

// An independent, plainly written reference of the documented kOph scheme: the keys
// are the two SplitMix64 values after the classic engine's 2K parameters.
std::vector<uint32_t> ReferenceOph(const std::vector<uint64_t>& set, int k, uint64_t seed) {
  uint64_t state = seed;
  for (int i = 0; i < 2 * k; ++i) SplitMix64(&state);
  const uint64_t key = SplitMix64(&state), densify = SplitMix64(&state);
  std::vector<bool> filled(k, false);
  std::vector<uint32_t> sig(k, kEmptySlot);
  auto bin_of = [k](uint64_t y) { return static_cast<int>(((y >> 32) * static_cast<uint64_t>(k)) >> 32); };
  for (uint64_t x : set) {
    const uint64_t y = Mix64(x + key);
    const int bin = bin_of(y);
    filled[bin] = true;
    sig[bin] = std::min(sig[bin], static_cast<uint32_t>(y));
  }
  if (set.empty()) return sig;
  std::vector<uint32_t> out = sig;
  for (int i = 0; i < k; ++i) {
    if (filled[i]) continue;
    for (uint64_t attempt = 1;; ++attempt) {
      const int j = bin_of(Mix64(densify + (static_cast<uint64_t>(i) << 32) + attempt));
      if (filled[j]) {
        out[i] = sig[j];
        break;
      }
    }
  }
  return out;
}

TEST(OphMinHasher, MatchesReferenceImplementation) {
  uint64_t state = 4242;
  for (int k : {1, 7, 64, 128, 256, kMaxNumPerm}) {
    for (size_t n : {0, 1, 2, 10, 127, 128, 1000, 20000}) {
      std::vector<uint64_t> set;
      for (size_t i = 0; i < n; ++i) set.push_back(SplitMix64(&state));
      const uint64_t seed = static_cast<uint64_t>(k) * 131 + n;
      Signature sig = OphHasher(k, seed).Sign(set);
      ASSERT_EQ(std::vector<uint32_t>(sig.values().begin(), sig.values().end()), ReferenceOph(set, k, seed))
          << "k=" << k << " n=" << n;
      // Every bin is filled after densification unless the set is empty.
      EXPECT_EQ(sig.empty(), n == 0);
    }
  }
}

TEST(OphMinHasher, DuplicatesAndOrderDoNotMatterAndEnginesDiffer) {
  MinHasher h = OphHasher(64);
  std::vector<uint64_t> a{5, 1, 9, 1, 5}, b{9, 5, 1};
  EXPECT_EQ(h.Sign(a), h.Sign(b));
  const Signature classic = Hasher(64).Sign(a), oph = h.Sign(a);
  EXPECT_NE(std::vector<uint32_t>(classic.values().begin(), classic.values().end()),
            std::vector<uint32_t>(oph.values().begin(), oph.values().end()));
  // The engine is part of the fingerprint.
  SketchOptions o;
  o.engine = MinHashEngine::kClassic;
  SketchOptions oph_options = o;
  oph_options.engine = MinHashEngine::kOph;
  EXPECT_NE(SketchFingerprint(o), SketchFingerprint(oph_options));
  EXPECT_NE(DescribeSketchOptions(oph_options).find("minhash=oph32"), std::string::npos);
  EXPECT_EQ(*ParseMinHashEngine("oph"), MinHashEngine::kOph);
  EXPECT_EQ(*ParseMinHashEngine("classic"), MinHashEngine::kClassic);
  EXPECT_EQ(ParseMinHashEngine("fast").status().code(), absl::StatusCode::kInvalidArgument);
}

// Unbiasedness, for set sizes from well below K (most bins densified) to far above it:
// over N independent pairs the mean of d = estimate - J must lie within 4 standard
// errors of 0, the standard error estimated from the sample itself (sd(d) / sqrt(N)),
// since the densified estimator's variance has no simple closed form.
TEST(OphMinHasher, EstimateIsUnbiasedAtEverySize) {
  uint64_t state = 99;
  for (int k : {64, 128, 256}) {
    MinHasher h = OphHasher(k, 555);
    for (int scale : {1, 4, 40}) {  // Mean union sizes ~40, ~160, ~1600.
      const int n = 1500;
      Moments d;  // estimate - J
      for (int trial = 0; trial < n; ++trial) {
        auto pair = MakeSetPair(&state, (5 + (trial % 12) * 4) * scale, (1 + (trial % 7) * 2) * scale);
        d.Add(*EstimateJaccard(h.Sign(pair.a), h.Sign(pair.b)) - pair.jaccard);
      }
      EXPECT_LE(std::fabs(d.Mean()), 4.0 * std::sqrt(d.Variance()) / std::sqrt(n)) << "k=" << k << " scale=" << scale;
    }
  }
}

// For sets much larger than K (no empty bin: P <= K e^(-|A u B| / K) < 1e-6 here) each
// slot agrees with probability J and the bins partition the set like sampling K of
// |A u B| elements without replacement, so the variance is that of the classic engine,
// J (1 - J) / K, times about the finite-population correction
// f = (|A u B| - K) / (|A u B| - 1) <= 1. The z-scores of ErrorMatchesTheory must have
// mean 0 (|mean| <= 4 / sqrt(N)) and variance at most 1 + 4 sqrt(2 / N), and at least
// min f - 4 sqrt(2 / N) (a scheme whose slots do not vary independently enough fails).
TEST(OphMinHasher, LargeSetErrorIsAtMostClassic) {
  uint64_t state = 31337;
  for (int k : {64, 128, 256}) {
    MinHasher h = OphHasher(k, 777);
    const int n = 1200;
    Moments z;
    double min_f = 1;
    for (int trial = 0; trial < n; ++trial) {
      const int common = 4000 + (trial % 12) * 400;
      const int only = 200 + (trial % 7) * 300;
      auto pair = MakeSetPair(&state, common, only);
      const double u = common + 2.0 * only;
      min_f = std::min(min_f, (u - k) / (u - 1));
      const double est = *EstimateJaccard(h.Sign(pair.a), h.Sign(pair.b));
      z.Add((est - pair.jaccard) / MinHashStandardError(pair.jaccard, k));
    }
    const double var = z.Variance();
    EXPECT_LE(std::fabs(z.Mean()), 4.0 / std::sqrt(n)) << "k=" << k;
    EXPECT_LE(var, 1.0 + 4.0 * std::sqrt(2.0 / n)) << "k=" << k;
    EXPECT_GE(var, min_f - 4.0 * std::sqrt(2.0 / n)) << "k=" << k;
  }
}

// LSH banding over kOph signatures of large sets: the candidate count over M pairs per
// similarity level lies within 4 binomial standard deviations of the S-curve.
TEST(OphMinHasher, LshCandidateRateFollowsTheSCurve) {
  for (LshParams params : {LshParams{16, 8}, LshParams{42, 3}}) {
    MinHasher h = OphHasher(128, 11);
    uint64_t state = 2025;
    for (int common : {400, 800, 1600, 2800}) ExpectCandidateRateFollowsSCurve(h, params, common, 300, 300, &state);
  }
}

// ---------------------------------------------------------------------------------
// Fast similarity sketching (MinHashEngine::kFss).

// A plain reference of the documented scheme: every round in full (no early stop), so
// it also checks that stopping once every bin is filled changes nothing.
std::vector<uint32_t> ReferenceFss(const std::vector<uint64_t>& set, int k, uint64_t seed) {
  uint64_t state = seed;
  for (int i = 0; i < 2 * k + 2; ++i) SplitMix64(&state);  // Classic parameters, oph keys.
  const uint64_t key = SplitMix64(&state);
  int round_bits = 0;
  while ((uint64_t{1} << round_bits) < 2 * static_cast<uint64_t>(k)) ++round_bits;
  std::vector<uint32_t> sig(k, kEmptySlot);
  for (uint64_t round = 0; round < 2 * static_cast<uint64_t>(k); ++round) {
    for (uint64_t x : set) {
      const uint64_t y = Mix64(x + key + round * 0x9E3779B97F4A7C15ull);
      uint64_t bin;
      if (round < static_cast<uint64_t>(k)) {
        bin = ((y >> 32) * k) >> 32;
      } else {
        bin = ((((Mix64(x + key) >> 32) * k) >> 32) + round - k) % k;
      }
      const uint32_t value =
          static_cast<uint32_t>(round << (32 - round_bits)) | (static_cast<uint32_t>(y) >> round_bits);
      sig[bin] = std::min(sig[bin], value);
    }
  }
  return sig;
}

TEST(FssMinHasher, MatchesReferenceImplementation) {
  uint64_t state = 777;
  for (int k : {1, 7, 64, 128, 256}) {
    for (size_t n : {0, 1, 2, 10, 127, 128, 1000}) {
      std::vector<uint64_t> set;
      for (size_t i = 0; i < n; ++i) set.push_back(SplitMix64(&state));
      const uint64_t seed = static_cast<uint64_t>(k) * 17 + n;
      Signature sig = FssHasher(k, seed).Sign(set);
      ASSERT_EQ(std::vector<uint32_t>(sig.values().begin(), sig.values().end()), ReferenceFss(set, k, seed))
          << "k=" << k << " n=" << n;
      EXPECT_EQ(sig.empty(), n == 0);
    }
  }
  // Order and duplicates do not matter; the engine is in the fingerprint.
  MinHasher h = FssHasher(64);
  EXPECT_EQ(h.Sign(std::vector<uint64_t>{5, 1, 9, 1, 5}), h.Sign(std::vector<uint64_t>{9, 5, 1}));
  SketchOptions o;
  o.engine = MinHashEngine::kFss;
  EXPECT_NE(DescribeSketchOptions(o).find("minhash=fss32"), std::string::npos);
  SketchOptions c = o;
  c.engine = MinHashEngine::kClassic;
  EXPECT_NE(SketchFingerprint(o), SketchFingerprint(c));
  EXPECT_EQ(*ParseMinHashEngine("fss"), MinHashEngine::kFss);
}

// Slot j is the least of v_j(x) over the set, v_j(x) a per-element value independent
// across elements, so P[slot agrees] = J for every set size (up to equal 24-bit values
// within one round, ~2^-24). The z-scores against the classic standard error
// sqrt(J (1 - J) / K): mean within 4 / sqrt(N) of 0, and variance at most that of
// independent functions, 1 + 4 sqrt(2 / N) -- at every size, including sets smaller
// than K (where the rounds spread each element over several bins, sampling the set
// without replacement: the variance is lower, not higher as with densification).
TEST(FssMinHasher, ErrorIsAtMostClassicAtEverySize) {
  uint64_t state = 4711;
  for (int k : {64, 128, 256}) {
    MinHasher h = FssHasher(k, 99);
    for (int scale : {1, 4, 40}) {  // Mean union sizes ~40, ~160, ~1600.
      const int n = 1500;
      Moments z;
      for (int trial = 0; trial < n; ++trial) {
        auto pair = MakeSetPair(&state, (5 + (trial % 12) * 4) * scale, (1 + (trial % 7) * 2) * scale);
        const double est = *EstimateJaccard(h.Sign(pair.a), h.Sign(pair.b));
        z.Add((est - pair.jaccard) / MinHashStandardError(pair.jaccard, k));
      }
      EXPECT_LE(std::fabs(z.Mean()), 4.0 / std::sqrt(n)) << "k=" << k << " scale=" << scale;
      EXPECT_LE(z.Variance(), 1.0 + 4.0 * std::sqrt(2.0 / n)) << "k=" << k << " scale=" << scale;
    }
  }
}

// LSH banding over kFss signatures follows the S-curve (4 binomial sigma), for short
// and long sets.
TEST(FssMinHasher, LshCandidateRateFollowsTheSCurve) {
  MinHasher h = FssHasher(128, 12);
  uint64_t state = 2026;
  for (LshParams params : {LshParams{16, 8}, LshParams{42, 3}}) {
    for (int scale : {1, 10}) {
      for (int common : {40, 80, 160, 280}) {
        ExpectCandidateRateFollowsSCurve(h, params, common * scale, 30 * scale, 300, &state);
      }
    }
  }
}

// ---------------------------------------------------------------------------------
// b-bit slots.

TEST(PackedSignature, LayoutAndExtremes) {
  const uint32_t slots[3] = {0x11223344u, 0xAABBCCDDu, 0x00000001u};
  uint8_t out8[3], out16[6], out32[12];
  PackSignature(slots, 3, 8, out8);
  PackSignature(slots, 3, 16, out16);
  PackSignature(slots, 3, 32, out32);
  EXPECT_EQ(std::vector<uint8_t>(out8, out8 + 3), (std::vector<uint8_t>{0x44, 0xDD, 0x01}));
  EXPECT_EQ(std::vector<uint8_t>(out16, out16 + 6), (std::vector<uint8_t>{0x44, 0x33, 0xDD, 0xCC, 0x01, 0x00}));
  EXPECT_EQ(PackedSignatureBytes(128, 8), 128u);
  EXPECT_EQ(PackedSignatureBytes(128, 16), 256u);
  EXPECT_TRUE(ValidSignatureBits(16));
  EXPECT_FALSE(ValidSignatureBits(12));
  for (int bits : {8, 16, 32}) {
    EXPECT_DOUBLE_EQ(PackedSimilarity(out32, out32, 3, 32), 1.0);
    const uint8_t* p = bits == 8 ? out8 : bits == 16 ? out16 : out32;
    EXPECT_DOUBLE_EQ(PackedSimilarity(p, p, 3, bits), 1.0) << bits;
  }
  // Agreement below chance clamps to 0.
  const uint8_t x[2] = {1, 2}, y[2] = {3, 4};
  EXPECT_DOUBLE_EQ(PackedSimilarity(x, y, 2, 8), 0.0);
}

// The corrected b-bit estimate over N random pairs (classic engine, independent slots):
// z = (estimate - J) / PackedStandardError(J) has mean 0 (|mean| <= 4 / sqrt(N)) and
// variance 1 (within 4 sqrt(2 / N)) -- the low bits of two different minima agree with
// probability 2^-b, which the correction removes. J runs from 0.05 to 0.5, where the
// uncorrected bias (1 - J) 2^-8 is 0.1-0.2 standard errors: the mean test sees it (its
// tolerance is 0.10), and clamping at 0 stays negligible (~7 expected agreements).
TEST(PackedSignature, CorrectedEstimateMatchesTheory) {
  uint64_t state = 8080;
  MinHasher h = Hasher(128, 31);
  for (int bits : {8, 16}) {
    const int n = 1500;
    Moments z;
    for (int trial = 0; trial < n; ++trial) {
      auto pair = MakeSetPair(&state, 60 + (trial % 12) * 40, 300 + (trial % 7) * 30);
      const Signature a = h.Sign(pair.a), b = h.Sign(pair.b);
      std::vector<uint8_t> pa(PackedSignatureBytes(128, bits)), pb(pa.size());
      PackSignature(a.values().data(), 128, bits, pa.data());
      PackSignature(b.values().data(), 128, bits, pb.data());
      z.Add((PackedSimilarity(pa.data(), pb.data(), 128, bits) - pair.jaccard) /
            PackedStandardError(pair.jaccard, 128, bits));
    }
    EXPECT_LE(std::fabs(z.Mean()), 4.0 / std::sqrt(n)) << "bits " << bits;
    EXPECT_NEAR(z.Variance(), 1.0, 4.0 * std::sqrt(2.0 / n)) << "bits " << bits;
  }
}

}  // namespace
}  // namespace dedup


namespace dedup {
namespace {
// CountDistinct against sort + unique, on hashes with many repeats (a document's
// repeated shingles), with values sharing their low bits (one home slot, long probe
// runs) or their high bits, with homes at the table's end (probes wrap around), and at
// the sizes where the table grows.
TEST(CountDistinct, MatchesSortUnique) {
  std::mt19937_64 rng(99);
  std::vector<uint64_t> table;
  for (int trial = 0; trial < 3000; ++trial) {
    const size_t distinct = trial % 300;
    std::vector<uint64_t> values(distinct);
    for (uint64_t& v : values) {
      v = rng();
      switch (rng() % 4) {
        case 0: v = (v & ~uint64_t{0xFFFF}) | 0x1234; break;            // Same low 16 bits.
        case 1: v = (v & ~uint64_t{0xFFFF}) | 0xFFFF; break;            // Home at the end.
        case 2: v = (v & 0xFFFFFFFFull) | 0xABCD123400000000ull; break;  // Same high 32 bits.
        default: break;
      }
      if (trial % 10 == 0) v = rng() % 3;  // Small values, 0 included.
    }
    std::vector<uint64_t> hashes;
    for (size_t i = 0; i < distinct + rng() % (distinct + 1); ++i) hashes.push_back(values[rng() % distinct]);
    std::vector<uint64_t> set = hashes;
    SortUnique(&set);
    ASSERT_EQ(CountDistinct(hashes, &table), set.size()) << "trial " << trial;
  }
  // Values that differ only above the home bits, or only below the top bits, are
  // different values.
  EXPECT_EQ(CountDistinct({0xABCD000000000001ull, 0xABCD000000000041ull}, &table), 2u);
  EXPECT_EQ(CountDistinct({0x100000001ull, 0x300000001ull, 0x100000001ull}, &table), 2u);
  EXPECT_EQ(CountDistinct({0, 0, 64, 1}, &table), 3u);
}

// CountEqualSlots counts exactly the slots whose kept bits agree (a byte-by-byte
// reference), for every width and for K that is not a multiple of the 16-byte steps, and
// PackedSimilarity is the corrected share of them.
TEST(CountEqualSlotsTest, CountsExactlyTheAgreeingSlots) {
  uint64_t state = 21;
  for (int bits : kSignatureBits) {
    for (int k : {1, 3, 4, 5, 8, 15, 16, 17, 64, 100, 128, 130, kMaxNumPerm}) {
      const size_t bytes = PackedSignatureBytes(k, bits);
      const int width = bits / 8;
      std::vector<uint8_t> a(bytes), b(bytes);
      for (int trial = 0; trial < 20; ++trial) {
        for (uint8_t& x : a) x = static_cast<uint8_t>(SplitMix64(&state));
        b = a;
        // Change one byte (any byte of the slot) of about a third of the slots; all of
        // them in one trial, none in another.
        for (int i = 0; i < k; ++i) {
          if (trial == 1 || (trial > 1 && SplitMix64(&state) % 3 == 0)) {
            b[static_cast<size_t>(i * width) + SplitMix64(&state) % width] ^= 0x40;
          }
        }
        int expected = 0;
        for (int i = 0; i < k; ++i) {
          expected += std::memcmp(&a[static_cast<size_t>(i * width)], &b[static_cast<size_t>(i * width)],
                                  static_cast<size_t>(width)) == 0;
        }
        ASSERT_EQ(CountEqualSlots(a.data(), b.data(), k, bits), expected) << bits << " bits, K " << k;
        const double p = static_cast<double>(expected) / k;
        const double chance = bits >= 32 ? 0.0 : std::ldexp(1.0, -bits);
        EXPECT_DOUBLE_EQ(PackedSimilarity(a.data(), b.data(), k, bits),
                         std::clamp((p - chance) / (1.0 - chance), 0.0, 1.0));
      }
    }
  }
}

}  // namespace
}  // namespace dedup
