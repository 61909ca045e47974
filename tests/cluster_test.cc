#include "dedup/cluster.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"
#include "oneapi/tbb/task_arena.h"

#include "dedup/opening.h"
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
  // Bands must compare at least kMinBandBits = 24 bits: 8 x 3 and 16 x 2 do, 8 x 2 and
  // 16 x 1 do not.
  EXPECT_TRUE(Clusterer::Create({.lsh = LshParams{42, 3}, .signature_bits = 8}, 128).ok());
  EXPECT_TRUE(Clusterer::Create({.lsh = LshParams{64, 2}, .signature_bits = 16}, 128).ok());
  auto narrow = Clusterer::Create({.lsh = LshParams{64, 2}, .signature_bits = 8}, 128);
  ASSERT_FALSE(narrow.ok());
  EXPECT_NE(narrow.status().message().find("use at least 3 rows"), std::string_view::npos) << narrow.status();
  EXPECT_FALSE(Clusterer::Create({.lsh = LshParams{128, 1}, .signature_bits = 16}, 128).ok());
  EXPECT_TRUE(Clusterer::Create({.lsh = LshParams{128, 1}, .signature_bits = 32}, 128).ok());
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

// Ids and snippets live in one byte arena until Finish(): every one comes back
// byte for byte, whatever its length (empty, around std::string's 15-byte inline
// limit, long) or content (non-ASCII, tabs, line breaks, NUL, invalid UTF-8), and so
// do the publication times and shingle counts, with either index.
TEST_F(ClusterTest, IdsSnippetsTimesAndCountsRoundTrip) {
  const std::vector<std::pair<std::string, std::string>> texts = {
      {"", ""},
      {"a", ""},
      {"", "a snippet for a document without an id"},
      {"fifteen-chars-1", "sixteen-chars-12"},
      {"sixteen-chars-12", "fifteen-chars-1"},
      {std::string(1000, 'i'), std::string(5000, 's')},
      {"Москва-東京-🦀", "«Цитата» — 引用 🦀"},
      {"id\twith\ttabs", "line one\nline two\r\n\tindented"},
      {std::string("nul\0inside", 10), std::string("\0", 1)},
      {"\xff\xfe", "\xc3"},  // Not UTF-8: the clusterer stores bytes, not text.
      {"last", ""},
  };
  const std::vector<int64_t> times = {kNoTime, 0, -86400, 1700000000, INT64_MAX, 42, kNoTime, 7, 8, 9, 10};
  ASSERT_EQ(times.size(), texts.size());
  uint64_t state = 77;
  const auto base = MakeSetPair(&state, 300, 0).a;
  for (bool exact : {false, true}) {
    auto c = *Clusterer::Create({.exact = exact}, 128);
    std::vector<uint32_t> counts;
    for (size_t i = 0; i < texts.size(); ++i) {
      // Odd positions copy the base set less a few shingles: clusters form too.
      SketchedDocument d =
          i % 2 ? Doc({base.begin() + i, base.end()}) : Doc(MakeSetPair(&state, 50 + i, 0).a);
      counts.push_back(d.num_shingles);
      c->Add(texts[i].first, texts[i].second, std::move(d), times[i]);
    }
    ClusterResult r = c->Finish();
    ASSERT_EQ(r.documents.size(), texts.size());
    for (size_t i = 0; i < texts.size(); ++i) {
      EXPECT_EQ(r.documents[i].id, texts[i].first) << "exact=" << exact << " doc " << i;
      EXPECT_EQ(r.documents[i].snippet, texts[i].second) << "exact=" << exact << " doc " << i;
      EXPECT_EQ(r.documents[i].published, times[i]) << "exact=" << exact << " doc " << i;
      EXPECT_EQ(r.documents[i].num_shingles, counts[i]) << "exact=" << exact << " doc " << i;
    }
    EXPECT_EQ(r.stats.duplicate_clusters, 1) << "exact=" << exact;  // The odd positions.
    EXPECT_EQ(r.clusters[r.documents[1].cluster], (std::vector<DocIndex>{1, 3, 5, 7, 9}));
  }
}

