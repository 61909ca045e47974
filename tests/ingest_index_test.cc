// Tests of the durable ingestion index (dedup/ingest_index.h).
//
// Ground truth comes from batch runs: RunClusterPipeline over the same documents in the
// same order must give exactly the clusters the index holds, however the documents were
// ingested (batch sizes, sessions) and after removals and expiry. Corpora are the
// shipped fixtures and a seeded synthetic corpus built here with near-duplicate forks and
// "midpoint" documents that merge two clusters. File-format checks (checksums) are
// recomputed here from the format described in ingest_index.h, independently of the
// implementation.
#include "dedup/ingest_index.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "dedup/internal/fsync.h"
#include "dedup/minhash.h"
#include "dedup/pipeline.h"
#include "dedup/report.h"
#include "tests/ingest_test_util.h"
#include "tests/text_util.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace dedup {
namespace {

namespace fs = std::filesystem;
using namespace dedup::testing;  // NOLINT: the shared test helpers.

IngestOptions WithParams(const IndexParams& p) {
  IngestOptions o;
  o.params = p;
  return o;
}

// Ingests `docs` in random batches (1..max_batch), closing and reopening the index at
// random points; returns every decision, in order.
std::vector<CheckResult> IngestInSessions(const std::string& path, const std::vector<Document>& docs,
                                          const IndexParams& params, uint64_t seed, size_t max_batch,
                                          int* sessions = nullptr) {
  uint64_t s = seed;
  std::vector<CheckResult> decisions;
  absl::StatusOr<std::unique_ptr<IngestIndex>> index = IngestIndex::Create(path, WithParams(params));
  EXPECT_TRUE(index.ok()) << index.status();
  if (!index.ok()) return decisions;
  int opened = 1;
  for (size_t i = 0; i < docs.size();) {
    const size_t n = std::min(docs.size() - i, 1 + Uniform(&s, max_batch));
    absl::StatusOr<std::vector<CheckResult>> r =
        (*index)->CheckAndInsert(absl::MakeConstSpan(docs.data() + i, n));
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return decisions;
    decisions.insert(decisions.end(), r->begin(), r->end());
    i += n;
    if (Uniform(&s, 4) == 0) {  // A new session: close, reopen with the stored parameters.
      index->reset();
      index = IngestIndex::Open(path, {});
      EXPECT_TRUE(index.ok()) << index.status();
      if (!index.ok()) return decisions;
      ++opened;
    }
  }
  if (sessions != nullptr) *sessions = opened;
  return decisions;
}

std::unique_ptr<IngestIndex> OpenOrDie(const std::string& path, IngestOptions options = {}) {
  absl::StatusOr<std::unique_ptr<IngestIndex>> index = IngestIndex::Open(path, options);
  EXPECT_TRUE(index.ok()) << index.status();
  return index.ok() ? std::move(*index) : nullptr;
}

void ExpectVerifies(const IngestIndex& index, const std::string& label) {
  absl::StatusOr<VerifyReport> v = index.Verify();
  ASSERT_TRUE(v.ok()) << label << ": " << v.status();
  EXPECT_TRUE(v->ok()) << label << ": " << (v->problems.empty() ? "" : v->problems[0]);
}

// --- Creating and opening ----------------------------------------------------------

TEST(IngestIndexTest, CreateOpenAndRefuseToOverwrite) {
  TempDir dir;
  const std::string path = dir.File("a.dedup");
  {
    absl::StatusOr<std::unique_ptr<IngestIndex>> index = IngestIndex::Create(path, {});
    ASSERT_TRUE(index.ok()) << index.status();
    EXPECT_EQ((*index)->Stats().documents, 0);
    // A batch run's defaults (ingest_index.h): the index leaves chrome out too.
    EXPECT_EQ((*index)->sketch_description(), DescribeSketchOptions(SketchOptions{}));
  }
  // Only the index file remains: no temporary, no WAL after a clean close.
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir.File(""))) files.push_back(e.path().filename().string());
  EXPECT_EQ(files, std::vector<std::string>{"a.dedup"});

  absl::StatusOr<std::unique_ptr<IngestIndex>> again = IngestIndex::Create(path, {});
  EXPECT_TRUE(absl::IsAlreadyExists(again.status())) << again.status();
  absl::StatusOr<std::unique_ptr<IngestIndex>> missing = IngestIndex::Open(dir.File("none.dedup"), {});
  EXPECT_TRUE(absl::IsNotFound(missing.status())) << missing.status();
  EXPECT_NE(missing.status().message().find("none.dedup"), std::string_view::npos);

  std::unique_ptr<IngestIndex> index = OpenOrDie(path);
  ASSERT_NE(index, nullptr);
  // The documented defaults, a batch run's: word 3-shingles, threshold 0.5, containment
  // 0.7, containment_z 2, chrome learned; and the banding a batch run chooses for them.
  SketchOptions sketch;
  sketch.shingle = {ShingleKind::kWord, 3};
  ClusterOptions cluster;
  cluster.threshold = 0.5;
  cluster.containment_threshold = 0.7;
  cluster.containment_z = 2.0;
  const IndexParams defaults = IndexParamsFor(sketch, cluster);
  EXPECT_TRUE(index->CheckParams(defaults).ok()) << index->CheckParams(defaults);
  EXPECT_EQ(index->params().sketch.shingle.kind, ShingleKind::kWord);
  EXPECT_EQ(index->params().sketch.shingle.size, 3);
  EXPECT_EQ(index->params().match.threshold, 0.5);
  EXPECT_EQ(index->params().match.containment_threshold, 0.7);
  EXPECT_EQ(index->params().match.containment_z, 2.0);
  EXPECT_TRUE(index->params().chrome.enabled);
  EXPECT_EQ(DescribeChromeRule(index->params().chrome), DescribeChromeRule(BoilerplateOptions{}));
  auto clusterer = Clusterer::Create(cluster, kDefaultNumPerm);
  ASSERT_TRUE(clusterer.ok());
  EXPECT_EQ(index->lsh_params(), (*clusterer)->lsh_params());
}

// A failed fsync of the folder after the link leaves no index behind (a retry must not
// find one that "already exists"); EINVAL there (a file system without folder fsync) is
// no failure, as for AtomicFileWriter: both use internal::FsyncPath.
TEST(IngestIndexTest, CreateLeavesNothingWhenTheFolderFsyncFails) {
  TempDir dir;
  const std::string path = dir.File("a.dedup");
  int folder_syncs = 0;
  int error = EIO;
  internal::SetFsyncForTesting([&](int fd, const std::string&, bool directory) {
    if (!directory) return ::fsync(fd) == 0 ? 0 : errno;
    ++folder_syncs;
    return error;
  });
  absl::StatusOr<std::unique_ptr<IngestIndex>> failed = IngestIndex::Create(path, {});
  EXPECT_TRUE(absl::IsUnavailable(failed.status())) << failed.status();
  EXPECT_GE(folder_syncs, 1);
  EXPECT_FALSE(fs::exists(path));
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir.File(""))) files.push_back(e.path().filename().string());
  EXPECT_TRUE(files.empty()) << files[0];

  error = EINVAL;
  absl::StatusOr<std::unique_ptr<IngestIndex>> einval = IngestIndex::Create(path, {});
  internal::SetFsyncForTesting(nullptr);
  EXPECT_TRUE(einval.ok()) << einval.status();
  EXPECT_TRUE(fs::exists(path));
}

TEST(IngestIndexTest, ThreadCountsOutOfRangeAreRefused) {
  TempDir dir;
  const std::string path = dir.File("a.dedup");
  IngestOptions options;
  options.threads = 65537;
  EXPECT_TRUE(absl::IsInvalidArgument(IngestIndex::Create(path, options).status()));
  EXPECT_FALSE(fs::exists(path));
  ASSERT_TRUE(IngestIndex::Create(path, {}).ok());
  absl::StatusOr<std::unique_ptr<IngestIndex>> opened = IngestIndex::Open(path, options);
  EXPECT_TRUE(absl::IsInvalidArgument(opened.status())) << opened.status();
  EXPECT_NE(opened.status().message().find("0..1024"), std::string_view::npos) << opened.status();
}

// --- Equivalence with batch runs ----------------------------------------------------

TEST(IngestIndexTest, FixturesMatchBatchInAnyBatchingAndSessions) {
  TempDir dir;
  const std::string corpus = (FixturesDir() / "news.jsonl").string();
  const std::vector<Document> docs = ReadCorpus(corpus);
  ASSERT_EQ(docs.size(), 48u);
  PipelineOptions options;
  const ClusterResult batch = BatchRun(corpus, options);
  const IndexParams params = IndexParamsFor(options.sketch, options.cluster);
  int run = 0;
  for (size_t max_batch : {1, 3, 7, 48}) {
    const std::string path = dir.File(absl::StrFormat("news%d.dedup", run++));
    IngestInSessions(path, docs, params, /*seed=*/max_batch, max_batch);
    std::unique_ptr<IngestIndex> index = OpenOrDie(path);
    ASSERT_NE(index, nullptr);
    const ClusterResult exported = index->ExportClusters(/*dense_ids=*/true);
    ExpectSameClusters(batch, exported, true, absl::StrFormat("max batch %d", max_batch));
    // Reports too: the machine formats are byte-identical.
    ReportInfo info;
    for (ReportFormat f : {ReportFormat::kTsv, ReportFormat::kJson, ReportFormat::kJsonl, ReportFormat::kCsv}) {
      std::ostringstream a, b;
      WriteReport(batch, info, f, a);
      WriteReport(exported, info, f, b);
      EXPECT_EQ(a.str(), b.str()) << "format " << static_cast<int>(f);
    }
    ExpectVerifies(*index, "news");
  }
}

struct ParamCase {
  const char* name;
  double threshold;
  double containment;
  CanonicalRule canonical;
  int num_perm;
  const char* shingle;
  uint64_t seed;
};

class EquivalenceTest : public ::testing::TestWithParam<ParamCase> {};

