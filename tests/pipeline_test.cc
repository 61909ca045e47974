// RunClusterPipeline: parses records in its parallel stage, yet reports warnings, errors
// and clusters exactly as a serial reader (CorpusReader::Next) would, for every thread
// count.
#include "dedup/pipeline.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "dedup/threads.h"
#include "gtest/gtest.h"

namespace dedup {
namespace {

namespace fs = std::filesystem;

// A corpus of `n` documents, in groups of 3 near-copies (so clusters form across the
// parallel stage's batches), with the given lines (1-based) replaced by bad input.
class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / absl::StrFormat("dedup_pipeline_test_%d", ::getpid());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // kind: "json" (malformed JSON), "field" (missing text), "dup" (the id of line 1).
  std::string WriteCorpus(int n, const std::vector<std::pair<int, std::string>>& bad) {
    const std::string path = (dir_ / "corpus.jsonl").string();
    std::ofstream out(path);
    for (int line = 1; line <= n; ++line) {
      std::string kind;
      for (const auto& [l, k] : bad) {
        if (l == line) kind = k;
      }
      if (kind == "json") {
        out << "{\"id\": \"broken" << line << "\", \"text\": \n";
      } else if (kind == "field") {
        out << "{\"id\": \"nofield" << line << "\"}\n";
      } else {
        const int group = (line - 1) / 3;
        std::string text;
        for (int w = 0; w < 60; ++w) text += absl::StrFormat("story%d word%d ", group, w);
        if ((line - 1) % 3 == 1) text += "with an added sentence at the end";
        out << absl::StrFormat("{\"id\": \"%s\", \"text\": \"%s\", \"source\": \"site%d\"}\n",
                               kind == "dup" ? "doc1" : absl::StrFormat("doc%d", line), text, line % 5);
      }
    }
    return path;
  }

  // The first error and the warnings of a serial read with CorpusReader::Next.
  static std::pair<absl::Status, std::vector<std::string>> SerialRead(const std::string& path, bool skip) {
    std::vector<std::string> warnings;
    CorpusOptions options;
    options.skip_bad_lines = skip;
    options.on_warning = [&](const std::string& w) { warnings.push_back(w); };
    auto reader = CorpusReader::Open({path}, options);
    EXPECT_TRUE(reader.ok());
    Document doc;
    while (true) {
      absl::StatusOr<bool> more = (*reader)->Next(&doc);
      if (!more.ok()) return {more.status(), warnings};
      if (!*more) return {absl::OkStatus(), warnings};
    }
  }