// The canonical rules read the time and shingle-count columns of the right documents.
TEST_F(ClusterTest, CanonicalRulesPickByTimeCountOrPosition) {
  uint64_t state = 5;
  const auto set = MakeSetPair(&state, 200, 0).a;
  // Identical sets: every pair is "similar" (Jaccard 1) whatever the shingle counts,
  // which are set apart by hand for kLongest.
  const std::vector<int64_t> times = {kNoTime, 200, 100, 300};
  const std::vector<uint32_t> counts = {300, 500, 400, 450};
  for (CanonicalRule rule : {CanonicalRule::kEarliest, CanonicalRule::kFirst, CanonicalRule::kLongest}) {
    auto c = *Clusterer::Create({.canonical = rule}, 128);
    for (size_t i = 0; i < times.size(); ++i) {
      SketchedDocument d = Doc(set);
      d.num_shingles = counts[i];
      c->Add(std::to_string(i), "", std::move(d), times[i]);
    }
    ClusterResult r = c->Finish();
    const DocIndex want = rule == CanonicalRule::kEarliest ? 2 : rule == CanonicalRule::kFirst ? 0 : 1;
    ASSERT_EQ(r.stats.clusters, 1);
    for (const DocumentResult& d : r.documents) {
      EXPECT_EQ(d.representative, want) << "rule " << static_cast<int>(rule);
      EXPECT_EQ(d.relation, &d == &r.documents[want] ? Relation::kRepresentative : Relation::kSimilar);
    }
  }
}

// Documents with random signatures: no two share a band key, so none is a candidate.
SketchedDocument RandomSketch(uint64_t* state, int num_perm) {
  std::vector<uint32_t> values(num_perm);
  for (uint32_t& v : values) v = static_cast<uint32_t>(SplitMix64(state));
  SketchedDocument d;
  d.signature = Signature(std::move(values), 1);
  d.num_shingles = 100;
  return d;
}

// Signatures are stored in blocks (128 documents each at 32 bits and K = 128, 512 at 8
// bits): copies verified against originals several blocks back, at other offsets in
// their blocks, are found identical, and distinct documents stay apart.
TEST_F(ClusterTest, SignaturesAcrossBlocksVerify) {
  for (int bits : {32, 16, 8}) {
    auto c = *Clusterer::Create({.signature_bits = bits}, 128);
    uint64_t state = 21;
    std::vector<SketchedDocument> originals;
    for (int i = 0; i < 700; ++i) originals.push_back(RandomSketch(&state, 128));
    for (const SketchedDocument& d : originals) c->Add("", "", d);
    for (int i = 0; i < 700; i += 3) c->Add("", "", originals[i]);  // Positions 700 to 933.
    ClusterResult r = c->Finish();
    EXPECT_EQ(r.stats.clusters, 700) << "bits " << bits;
    for (int i = 0; i < 700; i += 3) {
      const DocumentResult& copy = r.documents[700 + i / 3];
      ASSERT_EQ(copy.representative, static_cast<DocIndex>(i)) << "bits " << bits;
      EXPECT_EQ(copy.similarity, 1.0) << "bits " << bits << " copy of " << i;
    }
  }
}

TEST_F(ClusterTest, MemoryGrowsWithDocumentsAndFinishReleasesIt) {
  for (bool record_pairs : {false, true}) {
    auto c = *Clusterer::Create(
        {.lsh = LshParams{14, 9}, .record_pairs = record_pairs, .signature_bits = 8}, 128);
    uint64_t state = 3;
    size_t last = c->MemoryBytes();
    size_t text = 0;  // Bytes of the ids and snippets added so far.
    SketchedDocument previous;
    for (int i = 0; i < 1000; ++i) {
      // Every tenth document repeats the one before: verified pairs, for record_pairs.
      SketchedDocument d = i % 10 == 9 ? previous : RandomSketch(&state, 128);
      previous = d;
      const std::string id = absl::StrFormat("document-%d", i);
      const std::string snippet = i % 3 ? "" : "a snippet";
      text += id.size() + snippet.size();
      c->Add(id, snippet, std::move(d));
      const ClustererMemory m = c->Memory();
      const size_t n = i + 1;
      ASSERT_GE(c->MemoryBytes(), last) << "after document " << i;
      // Each part lies between what the layout needs and what it may allocate, counted
      // here from the documents added (not from the parts):
      //   the band join's scratch, two 8-byte entries per (non-empty) document, exactly;
      //   128 bytes of signature per document, in 64 KiB blocks of 512 (the last one
      //     not full) and a list of block pointers (8 bytes each, capacity at most twice
      //     the blocks);
      //   the ids and snippets, an 8-byte end offset and a 4-byte id length per
      //     document, in std::vectors whose capacity is at most twice their size;
      //   a 4-byte parent, a 4-byte count and an 8-byte time per document, likewise.
      const size_t blocks = (n + 511) / 512;
      const size_t signatures_min = 128 * n, signatures_max = blocks * 65536 + 2 * 8 * blocks;
      const size_t ids_min = text + 12 * n, ids_max = 2 * ids_min;
      const size_t other_min = 16 * n, other_max = 2 * other_min;
      ASSERT_EQ(m.index, 16 * n);
      ASSERT_GE(m.signatures, signatures_min);
      ASSERT_LE(m.signatures, signatures_max);
      ASSERT_GE(m.ids_and_snippets, ids_min);
      ASSERT_LE(m.ids_and_snippets, ids_max);
      ASSERT_GE(m.other, other_min);
      ASSERT_LE(m.other, other_max);
      // And the whole, as MemoryBytes() reports it, between the sums of the bounds.
      ASSERT_GE(c->MemoryBytes(), 16 * n + signatures_min + ids_min + other_min)
          << "after document " << i;
      ASSERT_LE(c->MemoryBytes(), 16 * n + signatures_max + ids_max + other_max)
          << "after document " << i;
      last = c->MemoryBytes();
    }
    ClusterResult r = c->Finish();
    EXPECT_EQ(r.stats.duplicates, 100);
    EXPECT_EQ(r.verified_pairs.size(), record_pairs ? 100u : 0u);
    // Finish() hands the recorded pairs over and frees the index and every column.
    EXPECT_EQ(c->MemoryBytes(), 0u) << "record_pairs=" << record_pairs;
  }
}

