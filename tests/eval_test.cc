#include "dedup/eval.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace dedup {
namespace {

// Hand-computed: truth {0,1,2} {3,4} {5}; predicted {0,1} {2,3} {4,5}.
// Contingency cells with 2 items: only (pred {0,1}, true group 1) -> TP = 1.
// Predicted pairs = 3, true pairs = C(3,2) + C(2,2) = 4.
TEST(ScorePairs, HandComputed) {
  std::vector<uint32_t> truth{0, 0, 0, 1, 1, 2}, pred{7, 7, 8, 8, 9, 9};
  PairScores s = ScorePairs(pred, truth);
  EXPECT_EQ(s.true_positives, 1);
  EXPECT_EQ(s.predicted_pairs, 3);
  EXPECT_EQ(s.true_pairs, 4);
  EXPECT_DOUBLE_EQ(s.precision, 1.0 / 3);
  EXPECT_DOUBLE_EQ(s.recall, 1.0 / 4);
  EXPECT_DOUBLE_EQ(s.f1, 2.0 / 7);
}

TEST(ScorePairs, NothingPredictedNothingToFind) {
  std::vector<uint32_t> singletons{0, 1, 2};
  PairScores s = ScorePairs(singletons, singletons);
  EXPECT_EQ(s.precision, 1.0);
  EXPECT_EQ(s.recall, 1.0);
}

// ARI = (Σ C(n_ij,2) − E) / (½(Σ C(a_i,2) + Σ C(b_j,2)) − E), E = Σ C(a_i,2) Σ C(b_j,2) / C(n,2).
TEST(AdjustedRandIndex, HandComputed) {
  // Same example as above: cells 1, rows 3, cols 4, C(6,2) = 15: E = 0.8;
  // ARI = (1 - 0.8) / (3.5 - 0.8) = 2/27.
  EXPECT_NEAR(AdjustedRandIndex({7, 7, 8, 8, 9, 9}, {0, 0, 0, 1, 1, 2}), 2.0 / 27, 1e-12);
  // The example in scikit-learn's documentation: ([0,0,1,1], [0,0,1,2]) -> 4/7.
  EXPECT_NEAR(AdjustedRandIndex({0, 0, 1, 1}, {0, 0, 1, 2}), 4.0 / 7, 1e-12);
  // Identical partitions (labels renamed) -> 1.
  EXPECT_DOUBLE_EQ(AdjustedRandIndex({3, 3, 1, 1, 2}, {0, 0, 5, 5, 9}), 1.0);
}

TEST(CompareWithOracle, CountsOverlap) {
  OracleScores s = CompareWithOracle({{0, 1}, {2, 3}, {2, 3}}, {{0, 1}, {1, 4}, {5, 6}, {2, 7}});
  EXPECT_EQ(s.lsh_pairs, 2);  // Duplicates collapse.
  EXPECT_EQ(s.oracle_pairs, 4);
  EXPECT_EQ(s.common, 1);
  EXPECT_DOUBLE_EQ(s.recall, 0.25);
  EXPECT_DOUBLE_EQ(s.precision, 0.5);
}

ClusterResult MakeResult(const std::vector<std::string>& ids, const std::vector<uint32_t>& clusters) {
  ClusterResult r;
  for (size_t i = 0; i < ids.size(); ++i) {
    DocumentResult d;
    d.id = ids[i];
    d.cluster = clusters[i];
    r.documents.push_back(d);
    if (r.clusters.size() <= clusters[i]) r.clusters.resize(clusters[i] + 1);
    r.clusters[clusters[i]].push_back(static_cast<DocIndex>(i));
  }
  return r;
}

// Three originals: a with a chrome copy and a truncated one, b with a chrome copy, c alone.
GroundTruth ThreeOriginals() {
  return GroundTruth::FromRecords({
      {"a", {"a", "original", ""}},
      {"a1", {"a", "chrome", ""}},
      {"a2", {"a", "trunc", ""}},
      {"b", {"b", "original", ""}},
      {"b1", {"b", "chrome", ""}},
      {"c", {"c", "original", ""}},
  });
}

TEST(Evaluate, RecallByKindAndMergedOriginals) {
  const GroundTruth truth = ThreeOriginals();
  // a, a1 together; a2 alone; b, b1 and c wrongly together.
  ClusterResult r = MakeResult({"a", "a1", "a2", "b", "b1", "c"}, {0, 0, 1, 2, 2, 2});
  auto e = Evaluate(r, truth);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->originals, 3);
  EXPECT_EQ(e->merged_original_pairs, 1);  // b with c.
  ASSERT_EQ(e->by_kind.size(), 2u);
  EXPECT_EQ(e->by_kind[0].kind, "chrome");
  EXPECT_EQ(e->by_kind[0].found, 2);
  EXPECT_EQ(e->by_kind[0].total, 2);
  EXPECT_EQ(e->by_kind[1].kind, "trunc");
  EXPECT_EQ(e->by_kind[1].found, 0);
  // True pairs: (a,a1) (a,a2) (a1,a2) (b,b1) = 4; predicted: (a,a1) (b,b1) (b,c) (b1,c) = 4; TP 2.
  EXPECT_EQ(e->pairs.true_pairs, 4);
  EXPECT_EQ(e->pairs.predicted_pairs, 4);
  EXPECT_EQ(e->pairs.true_positives, 2);
}