TEST_P(EquivalenceTest, SyntheticCorpusMatchesBatch) {
  const ParamCase& c = GetParam();
  PipelineOptions options;
  options.cluster.threshold = c.threshold;
  options.cluster.containment_threshold = c.containment;
  options.cluster.canonical = c.canonical;
  options.sketch.num_perm = c.num_perm;
  options.sketch.shingle = *ParseShingleSpec(c.shingle);
  options.sketch.seed = c.seed;
  const IndexParams params = IndexParamsFor(options.sketch, options.cluster);
  for (uint64_t corpus_seed : {11u, 12u}) {
    TempDir dir;
    const std::string corpus = dir.File("corpus.jsonl");
    WriteJsonl(corpus, MakeCorpus(corpus_seed, 500));
    const std::vector<Document> docs = ReadCorpus(corpus);
    const ClusterResult batch = BatchRun(corpus, options);
    int sessions = 0;
    const std::vector<CheckResult> decisions =
        IngestInSessions(dir.File("x.dedup"), docs, params, corpus_seed * 31, 40, &sessions);
    ASSERT_EQ(decisions.size(), docs.size());
    EXPECT_GT(sessions, 5);
    std::unique_ptr<IngestIndex> index = OpenOrDie(dir.File("x.dedup"));
    ASSERT_NE(index, nullptr);
    const std::string label = absl::StrFormat("%s corpus %d", c.name, corpus_seed);
    ExpectSameClusters(batch, index->ExportClusters(true), true, label);

    // Stable ids: a cluster's id is the one its first document got as "new" (no
    // removals here), and every other "new" id was merged away, once each.
    const ClusterResult stable = index->ExportClusters(false);
    int64_t news = 0;
    for (size_t i = 0; i < docs.size(); ++i) {
      news += decisions[i].decision == Decision::kNew;
      EXPECT_EQ(stable.documents[i].id, decisions[i].id);
    }
    for (const std::vector<DocIndex>& members : stable.clusters) {
      if (members.empty()) continue;
      const CheckResult& first = decisions[members[0]];
      EXPECT_EQ(first.decision, Decision::kNew) << label << " " << first.id;
      EXPECT_EQ(stable.cluster_ids[stable.documents[members[0]].cluster], first.cluster) << label;
    }
    const IndexStats stats = index->Stats();
    EXPECT_EQ(stats.merges, news - stats.clusters) << label;
    absl::StatusOr<std::vector<ClusterEvent>> events = index->ClusterEvents();
    ASSERT_TRUE(events.ok());
    EXPECT_EQ(static_cast<int64_t>(events->size()), stats.merges);
    for (const ClusterEvent& e : *events) EXPECT_LT(e.new_cluster, e.old_cluster) << "the older id survives";
    // The same partition under both numberings.
    for (size_t i = 0; i < docs.size(); ++i) {
      for (size_t j : {i / 2, i / 3}) {
        EXPECT_EQ(stable.documents[i].cluster == stable.documents[j].cluster,
                  batch.documents[i].cluster == batch.documents[j].cluster);
      }
    }
    ExpectVerifies(*index, label);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Params, EquivalenceTest,
    ::testing::Values(ParamCase{"defaults", kDefaultThreshold, kDefaultContainmentThreshold, CanonicalRule::kEarliest,
                                128, "word:5", 1},
                      ParamCase{"no_containment", 0.7, 0.0, CanonicalRule::kEarliest, 128, "word:5", 1},
                      ParamCase{"t05_first", 0.5, 0.0, CanonicalRule::kFirst, 128, "word:5", 1},
                      ParamCase{"t06_longest", 0.6, 0.7, CanonicalRule::kLongest, 128, "word:5", 1},
                      ParamCase{"k64_char", 0.8, 0.0, CanonicalRule::kEarliest, 64, "char:7", 7}),
    [](const ::testing::TestParamInfo<ParamCase>& info) { return std::string(info.param.name); });

TEST(IngestIndexTest, SyntheticCorpusHasMergesAndExcerpts) {
  // The equivalence tests above are only as good as the corpus: it must exercise merges
  // of two clusters, excerpts and empty documents.
  TempDir dir;
  const std::string corpus = dir.File("corpus.jsonl");
  WriteJsonl(corpus, MakeCorpus(11, 500));
  IngestInSessions(dir.File("x.dedup"), ReadCorpus(corpus), IndexParams{}, 3, 40);
  std::unique_ptr<IngestIndex> index = OpenOrDie(dir.File("x.dedup"));
  ASSERT_NE(index, nullptr);
  const IndexStats stats = index->Stats();
  EXPECT_GE(stats.merges, 5);
  EXPECT_GE(stats.empty_documents, 3);
  const ClusterResult r = index->ExportClusters(false);
  int excerpts = 0;
  for (const DocumentResult& d : r.documents) excerpts += d.relation == Relation::kExcerpt;
  EXPECT_GE(excerpts, 3);  // 4 with the defaults.
}

// --- Decisions -------------------------------------------------------------------------

TEST(IngestIndexTest, QueryAnswersWhatInsertWould) {
  TempDir dir;
  const std::string corpus = dir.File("corpus.jsonl");
  WriteJsonl(corpus, MakeCorpus(5, 300));
  const std::vector<Document> docs = ReadCorpus(corpus);
  auto index = IngestIndex::Create(dir.File("q.dedup"), {});
  ASSERT_TRUE(index.ok()) << index.status();
  int duplicates = 0, merges = 0;
  for (const Document& d : docs) {
    const IndexStats before = (*index)->Stats();
    absl::StatusOr<CheckResult> q = (*index)->Query(d);
    ASSERT_TRUE(q.ok()) << q.status();
    EXPECT_EQ((*index)->Stats().documents, before.documents);
    absl::StatusOr<CheckResult> r = (*index)->CheckAndInsert(d);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(q->decision, r->decision) << d.id;
    EXPECT_EQ(q->cluster, r->cluster) << d.id;
    EXPECT_EQ(q->canonical, r->canonical) << d.id;
    EXPECT_EQ(q->similarity, r->similarity) << d.id;
    EXPECT_EQ(q->containment, r->containment) << d.id;
    EXPECT_EQ(q->merged, r->merged) << d.id;
    duplicates += r->decision == Decision::kDuplicate;
    merges += !r->merged.empty();
    // A new document is its own canonical member, with similarity 1.
    if (r->decision == Decision::kNew) {
      EXPECT_EQ(r->canonical, d.id);
      EXPECT_EQ(r->similarity, 1.0);
    }
  }
  EXPECT_GT(duplicates, 50);
  EXPECT_GT(merges, 0);
  // Querying a stored document answers "existing" with its cluster.
  absl::StatusOr<CheckResult> again = (*index)->Query(docs[10]);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->decision, Decision::kExisting);
}

TEST(IngestIndexTest, ReplaysAreIdempotentAndConflictsAreRefused) {
  TempDir dir;
  const std::vector<Document> docs = ReadCorpus((FixturesDir() / "news.jsonl").string());
  const std::string path = dir.File("r.dedup");
  auto index = IngestIndex::Create(path, {});
  ASSERT_TRUE(index.ok());
  auto first = (*index)->CheckAndInsert(absl::MakeConstSpan(docs).subspan(0, 30));
  ASSERT_TRUE(first.ok()) << first.status();

  // Resending a committed batch (plus new documents) changes nothing for the replays.
  auto second = (*index)->CheckAndInsert(absl::MakeConstSpan(docs).subspan(20, 28));
  ASSERT_TRUE(second.ok()) << second.status();
  for (size_t i = 0; i < 10; ++i) {
    EXPECT_EQ((*second)[i].decision, Decision::kExisting) << (*second)[i].id;
    EXPECT_EQ((*second)[i].cluster, (*first)[20 + i].cluster);
  }
  EXPECT_EQ((*index)->Stats().documents, 48);
  // Within one batch, a repeated id is a replay too.
  std::vector<Document> twice = {docs[0], docs[0]};
  auto rep = (*index)->CheckAndInsert(twice);
  ASSERT_TRUE(rep.ok());
  EXPECT_EQ((*rep)[1].decision, Decision::kExisting);

  // The same id with another text: refused, and nothing of the batch is stored.
  Document fresh{.id = "fresh", .text = "a completely new article about turtles crossing the road at dawn"};
  Document conflict = docs[3];
  conflict.text += " An appended sentence makes this another text.";
  std::vector<Document> bad = {fresh, conflict};
  size_t failed = 99;
  auto refused = (*index)->CheckAndInsert(bad, &failed);
  EXPECT_TRUE(absl::IsAlreadyExists(refused.status())) << refused.status();
  EXPECT_EQ(failed, 1u);
  EXPECT_NE(refused.status().message().find(docs[3].id), std::string_view::npos);
  EXPECT_EQ((*index)->Stats().documents, 48);
  absl::StatusOr<CheckResult> q = (*index)->Query(fresh);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->decision, Decision::kNew);
  ExpectVerifies(**index, "replays");
}

TEST(IngestIndexTest, InvalidDocumentsFailTheBatchWithTheirPosition) {
  TempDir dir;
  auto index = IngestIndex::Create(dir.File("v.dedup"), {});
  ASSERT_TRUE(index.ok());
  std::vector<Document> docs = {{.id = "ok", .text = "fine text here"},
                                {.id = "bad", .text = std::string("caf\xff\xfe text")},
                                {.id = "", .text = "no id"}};
  size_t failed = 99;
  auto r = (*index)->CheckAndInsert(docs, &failed);
  EXPECT_TRUE(absl::IsInvalidArgument(r.status())) << r.status();
  EXPECT_EQ(failed, 1u);
  EXPECT_EQ((*index)->Stats().documents, 0);
}

// --- Stable ids, merges and splits ------------------------------------------------------