// The bytes per document at 10,000 documents, K = 128, 8-bit signatures and 14 x 9
// banding stay within what the layout allows (ids "doc000000": 9 bytes, no snippets):
//   signatures, 128 bytes each in 64 KiB blocks of 512: at most one block not full,
//     and a list of block pointers (8 bytes each, at most twice as many as blocks):
//     <= 128 per document + 65,536 + 2 * 8 * (n / 512 + 1) in all;
//   the other columns, std::vectors, which at most double when they grow:
//     id 9 + end offset 8 + id length 4 + parent 4 + count 4 + time 8 = 37 bytes,
//     so <= 2 * 37 = 74 per document;
//   the band join's scratch (allocated in Finish()): exactly 16 bytes per document,
//     whatever the banding.
// In all <= ~225 bytes per document at n = 10,000, and at least 128 + 37 + 16 = 181.
TEST_F(ClusterTest, MemoryPerDocumentWithinLayoutBound) {
  constexpr int kDocs = 10000;
  constexpr double n = kDocs;
  auto c = *Clusterer::Create({.lsh = LshParams{14, 9}, .signature_bits = 8}, 128);
  uint64_t state = 11;
  for (int i = 0; i < kDocs; ++i) {
    c->Add(absl::StrFormat("doc%06d", i), "", RandomSketch(&state, 128));
  }
  const ClustererMemory m = c->Memory();
  const double signatures_max = 128 * n + 65536 + 2 * 8 * (n / 512 + 1);
  const double columns = 9 + 8 + 4 + 4 + 4 + 8;
  const double upper = signatures_max + 2 * columns * n + 16 * n;
  const double lower = (128 + columns + 16) * n;
  EXPECT_LE(static_cast<double>(m.total()), upper) << m.total() / n << " bytes per document";
  EXPECT_GE(static_cast<double>(m.total()), lower) << m.total() / n << " bytes per document";
  // By part, so that slack in one cannot hide behind another.
  EXPECT_LE(static_cast<double>(m.signatures), signatures_max);
  EXPECT_GE(static_cast<double>(m.signatures), 128 * n);
  EXPECT_LE(static_cast<double>(m.ids_and_snippets), 2 * (9 + 8 + 4) * n);
  EXPECT_EQ(static_cast<double>(m.index), 16 * n);
  std::cout << "bytes per document: " << m.total() / n << " (index " << m.index / n
            << ", signatures " << m.signatures / n << ", ids and snippets "
            << m.ids_and_snippets / n << ", other " << m.other / n << ")\n";
}