TEST(Evaluate, PairRecallByKind) {
  const GroundTruth truth = ThreeOriginals();
  // a, a1 together; a2 alone; b, b1 and c wrongly together.
  auto e = Evaluate(MakeResult({"a", "a1", "a2", "b", "b1", "c"}, {0, 0, 1, 2, 2, 2}), truth);
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->pair_recall_by_kind.size(), 3u);
  const KindPairRecall& chrome = e->pair_recall_by_kind[0];
  const KindPairRecall& original = e->pair_recall_by_kind[1];
  const KindPairRecall& trunc = e->pair_recall_by_kind[2];
  EXPECT_EQ(chrome.kind, "chrome");
  EXPECT_EQ(original.kind, "original");
  EXPECT_EQ(trunc.kind, "trunc");
  // True pairs: (a,a1) (a,a2) (a1,a2) (b,b1). With a chrome document: (a,a1) (a1,a2) (b,b1),
  // found (a,a1) (b,b1); predicted with one: (a,a1) (b,b1) (b1,c), so one false.
  EXPECT_EQ(chrome.true_pairs, 3);
  EXPECT_EQ(chrome.found_pairs, 2);
  EXPECT_EQ(chrome.predicted_pairs, 3);
  EXPECT_EQ(chrome.false_pairs(), 1);
  EXPECT_DOUBLE_EQ(chrome.recall(), 2.0 / 3);
  // With an original: (a,a1) (a,a2) (b,b1) true, (a,a1) (b,b1) found, (b,c) (b1,c) false.
  EXPECT_EQ(original.true_pairs, 3);
  EXPECT_EQ(original.found_pairs, 2);
  EXPECT_EQ(original.false_pairs(), 2);
  // With a trunc: (a,a2) (a1,a2), none found, none predicted.
  EXPECT_EQ(trunc.true_pairs, 2);
  EXPECT_EQ(trunc.found_pairs, 0);
  EXPECT_EQ(trunc.predicted_pairs, 0);
  EXPECT_EQ(trunc.recall(), 0.0);

  std::ostringstream json;
  WriteEvaluation(*e, /*json=*/true, json);
  EXPECT_NE(json.str().find("\"pair_recall_by_kind\": {\"chrome\": {\"found\": 2, \"total\": 3, "
                            "\"recall\": 0.666667, \"false_pairs\": 1}"),
            std::string::npos)
      << json.str();
}