TEST(IngestIndexTest, MergeKeepsTheOlderIdAndRemovalSplits) {
  // A and B share nothing but C, which is similar to each: C merges B's cluster into
  // A's; removing C splits them again. The premises are checked on the signatures.
  uint64_t s = 77;
  const std::vector<std::string> vocab = Vocabulary(&s, 5000);
  std::vector<std::string> a, b_only, c_words;
  for (int i = 0; i < 300; ++i) a.push_back(vocab[Uniform(&s, vocab.size())]);
  std::vector<std::string> b = a, c = a;
  for (int i = 100; i < 200; ++i) b[i] = vocab[Uniform(&s, vocab.size())];  // B: a third replaced.
  std::copy(b.begin() + 100, b.begin() + 150, c.begin() + 100);              // C: half of that.
  // D: B with a few words changed (similar to B, not to A).
  std::vector<std::string> d = b;
  d[20] = "zzzz";
  d[250] = "yyyy";
  const Document A{.id = "A", .text = Join(a)}, B{.id = "B", .text = Join(b)}, C{.id = "C", .text = Join(c)},
      D{.id = "D", .text = Join(d)};

  IndexParams params;
  params.match.threshold = 0.6;
  params.match.containment_threshold = 0.0;
  params.sketch.num_perm = 256;
  auto sketcher = Sketcher::Create(params.sketch);
  ASSERT_TRUE(sketcher.ok());
  auto sign = [&](const Document& doc) {
    SketchScratch scratch;
    SketchedDocument out;
    EXPECT_TRUE(sketcher->Sketch(doc.text, false, &scratch, &out).ok());
    return out;
  };
  auto jaccard = [&](const Document& x, const Document& y) {
    return *EstimateJaccard(sign(x).signature, sign(y).signature);
  };
  ASSERT_LT(jaccard(A, B), 0.6);
  ASSERT_GE(jaccard(A, C), 0.6);
  ASSERT_GE(jaccard(B, C), 0.6);
  ASSERT_GE(jaccard(B, D), 0.6);
  ASSERT_LT(jaccard(A, D), 0.6);

  TempDir dir;
  const std::string path = dir.File("m.dedup");
  int64_t clock = 1000;
  IngestOptions options = WithParams(params);
  options.clock = [&clock] { return clock; };
  {
    auto index = IngestIndex::Create(path, options);
    ASSERT_TRUE(index.ok()) << index.status();
    auto ra = (*index)->CheckAndInsert(A);
    auto rb = (*index)->CheckAndInsert(B);
    ASSERT_TRUE(ra.ok() && rb.ok());
    EXPECT_EQ(ra->decision, Decision::kNew);
    EXPECT_EQ(rb->decision, Decision::kNew);
    EXPECT_EQ(ra->cluster, 1);
    EXPECT_EQ(rb->cluster, 2);
  }
  clock = 2000;
  {
    std::unique_ptr<IngestIndex> index = OpenOrDie(path, options);  // A new session.
    ASSERT_NE(index, nullptr);
    auto rc = index->CheckAndInsert(C);
    ASSERT_TRUE(rc.ok());
    EXPECT_EQ(rc->decision, Decision::kDuplicate);
    EXPECT_EQ(rc->cluster, 1);
    EXPECT_EQ(rc->merged, std::vector<int64_t>{2});
    EXPECT_EQ(rc->canonical, "A");
    auto events = index->ClusterEvents();
    ASSERT_TRUE(events.ok());
    ASSERT_EQ(events->size(), 1u);
    EXPECT_EQ((*events)[0].kind, ClusterEvent::Kind::kMerge);
    EXPECT_EQ((*events)[0].old_cluster, 2);
    EXPECT_EQ((*events)[0].new_cluster, 1);
    EXPECT_EQ((*events)[0].document, "C");
    EXPECT_EQ((*events)[0].time, 2000);
  }
  clock = 3000;
  {
    std::unique_ptr<IngestIndex> index = OpenOrDie(path, options);
    ASSERT_NE(index, nullptr);
    auto rb = index->Query(B);  // B kept its document, and now reports cluster 1.
    ASSERT_TRUE(rb.ok());
    EXPECT_EQ(rb->decision, Decision::kExisting);
    EXPECT_EQ(rb->cluster, 1);
    auto rd = index->CheckAndInsert(D);
    ASSERT_TRUE(rd.ok());
    EXPECT_EQ(rd->cluster, 1);
    EXPECT_TRUE(rd->merged.empty());

    const std::vector<std::string> remove = {"C", "nope"};
    auto removed = index->Remove(remove);
    ASSERT_TRUE(removed.ok()) << removed.status();
    EXPECT_EQ(removed->removed, 1);
    EXPECT_EQ(removed->missing, std::vector<std::string>{"nope"});
    EXPECT_EQ(removed->clusters_split, 1);
    const ClusterResult r = index->ExportClusters(false);
    ASSERT_EQ(r.documents.size(), 3u);  // A, B, D in insertion order.
    EXPECT_EQ(r.cluster_ids[r.documents[0].cluster], 1);  // A: the earliest member keeps the id.
    EXPECT_EQ(r.cluster_ids[r.documents[1].cluster], 3);  // B and D: a new id.
    EXPECT_EQ(r.cluster_ids[r.documents[2].cluster], 3);
    EXPECT_EQ(r.documents[r.documents[2].representative].id, "B");
    auto events = index->ClusterEvents(3);
    ASSERT_TRUE(events.ok());
    ASSERT_EQ(events->size(), 1u);
    EXPECT_EQ((*events)[0].kind, ClusterEvent::Kind::kSplit);
    EXPECT_EQ((*events)[0].old_cluster, 1);
    EXPECT_EQ((*events)[0].document, "C");
    ExpectVerifies(*index, "after split");
  }
  std::unique_ptr<IngestIndex> index = OpenOrDie(path, options);
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->Stats().splits, 1);
  EXPECT_EQ(index->Stats().merges, 1);
  EXPECT_EQ(index->Stats().next_cluster, 4);
}

TEST(IngestIndexTest, RemoveAndExpireMatchBatchOverWhatRemains) {
  TempDir dir;
  const std::vector<GenDoc> gen = MakeCorpus(21, 600);
  const std::string corpus = dir.File("corpus.jsonl");
  WriteJsonl(corpus, gen);
  const std::vector<Document> docs = ReadCorpus(corpus);
  PipelineOptions options;
  const IndexParams params = IndexParamsFor(options.sketch, options.cluster);
  // Insert time = 10 000 + batch number; batches of 20.
  int64_t clock = 0;
  IngestOptions ingest = WithParams(params);
  ingest.clock = [&clock] { return clock; };
  auto created = IngestIndex::Create(dir.File("e.dedup"), ingest);
  ASSERT_TRUE(created.ok());
  std::unique_ptr<IngestIndex> index = std::move(*created);
  std::vector<int64_t> inserted(docs.size());
  for (size_t i = 0; i < docs.size(); i += 20) {
    clock = 10000 + static_cast<int64_t>(i / 20);
    ASSERT_TRUE(index->CheckAndInsert(absl::MakeConstSpan(docs).subspan(i, 20)).ok());
    for (size_t j = i; j < i + 20; ++j) inserted[j] = clock;
  }
  std::vector<bool> keep(docs.size(), true);
  auto check = [&](const std::string& label) {
    std::vector<GenDoc> rest;
    for (size_t i = 0; i < gen.size(); ++i) {
      if (keep[i]) rest.push_back(gen[i]);
    }
    const std::string remaining = dir.File("rest.jsonl");
    WriteJsonl(remaining, rest);
    ExpectSameClusters(BatchRun(remaining, options), index->ExportClusters(true), false, label);
    ExpectVerifies(*index, label);
  };

  // Remove a third, at random, in a few calls.
  uint64_t s = 5;
  for (int round = 0; round < 3; ++round) {
    std::vector<std::string> ids;
    for (size_t i = 0; i < docs.size(); ++i) {
      if (keep[i] && Uniform(&s, 9) == 0) {
        ids.push_back(docs[i].id);
        keep[i] = false;
      }
    }
    auto r = index->Remove(ids);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->removed, static_cast<int64_t>(ids.size()));
  }
  check("after removals");
  const IndexStats after_removals = index->Stats();

  // Expire by insert time: everything inserted before batch 12.
  auto r = index->Expire(10012, ExpireBy::kInserted);
  ASSERT_TRUE(r.ok()) << r.status();
  int64_t expected = 0;
  for (size_t i = 0; i < docs.size(); ++i) {
    if (keep[i] && inserted[i] < 10012) {
      keep[i] = false;
      ++expected;
    }
  }
  EXPECT_EQ(r->removed, expected);
  check("after expiring by insert time");

  // Expire by publication time (documents without one: by insert time). More than half
  // of the slots are now dead, so this also compacts the in-memory index.
  const int64_t cutoff = 1679300000 + 60 * 400;
  r = index->Expire(cutoff, ExpireBy::kPublished);
  ASSERT_TRUE(r.ok()) << r.status();
  expected = 0;
  for (size_t i = 0; i < docs.size(); ++i) {
    const int64_t t = gen[i].published != kNoTime ? gen[i].published : inserted[i];
    if (keep[i] && t < cutoff) {
      keep[i] = false;
      ++expected;
    }
  }
  EXPECT_EQ(r->removed, expected);
  check("after expiring by publication time");
  EXPECT_LT(index->Stats().documents, after_removals.documents / 2);
  // After the compaction every kept document is still found by its id, and no removed
  // one is.
  {
    absl::StatusOr<std::vector<CheckResult>> known = index->Query(docs);
    ASSERT_TRUE(known.ok()) << known.status();
    for (size_t i = 0; i < docs.size(); ++i) {
      ASSERT_EQ((*known)[i].decision == Decision::kExisting, static_cast<bool>(keep[i])) << docs[i].id;
    }
  }

  // New documents after the removals still agree (compaction kept the band tables right).
  clock = 20000;
  ASSERT_TRUE(index->CheckAndInsert(absl::MakeConstSpan(docs).subspan(0, 100)).ok());
  std::vector<GenDoc> rest;
  for (size_t i = 0; i < gen.size(); ++i) {
    if (keep[i]) rest.push_back(gen[i]);
  }
  rest.insert(rest.end(), gen.begin(), gen.begin() + 100);
  // Ids 0..99 that were removed come back; those still kept are replays ("existing").
  std::vector<GenDoc> order;
  absl::flat_hash_map<std::string, bool> seen;
  for (const GenDoc& g : rest) {
    if (seen.emplace(g.id, true).second) order.push_back(g);
  }
  WriteJsonl(dir.File("rest2.jsonl"), order);
  ExpectSameClusters(BatchRun(dir.File("rest2.jsonl"), options), index->ExportClusters(true), false, "re-inserted");
  ExpectVerifies(*index, "re-inserted");
  // And after reopening.
  index.reset();
  index = OpenOrDie(dir.File("e.dedup"));
  ASSERT_NE(index, nullptr);
  ExpectSameClusters(BatchRun(dir.File("rest2.jsonl"), options), index->ExportClusters(true), false, "reopened");
}

// --- Parameters and file checks ---------------------------------------------------------

TEST(IngestIndexTest, ParameterMismatchNamesBothValues) {
  TempDir dir;
  const std::string path = dir.File("p.dedup");
  ASSERT_TRUE(IngestIndex::Create(path, {}).ok());
  struct Case {
    std::function<void(IndexParams*)> change;
    const char* key;
    std::string stored, asked;
  };
  const IndexParams defaults;
  const std::vector<Case> cases = {
      {[](IndexParams* p) { p->match.threshold = 0.85; }, "threshold", "0.5", "0.85"},
      {[](IndexParams* p) { p->sketch.seed = 42; }, "seed", "1", "42"},
      {[](IndexParams* p) { p->sketch.num_perm = 64; }, "num_perm", "128", "64"},
      {[](IndexParams* p) { p->sketch.shingle = *ParseShingleSpec("char:7"); }, "shingle", "word:3", "char:7"},
      {[](IndexParams* p) { p->match.containment_threshold = 0.5; }, "containment_threshold", "0.7", "0.5"},
      {[](IndexParams* p) { p->canonical = CanonicalRule::kLongest; }, "canonical", "earliest", "longest"},
      {[](IndexParams* p) { p->lsh = LshParams{10, 5}; }, "lsh_bands", "", "10"},
      {[](IndexParams* p) { p->chrome.min_docs = 5; }, "chrome_min_docs", "3", "5"},
      {[](IndexParams* p) { p->chrome.enabled = false; }, "chrome", DescribeChromeRule(BoilerplateOptions{}), "off"},
  };
  for (const Case& c : cases) {
    IndexParams asked = defaults;
    c.change(&asked);
    absl::StatusOr<std::unique_ptr<IngestIndex>> index = IngestIndex::Open(path, WithParams(asked));
    ASSERT_TRUE(absl::IsFailedPrecondition(index.status())) << c.key << ": " << index.status();
    const std::string message(index.status().message());
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find(c.key), std::string::npos) << message;
    EXPECT_NE(message.find("requested " + c.asked), std::string::npos) << message;
    if (!c.stored.empty()) {
      EXPECT_NE(message.find("index has " + c.stored), std::string::npos) << message;
    }
  }
  // Asking for exactly the stored parameters works.
  EXPECT_TRUE(IngestIndex::Open(path, WithParams(defaults)).ok());
}