// The all-pairs reference of the band join: every pair of documents that agree in a band
// (on their kept bits) is a candidate; those Classify accepts are verified, in order (a, b)
// with a < b and b ascending, and joined by union-find (the smaller root wins).
struct AllPairs {
  int64_t candidates = 0;
  std::vector<std::pair<DocIndex, DocIndex>> verified;
  std::vector<int> root;
  int Find(int x) const {
    while (root[x] != x) x = root[x];
    return x;
  }
};
AllPairs VerifyAllPairs(const std::vector<SketchedDocument>& docs, const LshParams& lsh, int bits,
                        const MatchOptions& match) {
  const int n = static_cast<int>(docs.size());
  const uint32_t mask = bits == 32 ? 0xFFFFFFFFu : (1u << bits) - 1;
  AllPairs ref;
  ref.root.resize(n);
  for (int i = 0; i < n; ++i) ref.root[i] = i;
  std::vector<std::vector<uint8_t>> packed(n, std::vector<uint8_t>(PackedSignatureBytes(128, bits)));
  for (int i = 0; i < n; ++i) PackSignature(docs[i].signature.values().data(), 128, bits, packed[i].data());
  for (int b = 0; b < n; ++b) {
    for (int a = 0; a < b; ++a) {
      if (docs[a].num_shingles == 0 || docs[b].num_shingles == 0) continue;
      const uint32_t* sa = docs[a].signature.values().data();
      const uint32_t* sb = docs[b].signature.values().data();
      bool shared = false;
      for (int band = 0; band < lsh.bands && !shared; ++band) {
        bool all = true;
        for (int r = band * lsh.rows; r < (band + 1) * lsh.rows; ++r) all &= ((sa[r] ^ sb[r]) & mask) == 0;
        shared = all;
      }
      if (!shared) continue;
      ++ref.candidates;
      const PairEstimate e =
          EstimatePackedPair(packed[a].data(), docs[a].num_shingles, packed[b].data(), docs[b].num_shingles, 128, bits);
      if (Classify(e, docs[a].num_shingles, docs[b].num_shingles, match) == MatchKind::kNone) continue;
      ref.verified.emplace_back(a, b);
      const int ra = ref.Find(a), rb = ref.Find(b);
      ref.root[std::max(ra, rb)] = std::min(ra, rb);
    }
  }
  return ref;
}

// The band join finds exactly the LSH candidates -- the pairs of non-empty documents
// whose slots (their low signature_bits bits) agree in every row of at least one band,
// found here by comparing every pair band by band -- each once, and verifying them
// gives the same verified pairs, in the order an incremental run records them, and the
// same clusters as union-find over the reference pairs; without record_pairs (when
// only a spanning forest of each run's verified pairs is merged) the same clusters and
// counts. The documents are families with overlaps from ~0.3 to 1 (exact copies), so
// that many pairs share some bands and not others, plus empty documents. (8 bits x 1
// row is rejected: bands must compare 24 bits.)
TEST_F(ClusterTest, BandJoinFindsExactlyTheBandCandidates) {
  uint64_t state = 77;
  std::vector<SketchedDocument> docs;
  for (int family = 0; family < 40; ++family) {
    const auto base = MakeSetPair(&state, 200, 0).a;
    for (int member = 0; member < 1 + family % 6; ++member) {
      // Member m drops the first 15 * m elements and adds as many new ones.
      std::vector<uint64_t> set(base.begin() + 15 * member, base.end());
      const auto fresh = MakeSetPair(&state, 15 * member, 0).a;
      set.insert(set.end(), fresh.begin(), fresh.end());
      docs.push_back(Doc(set));
    }
    if (family % 7 == 0) docs.push_back(docs.back());  // An exact copy.
    if (family % 9 == 0) docs.push_back(Doc({}));      // An empty document.
  }
  {  // 40 near-copies of one document: runs of 16 and more, whose bands JoinRun gathers first.
    const auto base = MakeSetPair(&state, 200, 0).a;
    for (int member = 0; member < 40; ++member) {
      std::vector<uint64_t> set(base.begin() + member % 8, base.end());
      const auto fresh = MakeSetPair(&state, member % 8, 0).a;
      set.insert(set.end(), fresh.begin(), fresh.end());
      docs.push_back(Doc(set));
    }
  }
  const int n = static_cast<int>(docs.size());
  for (int bits : {32, 8}) {
    for (LshParams lsh : {LshParams{42, 3}, LshParams{14, 9}, LshParams{128, 1}}) {
      const std::string where = absl::StrFormat("bits %d, %d x %d", bits, lsh.bands, lsh.rows);
      const ClusterOptions options{.threshold = 0.5, .lsh = lsh, .record_pairs = true, .signature_bits = bits};
      if (bits * lsh.rows < kMinBandBits) {
        EXPECT_FALSE(Clusterer::Create(options, 128).ok()) << where;
        continue;
      }
      auto c = *Clusterer::Create(options, 128);
      for (int i = 0; i < n; ++i) c->Add(std::to_string(i), "", docs[i]);
      const ClusterResult got = c->Finish();
      ClusterOptions unrecorded = options;
      unrecorded.record_pairs = false;
      auto u = *Clusterer::Create(unrecorded, 128);
      for (int i = 0; i < n; ++i) u->Add(std::to_string(i), "", docs[i]);
      const ClusterResult forest = u->Finish();
      EXPECT_TRUE(forest.verified_pairs.empty()) << where;
      EXPECT_EQ(forest.stats.candidate_pairs, got.stats.candidate_pairs) << where;
      EXPECT_EQ(forest.stats.verified_pairs, got.stats.verified_pairs) << where;
      for (int i = 0; i < n; ++i) {
        ASSERT_EQ(forest.documents[i].cluster, got.documents[i].cluster) << where << " doc " << i;
        ASSERT_EQ(forest.documents[i].representative, got.documents[i].representative) << where << " doc " << i;
      }

      const AllPairs ref = VerifyAllPairs(docs, lsh, bits, MatchOptionsOf(options));
      const int64_t candidates = ref.candidates;
      const std::vector<std::pair<DocIndex, DocIndex>>& verified = ref.verified;
      auto find = [&](int x) { return ref.Find(x); };
      EXPECT_EQ(got.stats.candidate_pairs, candidates) << where;
      EXPECT_EQ(got.verified_pairs, verified) << where;
      // Clusters numbered by their first member, as Finish() numbers them.
      std::vector<int> number(n, -1);
      int clusters = 0;
      for (int i = 0; i < n; ++i) {
        if (find(i) == i) number[i] = clusters++;
        ASSERT_EQ(got.documents[i].cluster, static_cast<uint32_t>(number[find(i)])) << where << " doc " << i;
      }
      EXPECT_EQ(got.stats.clusters, clusters) << where;
      std::cout << where << ": " << candidates << " candidates, " << verified.size() << " verified, "
                << clusters << " clusters\n";
    }
  }
}

