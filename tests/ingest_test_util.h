// Helpers shared by the ingestion index tests: a temporary folder, a seeded synthetic
// news-like corpus with near-duplicates that merge clusters, and the batch run that the
// index must agree with.
#ifndef DEDUP_TESTS_INGEST_TEST_UTIL_H_
#define DEDUP_TESTS_INGEST_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "dedup/chrome_stream.h"
#include "dedup/cluster.h"
#include "dedup/ingest_index.h"
#include "dedup/minhash.h"
#include "dedup/pipeline.h"
#include "dedup/report.h"
#include "dedup/sketch.h"

namespace dedup::testing {

namespace fs = std::filesystem;

inline fs::path FixturesDir() { return fs::path(__FILE__).parent_path().parent_path() / "fixtures"; }

// A fresh folder per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "dedup_ingest_test.XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return (fs::path(path_) / name).string(); }

 private:
  std::string path_;
};

// --- A synthetic news-like corpus --------------------------------------------------

inline uint64_t Next(uint64_t* s) { return SplitMix64(s); }
inline size_t Uniform(uint64_t* s, size_t n) { return static_cast<size_t>(Next(s) % n); }

inline std::vector<std::string> Vocabulary(uint64_t* s, int n) {
  std::vector<std::string> words;
  for (int i = 0; i < n; ++i) {
    std::string w;
    const size_t len = 3 + Uniform(s, 7);
    for (size_t j = 0; j < len; ++j) w.push_back(static_cast<char>('a' + Uniform(s, 26)));
    words.push_back(w);
  }
  return words;
}

inline std::string Join(const std::vector<std::string>& words) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += (i % 40 == 0) ? "\n" : " ";
    out += words[i];
  }
  return out;
}

struct GenDoc {
  std::string id, text;
  int64_t published = kNoTime;
};

// Originals; copies with a changed region ("forks": Jaccard 0.4-0.65 with the
// original); "midpoints" that take half of a fork's change (similar to both the original
// and the fork, which are not similar to each other: they merge two clusters when they
// arrive after both); light edits, drops, truncations (excerpts), exact copies, empty
// documents. Publication times jitter around the arrival order (some copies are
// published before their original) and are sometimes missing.
inline std::vector<GenDoc> MakeCorpus(uint64_t seed, int n) {
  uint64_t s = seed;
  const std::vector<std::string> vocab = Vocabulary(&s, 4000);
  auto words = [&](size_t count) {
    std::vector<std::string> w;
    for (size_t i = 0; i < count; ++i) w.push_back(vocab[Uniform(&s, vocab.size())]);
    return w;
  };
  struct Fork {
    std::vector<std::string> base, fresh;
    size_t at;
  };
  std::vector<std::vector<std::string>> originals;
  std::vector<Fork> forks;
  std::vector<GenDoc> docs;
  const int64_t t0 = 1679300000;
  for (int i = 0; i < n; ++i) {
    std::vector<std::string> w;
    const size_t kind = originals.empty() ? 0 : Uniform(&s, 100);
    const auto& base = originals.empty() ? w : originals[originals.size() - 1 - Uniform(&s, std::min<size_t>(originals.size(), 40))];
    if (kind < 35) {
      w = words(30 + Uniform(&s, 250));
      originals.push_back(w);
    } else if (kind < 47) {  // Fork: a contiguous 20-45% replaced.
      w = base;
      const size_t len = w.size() * (20 + Uniform(&s, 26)) / 100;
      const size_t at = Uniform(&s, w.size() - len + 1);
      std::vector<std::string> fresh = words(len);
      std::copy(fresh.begin(), fresh.end(), w.begin() + at);
      forks.push_back({base, fresh, at});
    } else if (kind < 59 && !forks.empty()) {  // Midpoint of a fork.
      const Fork& f = forks[forks.size() - 1 - Uniform(&s, std::min<size_t>(forks.size(), 20))];
      w = f.base;
      std::copy(f.fresh.begin(), f.fresh.begin() + f.fresh.size() / 2, w.begin() + f.at);
    } else if (kind < 71) {  // Light edit: a few words replaced.
      w = base;
      for (size_t e = 0; e < 1 + w.size() / 60; ++e) w[Uniform(&s, w.size())] = vocab[Uniform(&s, vocab.size())];
    } else if (kind < 80) {  // A paragraph dropped.
      w = base;
      const size_t len = w.size() * (5 + Uniform(&s, 20)) / 100;
      const size_t at = Uniform(&s, w.size() - len + 1);
      w.erase(w.begin() + at, w.begin() + at + len);
    } else if (kind < 90) {  // Truncated: an excerpt.
      w = base;
      w.resize(std::max<size_t>(1, w.size() * (50 + Uniform(&s, 40)) / 100));
    } else if (kind < 97) {  // Exact copy.
      w = base;
    } else {  // Empty or punctuation only: no shingles.
      w = {};
    }
    GenDoc d;
    d.id = absl::StrFormat("d%05d", i);
    d.text = w.empty() ? (Uniform(&s, 2) ? "" : " -- !!") : Join(w);
    if (Uniform(&s, 100) >= 15) d.published = t0 + 60 * i + static_cast<int64_t>(Uniform(&s, 7200)) - 3600;
    docs.push_back(std::move(d));
  }
  return docs;
}