// Rewrites one meta value (or, with nullopt, deletes the key) with a valid checksum, as
// the format in ingest_index.h defines it.
void RewriteMeta(const std::string& path, const std::string& key, const std::optional<std::string>& value) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  std::map<std::string, std::string> meta;
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT key, value FROM meta", -1, &st, nullptr), SQLITE_OK);
  while (sqlite3_step(st) == SQLITE_ROW) {
    meta[reinterpret_cast<const char*>(sqlite3_column_text(st, 0))] =
        reinterpret_cast<const char*>(sqlite3_column_text(st, 1));
  }
  sqlite3_finalize(st);
  if (value) {
    meta[key] = *value;
  } else {
    meta.erase(key);
    ASSERT_EQ(sqlite3_prepare_v2(db, "DELETE FROM meta WHERE key = ?1", -1, &st, nullptr), SQLITE_OK);
    sqlite3_bind_text(st, 1, key.c_str(), -1, SQLITE_TRANSIENT);
    ASSERT_EQ(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
  }
  std::string buf;
  for (const auto& [k, v] : meta) {
    if (k != "checksum") buf += k + "=" + v + "\n";
  }
  meta["checksum"] = absl::StrFormat("%016x", XXH3_64bits(buf.data(), buf.size()));
  for (const char* k : {key.c_str(), "checksum"}) {
    if (!meta.contains(k)) continue;
    ASSERT_EQ(sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)", -1, &st, nullptr), SQLITE_OK);
    sqlite3_bind_text(st, 1, k, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, meta[k].c_str(), -1, SQLITE_TRANSIENT);
    ASSERT_EQ(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
}

TEST(IngestIndexTest, SignaturesOfAnotherNormalizationVersionAreRefused) {
  TempDir dir;
  const std::string path = dir.File("n.dedup");
  ASSERT_TRUE(IngestIndex::Create(path, {}).ok());
  const std::string created = DescribeSketchOptions(IndexParams{}.sketch);
  std::string old = created;
  const size_t at = old.find("norm=");
  ASSERT_NE(at, std::string::npos);
  old.replace(at, old.find(' ', at) - at, "norm=0");
  RewriteMeta(path, "sketch", old);
  absl::StatusOr<std::unique_ptr<IngestIndex>> index = IngestIndex::Open(path, {});
  ASSERT_TRUE(absl::IsFailedPrecondition(index.status())) << index.status();
  EXPECT_NE(index.status().message().find("norm=0"), std::string_view::npos) << index.status();
  EXPECT_NE(index.status().message().find(created), std::string_view::npos) << index.status();

  // A meta value changed without its checksum is corruption.
  ASSERT_TRUE(IngestIndex::Create(dir.File("m.dedup"), {}).ok());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir.File("m.dedup").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE meta SET value = '0.3' WHERE key = 'threshold'", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  index = IngestIndex::Open(dir.File("m.dedup"), {});
  EXPECT_TRUE(absl::IsDataLoss(index.status())) << index.status();
}

// The MinHash engine is a stored parameter; indexes written before it was one lack the
// key and hold classic signatures; an unknown value is corruption naming the key.
TEST(IngestIndexTest, MinHashEngineIsStored) {
  TempDir dir;
  IndexParams oph;
  oph.sketch.engine = MinHashEngine::kOph;
  ASSERT_TRUE(IngestIndex::Create(dir.File("o.dedup"), WithParams(oph)).ok());
  auto reopened = IngestIndex::Open(dir.File("o.dedup"), {});
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ((*reopened)->params().sketch.engine, MinHashEngine::kOph);

  // A file of that time: classic signatures (the default then), no "minhash" key.
  IndexParams classic;
  classic.sketch.engine = MinHashEngine::kClassic;
  ASSERT_TRUE(IngestIndex::Create(dir.File("c.dedup"), WithParams(classic)).ok());
  RewriteMeta(dir.File("c.dedup"), "minhash", std::nullopt);
  reopened = IngestIndex::Open(dir.File("c.dedup"), {});
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ((*reopened)->params().sketch.engine, MinHashEngine::kClassic);

  RewriteMeta(dir.File("c.dedup"), "minhash", "fast");
  reopened = IngestIndex::Open(dir.File("c.dedup"), {});
  EXPECT_TRUE(absl::IsDataLoss(reopened.status())) << reopened.status();
  EXPECT_NE(reopened.status().message().find("\"minhash\" has a bad value \"fast\""), std::string_view::npos)
      << reopened.status();
}

// containment_z is stored; a file written before the containment guard has no
// "containment_z" key and loads with z = 0 (it accepted the estimate itself), so it keeps
// answering as it did; a bad value is corruption naming the key.
TEST(IngestIndexTest, ContainmentZIsStoredAndOldFilesLoadWithZero) {
  TempDir dir;
  const std::string path = dir.File("z.dedup");
  IndexParams params;
  params.match.containment_z = 1.5;
  ASSERT_TRUE(IngestIndex::Create(path, WithParams(params)).ok());
  auto reopened = IngestIndex::Open(path, {});
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ((*reopened)->params().match.containment_z, 1.5);
  reopened->reset();

  RewriteMeta(path, "containment_z", std::nullopt);
  reopened = IngestIndex::Open(path, {});
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ((*reopened)->params().match.containment_z, 0.0);
  EXPECT_EQ(ClusterOptionsFor((*reopened)->params()).containment_z, 0.0);
  ExpectVerifies(**reopened, "without containment_z");
  IndexParams old = params;
  old.match.containment_z = 0;
  EXPECT_TRUE((*reopened)->CheckParams(old).ok()) << (*reopened)->CheckParams(old);
  const absl::Status mismatch = (*reopened)->CheckParams(params);
  EXPECT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.message().find("containment_z"), std::string_view::npos) << mismatch;
  reopened->reset();

  RewriteMeta(path, "containment_z", "-1");
  reopened = IngestIndex::Open(path, {});
  EXPECT_TRUE(absl::IsDataLoss(reopened.status())) << reopened.status();
  EXPECT_NE(reopened.status().message().find("containment_z"), std::string_view::npos) << reopened.status();
}

TEST(IngestIndexTest, FilesThatAreNotIndexes) {
  TempDir dir;
  auto expect_invalid = [&](const std::string& path, const char* what) {
    absl::StatusOr<std::unique_ptr<IngestIndex>> index = IngestIndex::Open(path, {});
    EXPECT_TRUE(absl::IsInvalidArgument(index.status())) << what << ": " << index.status();
    EXPECT_NE(index.status().message().find(path), std::string_view::npos) << index.status();
  };
  std::ofstream(dir.File("text.txt")) << "just some text, not a database\n";
  expect_invalid(dir.File("text.txt"), "text file");
  std::ofstream(dir.File("empty.dedup")).flush();
  expect_invalid(dir.File("empty.dedup"), "empty file");
  expect_invalid(dir.File(""), "directory");
  // Another application's SQLite database.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir.File("other.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES(1);", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  expect_invalid(dir.File("other.db"), "foreign database");
}

// An index of the news fixtures, closed (no WAL), and its exported clusters.
std::string MakeSmallIndex(const TempDir& dir, ClusterResult* exported) {
  const std::string path = dir.File("orig.dedup");
  auto index = IngestIndex::Create(path, {});
  EXPECT_TRUE(index.ok());
  const std::vector<Document> docs = ReadCorpus((FixturesDir() / "news.jsonl").string());
  for (size_t i = 0; i < docs.size(); i += 5) {
    EXPECT_TRUE((*index)->CheckAndInsert(absl::MakeConstSpan(docs).subspan(i, std::min<size_t>(5, docs.size() - i))).ok());
  }
  const std::vector<std::string> gone = {docs[1].id, docs[2].id};
  EXPECT_TRUE((*index)->Remove(gone).ok());
  *exported = (*index)->ExportClusters(false);
  return path;
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

TEST(IngestIndexTest, TruncatedFilesAreRefused) {
  TempDir dir;
  ClusterResult exported;
  const std::string orig = MakeSmallIndex(dir, &exported);
  const std::string bytes = ReadBytes(orig);
  ASSERT_EQ(bytes.size() % 4096, 0u);
  std::vector<size_t> lengths = {0, 1, 15, 16, 50, 99, 100, 101, 512, 4095};
  for (size_t page = 4096; page < bytes.size(); page += 4096) {
    for (size_t d : {page - 1, page, page + 1, page + 2048}) lengths.push_back(d);
  }
  lengths.push_back(bytes.size() - 1);
  const std::string path = dir.File("cut.dedup");
  for (size_t len : lengths) {
    if (len >= bytes.size()) continue;
    WriteBytes(path, bytes.substr(0, len));
    absl::StatusOr<std::unique_ptr<IngestIndex>> index = IngestIndex::Open(path, {});
    ASSERT_FALSE(index.ok()) << "truncated to " << len << " of " << bytes.size() << " bytes";
    EXPECT_TRUE(absl::IsDataLoss(index.status()) || absl::IsInvalidArgument(index.status()))
        << len << ": " << index.status();
    EXPECT_NE(index.status().message().find(path), std::string_view::npos) << index.status();
  }
}

TEST(IngestIndexTest, CorruptBytesNeverGiveSilentGarbage) {
  // Flip bytes anywhere in the file: opening fails with a clean error, or the index
  // loads exactly what was stored, or verification reports the damage.
  TempDir dir;
  ClusterResult exported;
  const std::string orig = MakeSmallIndex(dir, &exported);
  const std::string bytes = ReadBytes(orig);
  const std::string path = dir.File("flip.dedup");
  uint64_t s = 99;
  int refused = 0, verified_bad = 0, intact = 0;
  // DEDUP_CORRUPT_TRIALS=N runs more trials (a longer hunt; 300 by default).
  const char* env = std::getenv("DEDUP_CORRUPT_TRIALS");
  const int trials = env != nullptr ? std::atoi(env) : 300;
  for (int trial = 0; trial < trials; ++trial) {
    std::string damaged = bytes;
    const int flips = 1 + static_cast<int>(Uniform(&s, 3));
    for (int f = 0; f < flips; ++f) {
      // Half of the trials hit the header and the first pages, where the structure is.
      const size_t at = trial % 2 ? Uniform(&s, damaged.size()) : Uniform(&s, std::min<size_t>(damaged.size(), 8192));
      damaged[at] = static_cast<char>(damaged[at] ^ (1 + Uniform(&s, 255)));
    }
    WriteBytes(path, damaged);
    absl::StatusOr<std::unique_ptr<IngestIndex>> index = IngestIndex::Open(path, {});
    if (!index.ok()) {
      const absl::StatusCode code = index.status().code();
      EXPECT_TRUE(code == absl::StatusCode::kDataLoss || code == absl::StatusCode::kInvalidArgument ||
                  code == absl::StatusCode::kFailedPrecondition)
          << index.status();
      ++refused;
      continue;
    }
    absl::StatusOr<VerifyReport> v = (*index)->Verify();
    if (!v.ok() || !v->ok()) {
      ++verified_bad;
      continue;
    }
    const ClusterResult now = (*index)->ExportClusters(false);
    ExpectSameClusters(exported, now, true, absl::StrFormat("trial %d: damage that verifies must be harmless", trial));
    ++intact;
  }
  EXPECT_GT(refused, 50);
  std::cout << "corrupt files: " << refused << " refused at open, " << verified_bad << " caught by verify, " << intact
            << " harmless\n";
}

TEST(IngestIndexTest, ReadOnlyIndexAnswersButDoesNotWrite) {
  TempDir dir;
  ClusterResult exported;
  const std::string path = MakeSmallIndex(dir, &exported);
  IngestOptions ro;
  ro.read_only = true;
  std::unique_ptr<IngestIndex> index = OpenOrDie(path, ro);
  ASSERT_NE(index, nullptr);
  const Document doc{.id = "new", .text = "an article that is not in the index yet at all"};
  EXPECT_TRUE(index->Query(doc).ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(index->CheckAndInsert(doc).status()));
  const std::vector<std::string> ids = {exported.documents[0].id};
  EXPECT_TRUE(absl::IsFailedPrecondition(index->Remove(ids).status()));
  EXPECT_TRUE(absl::IsFailedPrecondition(index->Expire(INT64_MAX, ExpireBy::kInserted).status()));
  if (geteuid() != 0) {  // Permissions do not bind root; tests/index_cli_test.sh mounts a read-only fs.
    index.reset();
    ASSERT_EQ(chmod(path.c_str(), 0444), 0);
    absl::StatusOr<std::unique_ptr<IngestIndex>> rw = IngestIndex::Open(path, {});
    EXPECT_TRUE(absl::IsFailedPrecondition(rw.status())) << rw.status();
    EXPECT_NE(rw.status().message().find("read-only"), std::string_view::npos);
  }
}

// fixtures/index/v1.dedup, written by format version 1 (fixtures/index/README.md says
// how): every later version must open it and answer from it. Expected values come from
// how the file was made, not from the code: 8 documents added (three of the 000 family,
// two of the 001 family, per fixtures/news_truth.tsv; joined-a = seeds 002 + 003,
// joined-b = 003 + 004, joined-ab = 002 + 003 + 004, which contains both and merged
// their clusters), then joined-ab removed (which split them again). Opened read-only from
// a copy, which must stay byte for byte as it was.
// Format 1 (written before the index learned chrome) kept no texts, so it cannot be
// converted; opening it (in any mode) is refused with a message that says so and what to
// do, and leaves the file as it was.
TEST(IngestIndexTest, RefusesTheFormatVersion1FixtureWithAClearMessage) {
  TempDir dir;
  const std::string path = dir.File("v1.dedup");
  fs::copy_file(FixturesDir() / "index" / "v1.dedup", path);
  auto read_all = [](const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  const std::string before = read_all(path);
  ASSERT_EQ(before.size(), 32768u);
  for (bool read_only : {true, false}) {
    IngestOptions o;
    o.read_only = read_only;
    absl::StatusOr<std::unique_ptr<IngestIndex>> index = IngestIndex::Open(path, o);
    ASSERT_TRUE(absl::IsFailedPrecondition(index.status())) << index.status();
    const std::string m(index.status().message());
    EXPECT_NE(m.find("format version 1"), std::string::npos) << m;
    EXPECT_NE(m.find("dedup index create"), std::string::npos) << m;
    EXPECT_NE(m.find(path), std::string::npos) << m;
  }
  absl::StatusOr<VerifyReport> v = IngestIndex::VerifyFile(path);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_FALSE(v->ok());
  EXPECT_TRUE(read_all(path) == before) << "opening changed the file";
}

// Index files written by earlier builds of this format must keep opening
// (fixtures/index/README.md says how each was made).
TEST(IngestIndexTest, OpensTheFormatVersion2Fixture) {
  TempDir dir;
  const std::string path = dir.File("v2.dedup");
  fs::copy_file(FixturesDir() / "index" / "v2.dedup", path);
  auto read_all = [](const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  const std::string before = read_all(path);
  ASSERT_EQ(before.size(), 102400u);
  {
    IngestOptions ro;
    ro.read_only = true;
    std::unique_ptr<IngestIndex> index = OpenOrDie(path, ro);
    ASSERT_NE(index, nullptr);

    // The parameters it was created with (the defaults of format 2: a batch run's).
    const IndexStats st = index->Stats();
    EXPECT_EQ(st.params.sketch.shingle.kind, ShingleKind::kWord);
    EXPECT_EQ(st.params.sketch.shingle.size, 3);
    EXPECT_EQ(st.params.sketch.num_perm, 128);
    EXPECT_EQ(st.params.sketch.seed, 1u);
    EXPECT_EQ(st.params.sketch.engine, MinHashEngine::kFss);
    EXPECT_EQ(st.params.match.threshold, 0.5);
    EXPECT_EQ(st.params.match.containment_threshold, 0.7);
    EXPECT_EQ(st.params.match.containment_z, 2.0);
    EXPECT_TRUE(st.params.chrome.enabled);
    EXPECT_EQ(st.chrome_history, 8);  // The removed document too.
    EXPECT_EQ(st.params.canonical, CanonicalRule::kEarliest);
    EXPECT_EQ(st.lsh.bands, 42);
    EXPECT_EQ(st.lsh.rows, 3);

    EXPECT_EQ(st.documents, 7);
    EXPECT_EQ(st.empty_documents, 0);
    EXPECT_EQ(st.clusters, 4);
    EXPECT_EQ(st.duplicate_clusters, 2);
    EXPECT_EQ(st.duplicates, 3);
    EXPECT_EQ(st.merges, 1);
    EXPECT_EQ(st.splits, 1);
    EXPECT_EQ(st.next_cluster, 6);

    // Stable cluster ids in creation order; the merge kept the older id (3), the split
    // gave the part without the earliest member a new one (5).
    absl::StatusOr<std::vector<ClusterEvent>> events = index->ClusterEvents();
    ASSERT_TRUE(events.ok()) << events.status();
    ASSERT_EQ(events->size(), 2u);
    EXPECT_EQ((*events)[0].kind, ClusterEvent::Kind::kMerge);
    EXPECT_EQ((*events)[0].old_cluster, 4);
    EXPECT_EQ((*events)[0].new_cluster, 3);
    EXPECT_EQ((*events)[0].document, "joined-ab");
    EXPECT_EQ((*events)[1].kind, ClusterEvent::Kind::kSplit);
    EXPECT_EQ((*events)[1].old_cluster, 3);
    EXPECT_EQ((*events)[1].new_cluster, 5);
    EXPECT_EQ((*events)[1].document, "joined-ab");

    // The export: insertion order, stable ids, each family's original its
    // representative (the earliest published); the truncated copy (60%) is above the
    // Jaccard threshold 0.5, so similar.
    const ClusterResult r = index->ExportClusters(false);
    const std::vector<std::tuple<std::string, uint32_t, std::string, Relation>> expected = {
        {"000_f108cfa45c64e33e.txt", 1, "000_f108cfa45c64e33e.txt", Relation::kRepresentative},
        {"000_f108cfa45c64e33e__typos.txt", 1, "000_f108cfa45c64e33e.txt", Relation::kSimilar},
        {"000_f108cfa45c64e33e__trunc60.txt", 1, "000_f108cfa45c64e33e.txt", Relation::kSimilar},
        {"001_6cc9de1a86de204c.txt", 2, "001_6cc9de1a86de204c.txt", Relation::kRepresentative},
        {"001_6cc9de1a86de204c__quotes.txt", 2, "001_6cc9de1a86de204c.txt", Relation::kSimilar},
        {"joined-a", 3, "joined-a", Relation::kRepresentative},
        {"joined-b", 5, "joined-b", Relation::kRepresentative},
    };
    ASSERT_EQ(r.documents.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
      const auto& [id, cluster, representative, relation] = expected[i];
      const DocumentResult& d = r.documents[i];
      EXPECT_EQ(d.id, id);
      EXPECT_EQ(r.cluster_ids[d.cluster], cluster) << id;
      ASSERT_LT(d.representative, r.documents.size());
      EXPECT_EQ(r.documents[d.representative].id, representative) << id;
      EXPECT_EQ(d.relation, relation) << id;
    }

    absl::StatusOr<VerifyReport> v = index->Verify();
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_TRUE(v->ok()) << (v->problems.empty() ? "" : v->problems[0]);
    EXPECT_EQ(v->documents, 7);
    EXPECT_EQ(v->clusters, 4);
    EXPECT_EQ(v->events, 2);

    // Queries: a stored document, an unstored copy from the 000 family, an unrelated
    // article.
    std::map<std::string, Document> news;
    for (Document& d : ReadCorpus((FixturesDir() / "news.jsonl").string())) news[d.id] = d;
    ASSERT_TRUE(news.count("000_f108cfa45c64e33e__quotes.txt") && news.count("ru_01.txt"));
    absl::StatusOr<CheckResult> q = index->Query(news["000_f108cfa45c64e33e.txt"]);
    ASSERT_TRUE(q.ok()) << q.status();
    EXPECT_EQ(q->decision, Decision::kExisting);
    EXPECT_EQ(q->cluster, 1);
    q = index->Query(news["000_f108cfa45c64e33e__quotes.txt"]);
    ASSERT_TRUE(q.ok()) << q.status();
    EXPECT_EQ(q->decision, Decision::kDuplicate);
    EXPECT_EQ(q->cluster, 1);
    EXPECT_EQ(q->canonical, "000_f108cfa45c64e33e.txt");
    q = index->Query(news["ru_01.txt"]);
    ASSERT_TRUE(q.ok()) << q.status();
    EXPECT_EQ(q->decision, Decision::kNew);
    EXPECT_EQ(q->cluster, 6);
    EXPECT_TRUE(absl::IsFailedPrecondition(index->CheckAndInsert(news["ru_01.txt"]).status()));
  }
  EXPECT_TRUE(read_all(path) == before) << "the read-only open changed the file";
  // In a writable folder a read-only connection is an ordinary WAL reader: SQLite
  // creates -shm and -wal and, being read-only, cannot remove them on close. Nothing
  // may have been written to the log.
  std::error_code ec;
  if (fs::exists(path + "-wal")) {
    EXPECT_EQ(fs::file_size(path + "-wal", ec), 0u);
  }
}

TEST(IngestIndexTest, FullFileRollsBackTheBatch) {
  TempDir dir;
  const std::string corpus = dir.File("corpus.jsonl");
  WriteJsonl(corpus, MakeCorpus(8, 600));
  const std::vector<Document> docs = ReadCorpus(corpus);
  const std::string path = dir.File("full.dedup");
  ASSERT_TRUE(IngestIndex::Create(path, {}).ok());
  IngestOptions limited;
  limited.max_file_bytes = 160 * 1024;
  std::unique_ptr<IngestIndex> index = OpenOrDie(path, limited);
  ASSERT_NE(index, nullptr);
  size_t acknowledged = 0;
  absl::Status error;
  for (size_t i = 0; i < docs.size(); i += 25) {
    auto r = index->CheckAndInsert(absl::MakeConstSpan(docs).subspan(i, 25));
    if (!r.ok()) {
      error = r.status();
      break;
    }
    acknowledged = i + 25;
  }
  ASSERT_TRUE(absl::IsResourceExhausted(error)) << error;
  EXPECT_NE(error.message().find(path), std::string_view::npos) << error;
  ASSERT_GT(acknowledged, 0u);
  // Nothing of the failed batch is visible; the index is intact and still answers.
  EXPECT_EQ(index->Stats().documents, static_cast<int64_t>(acknowledged));
  absl::StatusOr<CheckResult> unstored = index->Query(docs[acknowledged]);
  ASSERT_TRUE(unstored.ok());
  EXPECT_NE(unstored->decision, Decision::kExisting);
  ExpectVerifies(*index, "after a full file");
  index.reset();
  // Without the limit, the acknowledged documents are there and ingestion continues.
  index = OpenOrDie(path);
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->Stats().documents, static_cast<int64_t>(acknowledged));
  auto rest = index->CheckAndInsert(absl::MakeConstSpan(docs).subspan(acknowledged));
  ASSERT_TRUE(rest.ok()) << rest.status();
  // A batch run with the parameters the index was created with (the index defaults).
  PipelineOptions options;
  options.sketch = index->params().sketch;
  options.cluster = ClusterOptionsFor(index->params());
  ExpectSameClusters(BatchRun(corpus, options), index->ExportClusters(true), true, "after a full file");
}

// --- Concurrency ---------------------------------------------------------------------------

// Readers (Query, Stats, ExportClusters) on three threads while one writer inserts and
// removes. With `threads` 1 the index itself starts no oneTBB workers, so every hand-off
// between threads is a std::thread or a mutex: the configuration ThreadSanitizer can
// check (Debian's libtbb is not instrumented, so its hand-offs look like races).
void ReadersRunWithAWriter(int threads) {
  TempDir dir;
  const std::string corpus = dir.File("corpus.jsonl");
  WriteJsonl(corpus, MakeCorpus(31, 800));
  const std::vector<Document> docs = ReadCorpus(corpus);
  IngestOptions options;
  options.threads = threads;
  auto created = IngestIndex::Create(dir.File("c.dedup"), options);
  ASSERT_TRUE(created.ok());
  IngestIndex& index = **created;
  ASSERT_TRUE(index.CheckAndInsert(absl::MakeConstSpan(docs).subspan(0, 100)).ok());
  std::atomic<bool> done{false};
  std::atomic<int> reads{0}, bad{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&, t] {
      uint64_t s = 1000 + t;
      while (!done.load()) {
        // Documents stored before the readers started are always found, in the cluster
        // their id reports, and the counts are never torn.
        const Document& d = docs[Uniform(&s, 100)];
        absl::StatusOr<CheckResult> q = index.Query(d);
        if (!q.ok() || q->decision != Decision::kExisting) ++bad;
        // Stats() counts documents, clusters and the clusters of two or more from
        // different structures: a singleton holds one document and a duplicate cluster
        // at least two, and every document is counted once.
        const IndexStats st = index.Stats();
        if (st.documents < 100 || st.clusters < 1 || st.duplicate_clusters > st.clusters ||
            st.clusters + st.duplicate_clusters > st.documents ||
            st.empty_documents > st.documents) {
          ++bad;
        }
        if (t == 0 && reads % 20 == 0) {
          // The export's rows against its cluster lists and its counts: every row is
          // in exactly the cluster it names, each non-empty cluster has exactly one
          // representative (a member of it), and the rows that are not representatives
          // are the duplicates.
          const ClusterResult r = index.ExportClusters(false);
          size_t members = 0;
          int64_t nonempty = 0, two_or_more = 0, representatives = 0, others = 0;
          for (size_t n = 0; n < r.clusters.size(); ++n) {
            members += r.clusters[n].size();
            nonempty += !r.clusters[n].empty();
            two_or_more += r.clusters[n].size() > 1;
            for (DocIndex m : r.clusters[n]) {
              if (m >= r.documents.size() || r.documents[m].cluster != n) ++bad;
            }
          }
          for (const DocumentResult& d : r.documents) {
            const bool is_rep = d.relation == Relation::kRepresentative;
            representatives += is_rep;
            others += !is_rep;
            if (d.representative >= r.documents.size() ||
                r.documents[d.representative].cluster != d.cluster ||
                r.documents[d.representative].relation != Relation::kRepresentative) {
              ++bad;
            }
          }
          if (members != r.documents.size() || members < 100 || nonempty != r.stats.clusters ||
              representatives != nonempty || two_or_more != r.stats.duplicate_clusters ||
              others != r.stats.duplicates) {
            ++bad;
          }
        }
        ++reads;
      }
    });
  }
  for (size_t i = 100; i < docs.size(); i += 10) {
    ASSERT_TRUE(index.CheckAndInsert(absl::MakeConstSpan(docs).subspan(i, 10)).ok());
    if (i % 200 == 0) {
      const std::vector<std::string> ids = {docs[i + 1].id};
      ASSERT_TRUE(index.Remove(ids).ok());
    }
  }
  done = true;
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(reads.load(), 10);
  ExpectVerifies(index, "after concurrent reads");
}

TEST(IngestIndexTest, ReadersRunWithAWriter) { ReadersRunWithAWriter(0); }
TEST(IngestIndexTest, ReadersRunWithAWriterOnOneSketchThread) { ReadersRunWithAWriter(1); }

TEST(IngestIndexTest, ASecondWriterIsToldToReopen) {
  TempDir dir;
  const std::vector<Document> docs = ReadCorpus((FixturesDir() / "news.jsonl").string());
  const std::string path = dir.File("w.dedup");
  ASSERT_TRUE(IngestIndex::Create(path, {}).ok());
  std::unique_ptr<IngestIndex> a = OpenOrDie(path), b = OpenOrDie(path);
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->CheckAndInsert(absl::MakeConstSpan(docs).subspan(0, 10)).ok());
  auto r = b->CheckAndInsert(absl::MakeConstSpan(docs).subspan(10, 10));
  EXPECT_TRUE(absl::IsFailedPrecondition(r.status())) << r.status();
  EXPECT_NE(r.status().message().find("another process"), std::string_view::npos);
  b = OpenOrDie(path);
  ASSERT_TRUE(b->CheckAndInsert(absl::MakeConstSpan(docs).subspan(10, 10)).ok());
  EXPECT_EQ(b->Stats().documents, 20);
  ExpectVerifies(*b, "two writers");
}

}  // namespace
}  // namespace dedup