// The same at a scale where the join's parallel tasks split the work (blocks and chunks
// of 4,096 documents): 1,400 families of 8 documents whose slots each keep their
// family's value with probability 0.7 (so members share a few of the 42 bands, a
// different few for each pair, in runs of several documents that straddle chunk
// boundaries), one document copied 300 times at random positions, and empty
// documents; 8-bit signatures, so unrelated documents also agree in a band by chance
// (2^-24). The reference groups each band's documents by their kept slot values in a
// hash map and collects the pairs in a set. Run in task arenas of 1 and 2 threads, the
// results are identical.
TEST_F(ClusterTest, BandJoinMatchesGroupingReferenceAcrossChunks) {
  constexpr int kBits = 8;
  const LshParams lsh{42, 3};
  uint64_t state = 5;
  std::vector<SketchedDocument> docs;
  const SketchedDocument copied = RandomSketch(&state, 128);
  for (int family = 0; family < 1400; ++family) {
    const SketchedDocument base = RandomSketch(&state, 128);
    for (int member = 0; member < 8; ++member) {
      std::vector<uint32_t> values(base.signature.values().begin(), base.signature.values().end());
      for (uint32_t& v : values) {
        if (SplitMix64(&state) % 10 < 3) v = static_cast<uint32_t>(SplitMix64(&state));
      }
      SketchedDocument d;
      d.signature = Signature(std::move(values), 1);
      d.num_shingles = 100;
      const uint64_t r = SplitMix64(&state) % 40;
      if (r == 0) d = copied;
      if (r == 1) d.num_shingles = 0;
      docs.push_back(std::move(d));
    }
  }
  const int kDocs = static_cast<int>(docs.size());
  const ClusterOptions options{.threshold = 0.5, .lsh = lsh, .record_pairs = true, .signature_bits = kBits};
  std::vector<ClusterResult> results;  // Recorded pairs, 1 and 2 threads; then without.
  for (bool record : {true, false}) {
    for (int threads : {1, 2}) {
      ClusterOptions o = options;
      o.record_pairs = record;
      auto c = *Clusterer::Create(o, 128);
      for (int i = 0; i < kDocs; ++i) c->Add("", "", docs[i]);
      tbb::task_arena arena(threads);
      arena.execute([&] { results.push_back(c->Finish()); });
    }
  }
  std::set<std::pair<DocIndex, DocIndex>> pairs;
  for (int band = 0; band < lsh.bands; ++band) {
    absl::flat_hash_map<uint32_t, std::vector<DocIndex>> groups;
    for (int d = 0; d < kDocs; ++d) {
      if (docs[d].num_shingles == 0) continue;
      const uint32_t* v = docs[d].signature.values().data() + band * lsh.rows;
      groups[(v[0] & 0xFF) << 16 | (v[1] & 0xFF) << 8 | (v[2] & 0xFF)].push_back(d);
    }
    for (const auto& [value, members] : groups) {
      for (size_t y = 0; y < members.size(); ++y) {
        for (size_t x = 0; x < y; ++x) pairs.emplace(members[x], members[y]);
      }
    }
  }
  const MatchOptions match{options.threshold, options.containment_threshold, options.min_containment_shingles,
                           options.min_containment_ratio};
  std::vector<std::pair<DocIndex, DocIndex>> verified;
  for (const auto& [a, b] : pairs) {
    std::vector<uint8_t> pa(PackedSignatureBytes(128, kBits)), pb(pa.size());
    PackSignature(docs[a].signature.values().data(), 128, kBits, pa.data());
    PackSignature(docs[b].signature.values().data(), 128, kBits, pb.data());
    const PairEstimate e =
        EstimatePackedPair(pa.data(), docs[a].num_shingles, pb.data(), docs[b].num_shingles, 128, kBits);
    if (Classify(e, docs[a].num_shingles, docs[b].num_shingles, match) != MatchKind::kNone) verified.emplace_back(a, b);
  }
  std::sort(verified.begin(), verified.end(),
            [](const auto& p, const auto& q) { return std::make_pair(p.second, p.first) < std::make_pair(q.second, q.first); });
  int copies = 0;
  for (const SketchedDocument& d : docs) copies += std::equal(d.signature.values().begin(), d.signature.values().end(), copied.signature.values().begin());
  ASSERT_GE(copies, 250);
  for (size_t i = 0; i < results.size(); ++i) {
    const ClusterResult& got = results[i];
    EXPECT_EQ(got.stats.candidate_pairs, static_cast<int64_t>(pairs.size())) << "run " << i;
    EXPECT_EQ(got.stats.verified_pairs, static_cast<int64_t>(verified.size())) << "run " << i;
    const std::vector<std::pair<DocIndex, DocIndex>> none;
    EXPECT_EQ(got.verified_pairs, i < 2 ? verified : none) << "run " << i;
    for (int d = 0; d < kDocs; ++d) {
      ASSERT_EQ(got.documents[d].cluster, results[0].documents[d].cluster) << "run " << i << " doc " << d;
      ASSERT_EQ(got.documents[d].representative, results[0].documents[d].representative) << "run " << i;
    }
  }
  std::cout << pairs.size() << " candidates, " << verified.size() << " verified, " << copies << " copies\n";
}


