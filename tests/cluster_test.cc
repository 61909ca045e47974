#include "dedup/cluster.h"

#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace dedup {
namespace {

using dedup::testing::MakeSetPair;

class ClusterTest : public ::testing::Test {
 protected:
  SketchedDocument Doc(const std::vector<uint64_t>& set) {
    SketchedDocument d;
    d.signature = hasher_.Sign(set);
    d.shingles = set;
    d.num_shingles = static_cast<uint32_t>(set.size());
    return d;
  }
  MinHasher hasher_ = *MinHasher::Create({.num_perm = 128, .seed = 9}, 1);
};

TEST_F(ClusterTest, RejectsBadOptions) {
  EXPECT_FALSE(Clusterer::Create({.threshold = 1.5}, 128).ok());
  EXPECT_FALSE(Clusterer::Create({.threshold = -0.1}, 128).ok());
  EXPECT_FALSE(Clusterer::Create({.signature_bits = 12}, 128).ok());
  EXPECT_FALSE(Clusterer::Create({.threshold = 0.5, .lsh = LshParams{20, 8}}, 128).ok());
}

// Chains merge transitively; the representative is the first document in input
// order; clusters are numbered by their representative's position.
TEST_F(ClusterTest, TransitiveMergesAndDeterministicNumbering) {
  uint64_t state = 1;
  // x: a base set; y shares 90% with x; z shares 90% with y.
  auto x = MakeSetPair(&state, 400, 0).a;
  std::vector<uint64_t> y(x.begin() + 20, x.end()), z(x.begin() + 40, x.end());
  for (int i = 0; i < 20; ++i) y.push_back(SplitMix64(&state));
  for (int i = 0; i < 40; ++i) z.push_back(SplitMix64(&state));
  std::sort(y.begin(), y.end());
  std::sort(z.begin(), z.end());
  auto other = MakeSetPair(&state, 400, 0).a;

  for (bool exact : {true, false}) {
    auto c = *Clusterer::Create({.threshold = 0.75, .exact = exact}, 128);
    c->Add("other", "", Doc(other));  // Position 0: its own cluster 0.
    c->Add("z", "", Doc(z));          // Position 1: representative of cluster 1.
    c->Add("x", "", Doc(x));
    c->Add("y", "", Doc(y));
    ClusterResult r = c->Finish();
    ASSERT_EQ(r.documents.size(), 4u);
    EXPECT_EQ(r.documents[0].cluster, 0u);
    for (int i = 1; i < 4; ++i) {
      EXPECT_EQ(r.documents[i].cluster, 1u) << "exact=" << exact << " doc " << i;
      EXPECT_EQ(r.documents[i].representative, 1u);
    }
    EXPECT_EQ(r.documents[1].similarity, 1.0);
    // x-z: |x ∩ z| = 360, |x ∪ z| = 440 -> J = 0.818; the estimate is within 4 sigma.
    const double jxz = 360.0 / 440.0;
    EXPECT_NEAR(r.documents[2].similarity, jxz, exact ? 1e-12 : 4 * MinHashStandardError(jxz, 128));
    EXPECT_EQ(r.stats.clusters, 2);
    EXPECT_EQ(r.stats.duplicate_clusters, 1);
    EXPECT_EQ(r.stats.duplicates, 2);
    EXPECT_EQ(r.clusters[1], (std::vector<DocIndex>{1, 2, 3}));
  }
}

TEST_F(ClusterTest, EmptyDocumentsNeverGroup) {
  for (bool exact : {true, false}) {
    auto c = *Clusterer::Create({.threshold = 0.0, .exact = exact}, 128);
    c->Add("e1", "", Doc({}));
    c->Add("e2", "", Doc({}));
    c->Add("e3", "", Doc({}));
    ClusterResult r = c->Finish();
    EXPECT_EQ(r.stats.clusters, 3) << "exact=" << exact;
    EXPECT_EQ(r.stats.empty_documents, 3);
  }
}

TEST_F(ClusterTest, BelowThresholdStaysApart) {
  uint64_t state = 8;
  auto p = MakeSetPair(&state, 100, 100);  // J = 1/3.
  for (bool exact : {true, false}) {
    auto c = *Clusterer::Create({.threshold = 0.7, .exact = exact}, 128);
    c->Add("a", "", Doc(p.a));
    c->Add("b", "", Doc(p.b));
    EXPECT_EQ(c->Finish().stats.clusters, 2);
  }
}

// On well-separated random groups, LSH clustering equals the exact oracle's.
TEST_F(ClusterTest, LshAgreesWithExactOnSeparatedGroups) {
  uint64_t state = 31;
  std::vector<SketchedDocument> docs;
  for (int g = 0; g < 40; ++g) {
    auto base = MakeSetPair(&state, 300, 0).a;
    for (int c = 0; c < 1 + g % 4; ++c) {
      std::vector<uint64_t> copy(base.begin() + c * 5, base.end());  // J >= 0.95 within a group.
      docs.push_back(Doc(copy));
    }
  }
  auto lsh = *Clusterer::Create({.threshold = 0.7}, 128);
  auto exact = *Clusterer::Create({.threshold = 0.7, .exact = true}, 128);
  for (size_t i = 0; i < docs.size(); ++i) {
    lsh->Add(std::to_string(i), "", docs[i]);
    exact->Add(std::to_string(i), "", docs[i]);
  }
  auto a = lsh->Finish(), b = exact->Finish();
  ASSERT_EQ(a.documents.size(), b.documents.size());
  for (size_t i = 0; i < a.documents.size(); ++i) EXPECT_EQ(a.documents[i].cluster, b.documents[i].cluster);
  EXPECT_EQ(a.stats.clusters, 40);
}

// b-bit signatures: groups far from the thresholds (J >= 0.95 within, ~0 across) come
// out the same as with full slots, for 16 and 8 bits; the reported similarity is the
// corrected estimate, within 4 of its standard errors of the full-slot one.
TEST_F(ClusterTest, PackedSignaturesGiveTheSameClusters) {
  uint64_t state = 57;
  std::vector<SketchedDocument> docs;
  for (int g = 0; g < 40; ++g) {
    auto base = MakeSetPair(&state, 300, 0).a;
    for (int c = 0; c < 1 + g % 4; ++c) docs.push_back(Doc({base.begin() + c * 5, base.end()}));
  }
  auto full = *Clusterer::Create({.threshold = 0.7}, 128);
  for (size_t i = 0; i < docs.size(); ++i) full->Add(std::to_string(i), "", docs[i]);
  const ClusterResult want = full->Finish();
  for (int bits : {16, 8}) {
    auto packed = *Clusterer::Create({.threshold = 0.7, .signature_bits = bits}, 128);
    for (size_t i = 0; i < docs.size(); ++i) packed->Add(std::to_string(i), "", docs[i]);
    const ClusterResult got = packed->Finish();
    ASSERT_EQ(got.documents.size(), want.documents.size());
    for (size_t i = 0; i < got.documents.size(); ++i) {
      EXPECT_EQ(got.documents[i].cluster, want.documents[i].cluster) << "bits " << bits << " doc " << i;
      const double j = want.documents[i].similarity;
      EXPECT_NEAR(got.documents[i].similarity, j, 4 * PackedStandardError(j, 128, bits) + 1e-9)
          << "bits " << bits << " doc " << i;
    }
  }
}

}  // namespace
}  // namespace dedup