namespace dedup {
namespace {

using namespace dedup::testing;  // NOLINT: the shared test helpers.

// --- Chrome learned by the index ------------------------------------------------------

// Short different articles under one long aggregator footer (the footer is ~3x an
// article), each also published bare by its wire: until the footer is known, the
// aggregated copies look alike (J ~ 0.6 through the footer alone) and are grouped;
// once it is chrome they must be re-signed, split apart and joined with their wires.
std::vector<Document> FooterCorpus(int articles) {
  const std::string footer = "DISCLAIMER " + Words(7, 90) + "\nRead original article here\n";
  std::vector<Document> docs;
  for (int a = 0; a < articles; ++a) {
    const std::string body = Words(100 + static_cast<uint64_t>(a), 30) + ".\n";
    docs.push_back(Document{absl::StrFormat("agg-%02d", a), body + footer, "aggregator.example"});
    docs.push_back(Document{absl::StrFormat("wire-%02d", a), body, absl::StrFormat("wire%d.example", a)});
  }
  return docs;
}

std::string WriteDocs(const TempDir& dir, const std::vector<Document>& docs) {
  const std::string path = dir.File("docs.jsonl");
  std::ofstream out(path, std::ios::binary);
  for (const Document& d : docs) {
    out << "{\"id\":" << JsonQuote(d.id) << ",\"text\":" << JsonQuote(d.text) << ",\"source\":" << JsonQuote(d.source)
        << "}\n";
  }
  return path;
}

TEST(IngestIndexChromeTest, LateChromeIsReexaminedInAnyBatching) {
  TempDir dir;
  const std::vector<Document> docs = FooterCorpus(8);
  const std::string corpus = WriteDocs(dir, docs);
  const ClusterResult batch = BatchRun(corpus, PipelineOptions{});
  // The reference itself: every aggregated copy with its own wire, nothing else.
  for (size_t i = 0; i < docs.size(); i += 2) {
    EXPECT_EQ(batch.documents[i].cluster, batch.documents[i + 1].cluster) << docs[i].id;
    if (i > 0) {
      EXPECT_NE(batch.documents[i].cluster, batch.documents[0].cluster) << docs[i].id;
    }
  }
  for (size_t max_batch : {1, 2, 5, 16}) {
    const std::string path = dir.File(absl::StrFormat("f%d.dedup", max_batch));
    IngestInSessions(path, docs, IndexParams{}, /*seed=*/max_batch, max_batch);
    std::unique_ptr<IngestIndex> index = OpenOrDie(path);
    ASSERT_NE(index, nullptr);
    const std::string label = absl::StrFormat("max batch %d", max_batch);
    ExpectSameClusters(batch, index->ExportClusters(true), /*same_pair_counts=*/false, label);
    const IndexStats st = index->Stats();
    // The footer's two lines, corpus-wide and in the aggregator's own scope.
    EXPECT_EQ(st.chrome_lines, 4) << label;
    EXPECT_EQ(st.chrome_history, static_cast<int64_t>(docs.size())) << label;
    ExpectVerifies(*index, label);
  }
  // One document at a time: agg-01 joined agg-00 through the footer; when agg-02 made
  // the footer chrome, the re-examination moved agg-00's wire in with it (a merge caused
  // by agg-02) and agg-01 out to its own wire's cluster.
  std::unique_ptr<IngestIndex> index = OpenOrDie(dir.File("f1.dedup"));
  ASSERT_NE(index, nullptr);
  absl::StatusOr<std::vector<ClusterEvent>> events = index->ClusterEvents();
  ASSERT_TRUE(events.ok());
  bool reexamined = false;
  for (const ClusterEvent& e : *events) reexamined |= e.kind == ClusterEvent::Kind::kMerge && e.document == "agg-02";
  EXPECT_TRUE(reexamined);
}

// The same documents in another order: the model (and so the clusters) may differ, but
// each order equals its own batch reference; and the state never depends on batching.
TEST(IngestIndexChromeTest, ReplayedHistoryGivesTheSameModel) {
  TempDir dir;
  std::vector<Document> docs = FooterCorpus(6);
  std::reverse(docs.begin(), docs.end());
  const std::string corpus = WriteDocs(dir, docs);
  const std::string path = dir.File("r.dedup");
  IngestInSessions(path, docs, IndexParams{}, 5, 3);
  std::unique_ptr<IngestIndex> index = OpenOrDie(path);
  ASSERT_NE(index, nullptr);
  ExpectSameClusters(BatchRun(corpus, PipelineOptions{}), index->ExportClusters(true), false, "reversed");
  // Removing documents does not un-learn the chrome (the history stays).
  const std::string first_agg = docs.back().id == "wire-00" ? "agg-00" : docs.back().id;
  ASSERT_TRUE(index->Remove(std::vector<std::string>{first_agg}).ok());
  EXPECT_EQ(index->Stats().chrome_lines, 4);
  index.reset();
  index = OpenOrDie(path);
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->Stats().chrome_lines, 4);
  EXPECT_EQ(index->Stats().chrome_history, static_cast<int64_t>(docs.size()));
  ExpectVerifies(*index, "after removal");
}

// The stored history is checked against the recorded digest at every open.
TEST(IngestIndexChromeTest, TamperedHistoryIsDataLoss) {
  TempDir dir;
  const std::vector<Document> docs = FooterCorpus(4);
  const std::string path = dir.File("t.dedup");
  IngestInSessions(path, docs, IndexParams{}, 1, 3);
  for (const char* sql : {"UPDATE lines SET checksum = checksum + 1 WHERE seq = 2",
                          "DELETE FROM lines WHERE seq = (SELECT MAX(seq) FROM lines)"}) {
    const std::string copy = dir.File("copy.dedup");
    fs::remove(copy);
    fs::copy_file(path, copy);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(copy.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
    absl::StatusOr<std::unique_ptr<IngestIndex>> index = IngestIndex::Open(copy, {});
    EXPECT_TRUE(absl::IsDataLoss(index.status())) << sql << ": " << index.status();
  }
}

// A batch whose commit fails after it re-examined stored documents in memory: the
// index goes back to the file's state (model, signatures, clusters) and carries on.
TEST(IngestIndexChromeTest, FailedCommitAfterReexaminationLeavesTheFileState) {
  TempDir dir;
  const std::vector<Document> docs = FooterCorpus(6);
  const std::string path = dir.File("c.dedup");
  ASSERT_TRUE(IngestIndex::Create(path, {}).ok());
  {
    std::unique_ptr<IngestIndex> index = OpenOrDie(path);
    ASSERT_NE(index, nullptr);
    ASSERT_TRUE(index->CheckAndInsert(absl::MakeConstSpan(docs).subspan(0, 4)).ok());  // Two footers: not chrome.
  }
  IngestOptions limited;
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  limited.max_file_bytes = st.st_size + 4096;
  std::unique_ptr<IngestIndex> index = OpenOrDie(path, limited);
  ASSERT_NE(index, nullptr);
  const ClusterResult before = index->ExportClusters(true);
  EXPECT_EQ(index->Stats().chrome_lines, 0);
  // The third aggregated article makes the footer chrome (re-examining the first two),
  // and a large document overflows the file.
  std::vector<Document> batch(docs.begin() + 4, docs.begin() + 5);
  batch.push_back(Document{"big", Words(999, 40000)});
  auto r = index->CheckAndInsert(batch);
  ASSERT_TRUE(absl::IsResourceExhausted(r.status())) << r.status();
  EXPECT_EQ(index->Stats().chrome_lines, 0);
  EXPECT_EQ(index->Stats().chrome_history, 4);
  ExpectSameClusters(before, index->ExportClusters(true), true, "after the failed batch");
  ExpectVerifies(*index, "after the failed batch");
  index.reset();
  index = OpenOrDie(path);
  ASSERT_NE(index, nullptr);
  ASSERT_TRUE(index->CheckAndInsert(absl::MakeConstSpan(docs).subspan(4)).ok());
  const std::string corpus = WriteDocs(dir, docs);
  ExpectSameClusters(BatchRun(corpus, PipelineOptions{}), index->ExportClusters(true), false, "continued");
  EXPECT_EQ(index->Stats().chrome_lines, 4);
}


// Readers leave no -wal or -shm behind (a read-only SQLite connection cannot remove
// what it had to create), and still cannot write.
TEST(IngestIndexTest, ReadersLeaveNoWalFiles) {
  TempDir dir;
  const std::string path = dir.File("r.dedup");
  {
    auto created = IngestIndex::Create(path, {});
    ASSERT_TRUE(created.ok()) << created.status();
    ASSERT_TRUE((*created)->CheckAndInsert(Document{"a", Body(1), ""}).ok());
  }
  EXPECT_FALSE(fs::exists(path + "-wal"));
  EXPECT_FALSE(fs::exists(path + "-shm"));
  {
    IngestOptions read_only;
    read_only.read_only = true;
    std::unique_ptr<IngestIndex> index = OpenOrDie(path, read_only);
    ASSERT_NE(index, nullptr);
    EXPECT_EQ(index->Stats().documents, 1);
    EXPECT_EQ(index->ExportClusters(true).documents.size(), 1u);
    ExpectVerifies(*index, "read-only");
    EXPECT_FALSE(index->CheckAndInsert(Document{"b", Body(2), ""}).ok());
  }
  EXPECT_FALSE(fs::exists(path + "-wal"));
  EXPECT_FALSE(fs::exists(path + "-shm"));
}

// The export's clusters are the live ones, labelled with their stable ids, however many
// ids were issued before (they were once sized by the ids issued, and narrowed to 32 bits).
TEST(IngestIndexTest, ExportIsSizedByLiveClustersAndLabelledByStableIds) {
  TempDir dir;
  auto created = IngestIndex::Create(dir.File("x.dedup"), {});
  ASSERT_TRUE(created.ok()) << created.status();
  std::unique_ptr<IngestIndex> index = std::move(*created);
  std::vector<std::string> ids;
  for (int i = 0; i < 300; ++i) {
    ids.push_back(absl::StrFormat("d%03d", i));
    ASSERT_TRUE(index->CheckAndInsert(Document{ids.back(), Body(i), ""}).ok());
  }
  ASSERT_TRUE(index->Remove(absl::MakeConstSpan(ids).subspan(0, 290)).ok());
  const ClusterResult r = index->ExportClusters(false);
  EXPECT_EQ(index->Stats().next_cluster, 301);
  ASSERT_EQ(r.clusters.size(), 10u);
  ASSERT_EQ(r.cluster_ids.size(), 10u);
  for (size_t n = 0; n < 10; ++n) {
    ASSERT_EQ(r.clusters[n].size(), 1u);
    EXPECT_EQ(r.cluster_ids[n], 291 + static_cast<int64_t>(n));  // Ids from 1, in insertion order.
    EXPECT_EQ(r.documents[r.clusters[n][0]].cluster, n);
  }
  std::ostringstream tsv;
  WriteReport(r, ReportInfo{}, ReportFormat::kTsv, tsv);
  EXPECT_NE(tsv.str().find("d299\t300\td299\t"), std::string::npos) << tsv.str();
  EXPECT_TRUE(index->ExportClusters(true).cluster_ids.empty());
}

// --- Copy classes (internal/copy_classes.h) ---------------------------------------------
//
// Documents with equal sketches are looked up through the earliest one; every answer and
// pair count must still be that of all-pairs verification, through inserts, removals of
// representatives, re-examinations and reopening.

// n one-line documents from 6 texts: an exact copy, a copy that differs only in case and
// punctuation (normalized away), or a near copy with one word more (its own sketch);
// *distinct gets the number of different sketches by construction.
std::vector<Document> CopiesCorpus(uint64_t seed, int n, int* distinct) {
  uint64_t s = seed;
  std::vector<Document> docs;
  std::set<std::pair<int, int>> kinds;  // (text, extra word or -1).
  for (int i = 0; i < n; ++i) {
    const int base = static_cast<int>(Uniform(&s, 6));
    std::string text = Words(500 + static_cast<uint64_t>(base), 20);
    int extra = -1;
    switch (Uniform(&s, 3)) {
      case 0:
        break;
      case 1:
        text[0] = static_cast<char>(text[0] - 'a' + 'A');
        text += " !!";
        break;
      default:
        extra = static_cast<int>(Uniform(&s, 4));
        text += " " + Words(900 + static_cast<uint64_t>(extra), 1);
    }
    kinds.emplace(base, extra);
    docs.push_back(Document{absl::StrFormat("c%04d", i), text + "\n", absl::StrFormat("site%d.example", i % 3)});
  }
  *distinct = static_cast<int>(kinds.size());
  return docs;
}

TEST(IngestIndexCopiesTest, CopiesGiveAllPairsAnswersAndCountsThroughRemovals) {
  TempDir dir;
  int distinct = 0;
  std::vector<Document> docs = CopiesCorpus(3, 400, &distinct);
  const std::string corpus = WriteDocs(dir, docs);
  const ClusterResult batch = BatchRun(corpus, PipelineOptions{});
  for (size_t max_batch : {1, 9, 64}) {
    const std::string label = absl::StrFormat("max batch %d", max_batch);
    const std::string path = dir.File(absl::StrFormat("c%d.dedup", max_batch));
    IngestInSessions(path, docs, IndexParams{}, /*seed=*/max_batch, max_batch);
    std::unique_ptr<IngestIndex> index = OpenOrDie(path);
    ASSERT_NE(index, nullptr);
    // No line is chrome (each document is one line, with the same context everywhere), so
    // the pair counts are the batch run's too.
    EXPECT_EQ(index->Stats().chrome_lines, 0) << label;
    ExpectSameClusters(batch, index->ExportClusters(true), /*same_pair_counts=*/true, label);
    EXPECT_EQ(index->Stats().exact_copies, static_cast<int64_t>(docs.size()) - distinct) << label;
    ExpectVerifies(*index, label);
  }
  // Removals in a few calls, the earliest documents (the representatives) first.
  std::unique_ptr<IngestIndex> index = OpenOrDie(dir.File("c9.dedup"));
  ASSERT_NE(index, nullptr);
  std::vector<bool> keep(docs.size(), true);
  uint64_t s = 11;
  for (int round = 0; round < 4; ++round) {
    std::vector<std::string> ids;
    for (size_t i = 0; i < docs.size(); ++i) {
      if (keep[i] && (i < 12 * static_cast<size_t>(round + 1) || Uniform(&s, 8) == 0)) {
        ids.push_back(docs[i].id);
        keep[i] = false;
      }
    }
    ASSERT_TRUE(index->Remove(ids).ok());
    std::vector<Document> rest;
    for (size_t i = 0; i < docs.size(); ++i) {
      if (keep[i]) rest.push_back(docs[i]);
    }
    const std::string label = absl::StrFormat("removal round %d", round);
    ExpectSameClusters(BatchRun(WriteDocs(dir, rest), PipelineOptions{}), index->ExportClusters(true), false, label);
    ExpectVerifies(*index, label);
    // Inserting more copies after the removals: they find the promoted representatives.
    const std::vector<Document> more = {Document{absl::StrFormat("more%d", round), docs[400 - 1 - round].text, ""}};
    absl::StatusOr<std::vector<CheckResult>> r = index->CheckAndInsert(more);
    ASSERT_TRUE(r.ok()) << r.status();
    rest.push_back(more[0]);
    docs.push_back(more[0]);
    keep.push_back(true);
    ExpectSameClusters(BatchRun(WriteDocs(dir, rest), PipelineOptions{}), index->ExportClusters(true), false,
                       label + ", one more");
  }
  index.reset();
  index = OpenOrDie(dir.File("c9.dedup"));
  ASSERT_NE(index, nullptr);
  ExpectVerifies(*index, "reopened");
}

// Copies under site lines that become chrome as the stream goes on: the re-examination
// re-signs representatives and copies, which then form new classes.
TEST(IngestIndexCopiesTest, CopiesThroughReexaminations) {
  TempDir dir;
  const std::vector<std::string> lines = {"Share this article with your friends", "Exit mobile version",
                                          "Leave a Reply Cancel reply", "Subscribe to our newsletter today"};
  uint64_t s = 21;
  std::vector<Document> docs;
  for (int i = 0; i < 240; ++i) {
    const int base = static_cast<int>(Uniform(&s, 8));
    const int site = static_cast<int>(Uniform(&s, 3));
    std::string text;
    if (Uniform(&s, 2) == 0) text += lines[site] + "\n";
    text += Body(base);
    if (Uniform(&s, 2) == 0) text += lines[3 - site % 2] + "\n";
    docs.push_back(Document{absl::StrFormat("r%04d", i), text, absl::StrFormat("site%d.example", site)});
  }
  const std::string corpus = WriteDocs(dir, docs);
  const ClusterResult batch = BatchRun(corpus, PipelineOptions{});
  for (size_t max_batch : {1, 5, 32}) {
    const std::string label = absl::StrFormat("max batch %d", max_batch);
    const std::string path = dir.File(absl::StrFormat("r%d.dedup", max_batch));
    IngestInSessions(path, docs, IndexParams{}, /*seed=*/max_batch + 100, max_batch);
    std::unique_ptr<IngestIndex> index = OpenOrDie(path);
    ASSERT_NE(index, nullptr);
    EXPECT_GT(index->Stats().chrome_lines, 0) << label;
    EXPECT_GT(index->Stats().exact_copies, 0) << label;
    ExpectSameClusters(batch, index->ExportClusters(true), /*same_pair_counts=*/false, label);
    ExpectVerifies(*index, label);
  }
  // The classes kept up through re-examinations in one session are the classes a fresh
  // open finds from the stored signatures.
  const std::string path = dir.File("one-session.dedup");
  auto created = IngestIndex::Create(path, {});
  ASSERT_TRUE(created.ok()) << created.status();
  std::unique_ptr<IngestIndex> index = std::move(*created);
  for (size_t i = 0; i < docs.size(); i += 6) {
    ASSERT_TRUE(index->CheckAndInsert(absl::MakeConstSpan(docs).subspan(i, std::min<size_t>(6, docs.size() - i))).ok());
  }
  const IndexStats kept_up = index->Stats();
  EXPECT_GT(kept_up.merges + kept_up.splits, 0);
  index = OpenOrDie(path);
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->Stats().exact_copies, kept_up.exact_copies);
}

// n copies of one text: one LSH entry, n (n - 1) / 2 candidate and verified pairs (every
// pair shares every band), one cluster through removal of its representative.
TEST(IngestIndexCopiesTest, OneGiantClassOfCopies) {
  TempDir dir;
  constexpr int64_t n = 3000;
  std::vector<Document> docs;
  for (int64_t i = 0; i < n; ++i) {
    docs.push_back(Document{absl::StrFormat("g%05d", i), "the same short item replayed by a feed again\n", ""});
  }
  const std::string path = dir.File("g.dedup");
  auto created = IngestIndex::Create(path, {});
  ASSERT_TRUE(created.ok()) << created.status();
  std::unique_ptr<IngestIndex> index = std::move(*created);
  for (int64_t i = 0; i < n; i += 250) {
    ASSERT_TRUE(index->CheckAndInsert(absl::MakeConstSpan(docs).subspan(i, 250)).ok());
  }
  IndexStats st = index->Stats();
  EXPECT_EQ(st.clusters, 1);
  EXPECT_EQ(st.exact_copies, n - 1);
  EXPECT_EQ(st.candidate_pairs, n * (n - 1) / 2);
  EXPECT_EQ(st.verified_pairs, n * (n - 1) / 2);
  ASSERT_TRUE(index->Remove(std::vector<std::string>{"g00000", "g00001"}).ok());
  st = index->Stats();
  EXPECT_EQ(st.documents, n - 2);
  EXPECT_EQ(st.clusters, 1);
  EXPECT_EQ(st.splits, 0);
  EXPECT_EQ(st.exact_copies, n - 3);
  absl::StatusOr<CheckResult> q = index->Query(Document{"q", "the same short item replayed by a feed again\n", ""});
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->decision, Decision::kDuplicate);
  EXPECT_EQ(q->canonical, "g00002");
  ExpectVerifies(*index, "giant class");
}