// Giant runs (more than kMaxPairwiseClasses documents in a band's run) are joined by
// classes of copies and, past kMaxPairwiseClasses classes, by groups (cluster.h, "Giant
// runs"): the clusters, representatives, similarities, containments and relations must
// be those of verifying every candidate pair. Random corpora of signatures with runs far
// larger than 64: a template copied hundreds of times (some copies with another shingle
// count: the same signature, another class), pages sharing a "footer" (each slot kept
// with a per-page probability from 0.3 to 0.97, so that some pairs verify, some are
// near the threshold and some fail: chains, groups that merge late, rejected pairs),
// exact copies of some pages, small families of near-copies and empty documents; shingle
// counts from 20 to 200, so that containment decides some pairs. The reference is the
// straightforward all-pairs verification: every pair of documents, its bands compared
// slot by slot, verified and merged with union-find; and record_pairs, whose join
// verifies every candidate of every run. Candidate and verified counts: exact when no
// run has more than 64 classes (n copies: n(n-1)/2), never above the reference.
TEST_F(ClusterTest, GiantRunsGiveTheClustersOfAllPairs) {
  for (uint64_t seed : {1, 2, 3, 4}) {
    uint64_t state = seed;
    auto random_values = [&](int k) {
      std::vector<uint32_t> v(k);
      for (uint32_t& x : v) x = static_cast<uint32_t>(SplitMix64(&state));
      return v;
    };
    auto doc = [](std::vector<uint32_t> values, uint32_t num_shingles) {
      SketchedDocument d;
      d.signature = Signature(std::move(values), 1);
      d.num_shingles = num_shingles;
      return d;
    };
    const std::vector<uint32_t> templ = random_values(128), footer = random_values(128);
    const double keep[] = {0.97, 0.9, 0.8, 0.7, 0.6, 0.45, 0.3};
    std::vector<SketchedDocument> docs;
    for (int i = 0; i < 1600; ++i) {
      const uint64_t r = SplitMix64(&state) % 100;
      if (r < 25) {  // The template (a second shingle count for some: another class).
        docs.push_back(doc(templ, r < 5 ? 61 : 60));
      } else if (r < 70) {  // A page with the footer.
        std::vector<uint32_t> v = footer;
        const double p = keep[SplitMix64(&state) % 7];
        for (uint32_t& x : v) {
          if (static_cast<double>(SplitMix64(&state) % 1000) >= 1000 * p) x = static_cast<uint32_t>(SplitMix64(&state));
        }
        docs.push_back(doc(std::move(v), 20 + static_cast<uint32_t>(SplitMix64(&state) % 181)));
      } else if (r < 80 && !docs.empty()) {  // An exact copy of an earlier document.
        docs.push_back(docs[SplitMix64(&state) % docs.size()]);
      } else if (r < 97) {  // A small family: a new page, then a near-copy or two.
        const std::vector<uint32_t> base = random_values(128);
        const uint32_t count = 20 + static_cast<uint32_t>(SplitMix64(&state) % 181);
        for (int m = 0; m < 1 + static_cast<int>(SplitMix64(&state) % 3); ++m) {
          std::vector<uint32_t> v = base;
          for (uint32_t& x : v) {
            if (SplitMix64(&state) % 10 < static_cast<uint64_t>(2 * m)) x = static_cast<uint32_t>(SplitMix64(&state));
          }
          docs.push_back(doc(std::move(v), count + m));
        }
      } else {
        docs.push_back(doc(random_values(128), 0));  // Empty.
      }
    }
    const int n = static_cast<int>(docs.size());
    for (int bits : {32, 8}) {
      for (LshParams lsh : {LshParams{42, 3}, LshParams{14, 9}}) {
        const CanonicalRule rule = seed % 2 ? CanonicalRule::kLongest : CanonicalRule::kFirst;
        const ClusterOptions options{.threshold = 0.5, .canonical = rule, .lsh = lsh, .signature_bits = bits};
        const std::string where = absl::StrFormat("seed %d, bits %d, %d x %d", seed, bits, lsh.bands, lsh.rows);
        std::vector<ClusterResult> results;  // record_pairs (every pair of every run); then by classes, 1 and 2 threads.
        for (int run = 0; run < 3; ++run) {
          ClusterOptions o = options;
          o.record_pairs = run == 0;
          auto c = *Clusterer::Create(o, 128);
          for (int i = 0; i < n; ++i) c->Add(std::to_string(i), "", docs[i]);
          tbb::task_arena arena(run == 2 ? 2 : 1);
          arena.execute([&] { results.push_back(c->Finish()); });
        }
        // The reference: every pair.
        const AllPairs ref = VerifyAllPairs(docs, lsh, bits, MatchOptionsOf(options));
        const int64_t candidates = ref.candidates;
        const int64_t verified = static_cast<int64_t>(ref.verified.size());
        auto find = [&](int x) { return ref.Find(x); };
        const ClusterResult& all = results[0];
        EXPECT_EQ(all.stats.candidate_pairs, candidates) << where;
        EXPECT_EQ(all.stats.verified_pairs, verified) << where;
        for (int i = 0; i < n; ++i) {
          for (int j : {0, i}) {  // Same cluster as the reference's union-find, for pairs (0, i), (i, i - 1).
            const int other = j == 0 ? 0 : std::max(0, i - 1);
            ASSERT_EQ(find(i) == find(other), all.documents[i].cluster == all.documents[other].cluster) << where;
          }
        }
        for (size_t k = 1; k < results.size(); ++k) {
          const ClusterResult& got = results[k];
          EXPECT_TRUE(got.verified_pairs.empty()) << where;
          EXPECT_LE(got.stats.candidate_pairs, candidates) << where;
          EXPECT_LE(got.stats.verified_pairs, verified) << where;
          EXPECT_EQ(got.stats.candidate_pairs, results[1].stats.candidate_pairs) << where << ": threads";
          EXPECT_EQ(got.stats.clusters, all.stats.clusters) << where;
          EXPECT_EQ(got.stats.duplicates, all.stats.duplicates) << where;
          for (int i = 0; i < n; ++i) {
            const DocumentResult &g = got.documents[i], &w = all.documents[i];
            ASSERT_EQ(g.cluster, w.cluster) << where << " doc " << i;
            ASSERT_EQ(g.representative, w.representative) << where << " doc " << i;
            ASSERT_EQ(g.similarity, w.similarity) << where << " doc " << i;
            ASSERT_EQ(g.containment, w.containment) << where << " doc " << i;
            ASSERT_EQ(g.relation, w.relation) << where << " doc " << i;
          }
        }
        size_t largest = 0;
        for (const auto& c : all.clusters) largest = std::max(largest, c.size());
        std::cout << where << ": " << candidates << " candidates (" << results[1].stats.candidate_pairs
                  << " by classes), " << verified << " verified (" << results[1].stats.verified_pairs << "), "
                  << all.stats.clusters << " clusters, largest " << largest << "\n";
      }
    }
  }
}