inline std::string Rfc3339(int64_t t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(t), absl::UTCTimeZone());
}

inline void WriteJsonl(const std::string& path, const std::vector<GenDoc>& docs) {
  std::ofstream out(path, std::ios::binary);
  for (const GenDoc& d : docs) {
    out << "{\"id\":" << JsonQuote(d.id) << ",\"text\":" << JsonQuote(d.text);
    if (d.published != kNoTime) out << ",\"published\":\"" << Rfc3339(d.published) << "\"";
    out << "}\n";
  }
}

// The documents of a corpus as the CLI reads them.
inline std::vector<Document> ReadCorpus(const std::string& path) {
  std::vector<Document> docs;
  auto reader = CorpusReader::Open({path}, {});
  EXPECT_TRUE(reader.ok()) << reader.status();
  while (true) {
    Document d;
    absl::StatusOr<bool> more = (*reader)->Next(&d);
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) break;
    docs.push_back(std::move(d));
  }
  return docs;
}

// The batch run the index must agree with (ingest_index.h, "Equivalence"): the index's
// chrome model -- a ChromeStream fed every document in order -- then each document
// signed without the lines it calls chrome, and a batch Clusterer over them in input
// order -- without what the index does not do yet: opening excerpts, containment from
// the slots' order (ingest_index.h).
inline ClusterResult BatchRun(const std::string& jsonl, const PipelineOptions& options) {
  const std::vector<Document> docs = ReadCorpus(jsonl);
  const IndexParams params = IndexParamsFor(options.sketch, options.cluster);
  ChromeStream model(params.chrome);
  std::vector<TokenizedText> tokens(docs.size());
  std::vector<LineKeys> keys(docs.size());
  for (size_t i = 0; i < docs.size(); ++i) {
    EXPECT_TRUE(Tokenize(docs[i].text, &tokens[i]).ok()) << docs[i].id;
    keys[i] = ComputeLineKeys(tokens[i]);
    model.Add(SourceKey(docs[i].source), keys[i]);
  }
  absl::StatusOr<Sketcher> sketcher = Sketcher::Create(options.sketch);
  ClusterOptions cluster = options.cluster;
  cluster.opening_threshold = 0;
  cluster.ordered_slots = false;
  absl::StatusOr<std::unique_ptr<Clusterer>> clusterer = Clusterer::Create(cluster, options.sketch.num_perm);
  EXPECT_TRUE(sketcher.ok() && clusterer.ok());
  if (!sketcher.ok() || !clusterer.ok()) return ClusterResult{};
  SketchScratch scratch;
  TokenizedText kept;
  for (size_t i = 0; i < docs.size(); ++i) {
    const uint64_t source = SourceKey(docs[i].source);
    const int dropped =
        StripLines(tokens[i], [&](size_t l) { return model.IsChrome(source, keys[i].lines[l]); }, &kept);
    SketchedDocument sketch;
    sketcher->SketchTokens(dropped > 0 ? kept : tokens[i], /*keep_shingles=*/false, &scratch, &sketch);
    (*clusterer)->Add(docs[i].id, "", std::move(sketch), docs[i].published_time);
  }
  return (*clusterer)->Finish();
}

inline void ExpectSameClusters(const ClusterResult& batch, const ClusterResult& index, bool same_pair_counts,
                        const std::string& label) {
  ASSERT_EQ(batch.documents.size(), index.documents.size()) << label;
  for (size_t i = 0; i < batch.documents.size(); ++i) {
    const DocumentResult &b = batch.documents[i], &x = index.documents[i];
    ASSERT_EQ(b.id, x.id) << label;
    EXPECT_EQ(b.cluster, x.cluster) << label << " " << b.id;
    EXPECT_EQ(b.representative, x.representative) << label << " " << b.id;
    EXPECT_EQ(b.similarity, x.similarity) << label << " " << b.id;
    EXPECT_EQ(b.containment, x.containment) << label << " " << b.id;
    EXPECT_EQ(b.relation, x.relation) << label << " " << b.id;
    EXPECT_EQ(b.num_shingles, x.num_shingles) << label << " " << b.id;
    EXPECT_EQ(b.published, x.published) << label << " " << b.id;
  }
  EXPECT_EQ(batch.clusters, index.clusters) << label;
  EXPECT_EQ(batch.lsh, index.lsh) << label;
  EXPECT_EQ(batch.stats.documents, index.stats.documents) << label;
  EXPECT_EQ(batch.stats.clusters, index.stats.clusters) << label;
  EXPECT_EQ(batch.stats.duplicate_clusters, index.stats.duplicate_clusters) << label;
  EXPECT_EQ(batch.stats.duplicates, index.stats.duplicates) << label;
  EXPECT_EQ(batch.stats.empty_documents, index.stats.empty_documents) << label;
  if (same_pair_counts) {
    EXPECT_EQ(batch.stats.candidate_pairs, index.stats.candidate_pairs) << label;
    EXPECT_EQ(batch.stats.verified_pairs, index.stats.verified_pairs) << label;
  }
}

}  // namespace dedup::testing

#endif  // DEDUP_TESTS_INGEST_TEST_UTIL_H_