// --- Hot keys (ingest_index.h): LSH keys of more than 64 documents, grouped by cluster ---

// One-line pages from 3 templates of 40 words, each with a tail of its own: short tails
// (the pages match their template's others), long ones (they match through containment
// or not at all), and pages that join two templates (bridges between their clusters).
std::vector<Document> TemplateCorpus(uint64_t seed, int n) {
  uint64_t s = seed;
  std::vector<Document> docs;
  for (int i = 0; i < n; ++i) {
    const int t = static_cast<int>(Uniform(&s, 3));
    std::string text = Words(700 + static_cast<uint64_t>(t), 40);
    const size_t kind = Uniform(&s, 10);
    const int tail = kind < 6 ? 1 + static_cast<int>(Uniform(&s, 5)) : kind < 9 ? 30 + static_cast<int>(Uniform(&s, 40)) : 0;
    if (tail > 0) text += " " + Words(5000 + static_cast<uint64_t>(i), tail);
    if (kind == 9) text += " " + Words(700 + static_cast<uint64_t>((t + 1) % 3), 40);
    docs.push_back(Document{absl::StrFormat("t%04d", i), text + "\n", ""});
  }
  return docs;
}

TEST(IngestIndexHotKeyTest, TemplatePagesMatchBatchThroughRemovals) {
  TempDir dir;
  std::vector<Document> docs = TemplateCorpus(17, 700);
  const ClusterResult batch = BatchRun(WriteDocs(dir, docs), PipelineOptions{});
  for (size_t max_batch : {1, 16, 100}) {
    const std::string label = absl::StrFormat("max batch %d", max_batch);
    const std::string path = dir.File(absl::StrFormat("t%d.dedup", max_batch));
    IngestInSessions(path, docs, IndexParams{}, /*seed=*/max_batch + 7, max_batch);
    std::unique_ptr<IngestIndex> index = OpenOrDie(path);
    ASSERT_NE(index, nullptr);
    EXPECT_GT(index->Stats().hot_keys, 0) << label;
    ExpectSameClusters(batch, index->ExportClusters(true), /*same_pair_counts=*/false, label);
    ExpectVerifies(*index, label);
  }
  // Removals split clusters (the bridges go first) and regroup the hot keys; documents
  // inserted afterwards find the groups as they now are.
  std::unique_ptr<IngestIndex> index = OpenOrDie(dir.File("t16.dedup"));
  ASSERT_NE(index, nullptr);
  std::vector<bool> keep(docs.size(), true);
  uint64_t s = 3;
  int64_t splits = 0;
  for (int round = 0; round < 3; ++round) {
    std::vector<std::string> ids;
    for (size_t i = 0; i < docs.size(); ++i) {
      const bool bridge = docs[i].text.size() > 500;
      if (keep[i] && ((bridge && round == 0) || Uniform(&s, 6) == 0)) {
        ids.push_back(docs[i].id);
        keep[i] = false;
      }
    }
    absl::StatusOr<RemoveResult> removed = index->Remove(ids);
    ASSERT_TRUE(removed.ok()) << removed.status();
    splits += removed->clusters_split;
    std::vector<Document> more = TemplateCorpus(100 + round, 40);
    for (Document& d : more) d.id = absl::StrFormat("round%d-%s", round, d.id);
    ASSERT_TRUE(index->CheckAndInsert(more).ok());
    std::vector<Document> rest;
    for (size_t i = 0; i < docs.size(); ++i) {
      if (keep[i]) rest.push_back(docs[i]);
    }
    for (Document& d : more) {
      docs.push_back(d);
      keep.push_back(true);
      rest.push_back(d);
    }
    const std::string label = absl::StrFormat("removal round %d", round);
    ExpectSameClusters(BatchRun(WriteDocs(dir, rest), PipelineOptions{}), index->ExportClusters(true), false, label);
    ExpectVerifies(*index, label);
  }
  EXPECT_GT(splits, 0);
}

}  // namespace
}  // namespace dedup