TEST(Evaluate, MissingIdIsAnError) {
  GroundTruth truth = GroundTruth::FromRecords({{"a", {"a", "original", ""}}});
  auto e = Evaluate(MakeResult({"a", "zzz"}, {0, 1}), truth);
  EXPECT_EQ(e.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(e.status().message().find("zzz"), std::string::npos);
}

std::string WriteTemp(const std::string& name, const std::string& content) {
  std::string path = ::testing::TempDir() + "/eval_test_" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

TEST(GroundTruth, ReadsAndRejects) {
  auto ok = GroundTruth::Read(WriteTemp("ok.tsv", "id\tsource_id\tkind\na\ta\toriginal\nb\ta\tchrome\n"));
  ASSERT_TRUE(ok.ok()) << ok.status();
  ASSERT_NE(ok->Find("b"), nullptr);
  EXPECT_EQ(ok->Find("b")->source_id, "a");
  EXPECT_EQ(ok->Find("b")->kind, "chrome");

  auto no_col = GroundTruth::Read(WriteTemp("nocol.tsv", "id\tsrc\na\ta\n"));
  EXPECT_NE(no_col.status().message().find(":1:"), std::string::npos) << no_col.status();
  auto dup = GroundTruth::Read(WriteTemp("dup.tsv", "id\tsource_id\na\ta\na\ta\n"));
  EXPECT_NE(dup.status().message().find(":3: duplicate id"), std::string::npos) << dup.status();
  auto fields = GroundTruth::Read(WriteTemp("fields.tsv", "id\tsource_id\na\n"));
  EXPECT_NE(fields.status().message().find(":2:"), std::string::npos) << fields.status();
  EXPECT_EQ(GroundTruth::Read("/nonexistent/truth.tsv").status().code(), absl::StatusCode::kNotFound);
}

TEST(ReadClusterAssignment, ReadsReportTsvAndRejects) {
  // The report format: more columns than id and cluster, labels of any kind, escaped ids.
  auto r = ReadClusterAssignment(WriteTemp(
      "clusters.tsv",
      "id\tcluster\trepresentative\nx\t17\tx\ny\t5\ty\nz\t17\tx\nw\\tv\tc-9\tw\n"));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->documents.size(), 4u);
  EXPECT_EQ(r->documents[3].id, "w\tv");
  EXPECT_EQ(r->documents[0].cluster, 0u);
  EXPECT_EQ(r->documents[1].cluster, 1u);
  EXPECT_EQ(r->documents[2].cluster, 0u);
  EXPECT_EQ(r->documents[3].cluster, 2u);
  ASSERT_EQ(r->clusters.size(), 3u);
  EXPECT_EQ(r->clusters[0], (std::vector<DocIndex>{0, 2}));

  GroundTruth truth = GroundTruth::FromRecords({{"x", {"x", "original", ""}},
                                                {"y", {"x", "chrome", ""}},
                                                {"z", {"z", "original", ""}},
                                                {"w\tv", {"w\tv", "original", ""}}});
  auto e = Evaluate(*r, truth);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->pairs.true_pairs, 1);
  EXPECT_EQ(e->pairs.true_positives, 0);
  EXPECT_EQ(e->merged_original_pairs, 1);  // x with z

  auto no_col = ReadClusterAssignment(WriteTemp("c_nocol.tsv", "id\tgroup\na\t1\n"));
  EXPECT_NE(no_col.status().message().find(":1:"), std::string::npos) << no_col.status();
  auto dup = ReadClusterAssignment(WriteTemp("c_dup.tsv", "id\tcluster\na\t1\na\t2\n"));
  EXPECT_NE(dup.status().message().find(":3: duplicate id"), std::string::npos) << dup.status();
  auto fields = ReadClusterAssignment(WriteTemp("c_fields.tsv", "id\tcluster\na\n"));
  EXPECT_NE(fields.status().message().find(":2:"), std::string::npos) << fields.status();
  EXPECT_EQ(ReadClusterAssignment("/nonexistent/c.tsv").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace dedup