  fs::path dir_;
};

// Thread counts beyond kMaxThreads are refused (oneTBB aborted or crashed on them).
TEST_F(PipelineTest, ThreadCountsOutOfRangeAreRefused) {
  const std::string path = WriteCorpus(6, {});
  for (int threads : {-1, kMaxThreads + 1, 65537, 100000000}) {
    PipelineOptions options;
    options.threads = threads;
    absl::StatusOr<PipelineResult> r = RunClusterPipeline({path}, options);
    EXPECT_TRUE(absl::IsInvalidArgument(r.status())) << threads << ": " << r.status();
    EXPECT_NE(r.status().message().find("0..1024"), std::string_view::npos) << r.status();
    EXPECT_TRUE(absl::IsInvalidArgument(LearnBoilerplate({path}, options).status())) << threads;
  }
  PipelineOptions options;
  options.threads = kMaxThreads;
  EXPECT_TRUE(RunClusterPipeline({path}, options).ok());
}

TEST_F(PipelineTest, FirstErrorInInputOrderForEveryThreadCount) {
  // Bad lines in one batch and in later ones; the first is what must be reported.
  const std::string path = WriteCorpus(3000, {{1700, "json"}, {1702, "field"}, {1790, "field"}, {2900, "dup"}});
  const auto [serial, warnings] = SerialRead(path, false);
  ASSERT_FALSE(serial.ok());
  EXPECT_NE(serial.message().find(":1700: invalid JSON"), std::string::npos) << serial.message();
  for (bool boilerplate : {true, false}) {
    for (int threads : {1, 2}) {
      PipelineOptions options;
      options.threads = threads;
      options.boilerplate.enabled = boilerplate;
      absl::StatusOr<PipelineResult> r = RunClusterPipeline({path}, options);
      ASSERT_FALSE(r.ok()) << threads;
      EXPECT_EQ(r.status(), serial) << "threads " << threads << ", boilerplate " << boilerplate;
    }
  }
  // A duplicate id before any parse error is reported as such, with both places.
  const std::string dup = WriteCorpus(3000, {{900, "dup"}, {2000, "json"}});
  const absl::Status serial_dup = SerialRead(dup, false).first;
  EXPECT_NE(serial_dup.message().find("duplicate id \"doc1\""), std::string::npos) << serial_dup.message();
  for (int threads : {1, 2}) {
    PipelineOptions options;
    options.threads = threads;
    EXPECT_EQ(RunClusterPipeline({dup}, options).status(), serial_dup) << threads;
  }
}

TEST_F(PipelineTest, SkippedLinesWarnInInputOrderAndClustersDoNotDependOnThreads) {
  const std::string path = WriteCorpus(2400, {{5, "json"}, {700, "field"}, {701, "json"}, {2399, "field"}});
  const auto [serial, serial_warnings] = SerialRead(path, true);
  ASSERT_TRUE(serial.ok()) << serial;
  ASSERT_EQ(serial_warnings.size(), 4u);
  std::vector<ClusterResult> results;
  for (int threads : {1, 2}) {
    std::vector<std::string> warnings;
    PipelineOptions options;
    options.threads = threads;
    options.corpus.skip_bad_lines = true;
    options.corpus.on_warning = [&](const std::string& w) { warnings.push_back(w); };
    absl::StatusOr<PipelineResult> r = RunClusterPipeline({path}, options);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(warnings, serial_warnings) << threads;  // Pass 1 is silent; pass 2 warns once each.
    EXPECT_EQ(r->skipped_lines, 4);
    EXPECT_EQ(r->clusters.documents.size(), 2400u - 4u);
    results.push_back(std::move(r->clusters));
  }
  // The corpus has groups of three copies: clusters were formed, the same ones each time.
  ASSERT_GT(results[0].stats.verified_pairs, 0);
  for (size_t i = 1; i < results.size(); ++i) {
    ASSERT_EQ(results[i].documents.size(), results[0].documents.size());
    for (size_t d = 0; d < results[0].documents.size(); ++d) {
      EXPECT_EQ(results[i].documents[d].id, results[0].documents[d].id);
      EXPECT_EQ(results[i].documents[d].cluster, results[0].documents[d].cluster);
      EXPECT_EQ(results[i].documents[d].representative, results[0].documents[d].representative);
    }
  }
}

// Whole files go through the parallel stage too: a folder of text and HTML pages (the
// HTML converted on worker threads) clusters alike on 1 and 2 threads, and a text file
// with invalid UTF-8 stays fatal under skip_bad_lines (only JSONL lines are skipped),
// with the serial reader's message.
TEST_F(PipelineTest, FolderFilesAreParsedInParallelAndTheirErrorsStayFatal) {
  const fs::path folder = dir_ / "pages";
  fs::create_directories(folder);
  for (int i = 0; i < 40; ++i) {
    std::string text;
    for (int w = 0; w < 60; ++w) text += absl::StrFormat("page%d word%d ", i / 2, w);
    std::ofstream(folder / absl::StrFormat("%02d.txt", i)) << text;
    std::ofstream(folder / absl::StrFormat("%02d.html", i))
        << "<html><head><script>var x = 1;</script></head><body><p>" << text << "</p></body></html>";
  }
  std::vector<ClusterResult> results;
  for (int threads : {1, 2}) {
    PipelineOptions options;
    options.threads = threads;
    options.corpus.skip_bad_lines = true;
    absl::StatusOr<PipelineResult> r = RunClusterPipeline({folder.string()}, options);
    ASSERT_TRUE(r.ok()) << r.status();
    results.push_back(std::move(r->clusters));
  }
  // Each page's text and HTML copies, and the two pages sharing a text: one cluster of 4.
  ASSERT_EQ(results[0].documents.size(), 80u);
  EXPECT_EQ(results[0].clusters.size(), 20u);
  for (size_t d = 0; d < results[0].documents.size(); ++d) {
    EXPECT_EQ(results[1].documents[d].cluster, results[0].documents[d].cluster);
  }
  std::ofstream(folder / "50_bad.txt") << "fine text\nthen a bad byte \xff here\n";
  const auto [serial, warnings] = SerialRead(folder.string(), true);
  ASSERT_FALSE(serial.ok());
  EXPECT_NE(serial.message().find("50_bad.txt:2: invalid UTF-8"), std::string::npos) << serial.message();
  for (int threads : {1, 2}) {
    PipelineOptions options;
    options.threads = threads;
    options.corpus.skip_bad_lines = true;
    EXPECT_EQ(RunClusterPipeline({folder.string()}, options).status(), serial) << threads;
  }
}

}  // namespace
}  // namespace dedup