// n copies of one document: one run of n in every band, one class; the counts stay
// those of every pair (n(n-1)/2 candidates, all verified), found in O(n) per band.
TEST_F(ClusterTest, CopiesCountEveryPair) {
  uint64_t state = 8;
  const SketchedDocument d = RandomSketch(&state, 128);
  const SketchedDocument other = RandomSketch(&state, 128);
  for (int64_t n : {int64_t{65}, int64_t{3000}}) {
    auto c = *Clusterer::Create({}, 128);
    c->Add("other", "", other);
    for (int64_t i = 0; i < n; ++i) c->Add(std::to_string(i), "", d);
    const ClusterResult r = c->Finish();
    EXPECT_EQ(r.stats.candidate_pairs, n * (n - 1) / 2);
    EXPECT_EQ(r.stats.verified_pairs, n * (n - 1) / 2);
    EXPECT_EQ(r.stats.clusters, 2);
    ASSERT_EQ(r.clusters[1].size(), static_cast<size_t>(n));
    for (int64_t i = 1; i <= n; ++i) {
      ASSERT_EQ(r.documents[i].representative, 1u);
      ASSERT_EQ(r.documents[i].similarity, 1.0);
    }
  }
}

// Opening excerpts (verify.h, opening.h). A document that is the first 30% of a larger
// one (its first 120 of 400 shingles, every tenth edited) has Jaccard ~0.25 with it,
// far below what the main bands aim at; the opening join offers the pair and the
// opening rule accepts it as an excerpt. Two texts of the same size stay apart: one
// contained as much but taken from the middle (no shared opening), and one that starts
// like the article (its first 50 shingles) and then goes its own way (containment 0.42).
// Without the opening rule (opening_threshold 0) the excerpt is not grouped either.
TEST_F(ClusterTest, OpeningExcerptAtThirtyPercentIsFoundAndVerified) {
  uint64_t state = 77;
  const MinHasher opening_hasher = *MinHasher::Create(
      {.num_perm = kDefaultOpeningPerm, .seed = OpeningSeed(9), .engine = MinHashEngine::kFss}, 1);
  auto doc = [&](const std::vector<uint64_t>& text) {  // Shingle hashes in text order.
    std::vector<uint64_t> set = text;
    std::sort(set.begin(), set.end());
    set.erase(std::unique(set.begin(), set.end()), set.end());
    SketchedDocument d = Doc(set);
    std::vector<uint64_t> opening, bits;
    OpeningShingles(text, kDefaultOpeningShingles, &opening, &bits);
    const Signature sig = opening_hasher.Sign(opening);
    d.opening.assign(sig.values().begin(), sig.values().end());
    return d;
  };
  std::vector<uint64_t> article;
  for (int i = 0; i < 400; ++i) article.push_back(SplitMix64(&state));
  auto edited = [&](std::vector<uint64_t> text) {
    for (size_t i = 5; i < text.size(); i += 10) text[i] = SplitMix64(&state);
    return text;
  };
  const std::vector<uint64_t> excerpt = edited({article.begin(), article.begin() + 120});
  const std::vector<uint64_t> middle = edited({article.begin() + 200, article.begin() + 320});
  std::vector<uint64_t> lead(article.begin(), article.begin() + 50);
  for (int i = 0; i < 70; ++i) lead.push_back(SplitMix64(&state));
  for (double opening_threshold : {kDefaultOpeningThreshold, 0.0}) {
    auto c = *Clusterer::Create({.opening_threshold = opening_threshold, .ordered_slots = true}, 128);
    c->Add("article", "", doc(article));
    c->Add("excerpt", "", doc(excerpt));
    c->Add("middle", "", doc(middle));
    c->Add("lead", "", doc(lead));
    const ClusterResult r = c->Finish();
    EXPECT_NE(r.documents[2].cluster, r.documents[0].cluster);  // middle
    EXPECT_NE(r.documents[3].cluster, r.documents[0].cluster);  // lead
    EXPECT_NE(r.documents[2].cluster, r.documents[1].cluster);
    EXPECT_NE(r.documents[3].cluster, r.documents[1].cluster);
    if (opening_threshold > 0) {
      EXPECT_EQ(r.documents[1].cluster, r.documents[0].cluster);
      EXPECT_EQ(r.documents[1].relation, Relation::kExcerpt);
      EXPECT_LT(r.documents[1].similarity, 0.4);
    } else {
      EXPECT_NE(r.documents[1].cluster, r.documents[0].cluster);
    }
  }
}

}  // namespace
}  // namespace dedup
