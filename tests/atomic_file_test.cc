// Tests of AtomicFileWriter: the file appears complete on Commit() or not at all, and
// no temporary file is ever left behind.
#include "dedup/atomic_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace dedup {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string ReadFileBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class AtomicFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = fs::path(::testing::TempDir()) /
           ("atomic_file_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Names of the entries in dir_ (hidden ones included), sorted.
  std::vector<std::string> Entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  fs::path dir_;
};

TEST_F(AtomicFileTest, CommitMakesTheFileAppearWithItsContent) {
  const fs::path path = dir_ / "out.tsv";
  std::string content = "id\tcluster\n";
  for (int i = 0; i < 100000; ++i) content += "doc" + std::to_string(i) + "\t" + std::to_string(i % 7) + "\n";
  content += std::string("\0binary\xFF", 8);
  {
    auto w = AtomicFileWriter::Open(path.string());
    ASSERT_TRUE(w.ok()) << w.status();
    EXPECT_EQ((*w)->path(), path.string());
    (*w)->stream() << content;
    // Nothing at the final path before Commit(); one temporary beside it.
    EXPECT_FALSE(fs::exists(path));
    std::vector<std::string> during = Entries();
    ASSERT_EQ(during.size(), 1u);
    EXPECT_EQ(during[0].rfind(".out.tsv.tmp.", 0), 0u) << during[0];
    absl::Status st = (*w)->Commit();
    ASSERT_TRUE(st.ok()) << st;
    EXPECT_EQ(ReadFileBytes(path), content);
  }
  EXPECT_EQ(ReadFileBytes(path), content);
  EXPECT_THAT(Entries(), ElementsAre("out.tsv"));  // No temporary left.
}

TEST_F(AtomicFileTest, CommittedFileHasTheUsualPermissions) {
  const mode_t old_mask = ::umask(022);
  const fs::path path = dir_ / "perm.txt";
  auto w = AtomicFileWriter::Open(path.string());
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_TRUE((*w)->Commit().ok());
  ::umask(old_mask);
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);  // 0666 & ~022, not mkstemp's 0600.
}

TEST_F(AtomicFileTest, ReplacedFileKeepsItsPermissionBits) {
  const fs::path path = dir_ / "private.tsv";
  { std::ofstream(path) << "old\n"; }
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  auto w = AtomicFileWriter::Open(path.string());
  ASSERT_TRUE(w.ok()) << w.status();
  (*w)->stream() << "new\n";
  ASSERT_TRUE((*w)->Commit().ok());
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(ReadFileBytes(path), "new\n");
}

// A symbolic link is written through: the link stays, its target is replaced (in the
// target's folder), through a chain of links and relative ones.
TEST_F(AtomicFileTest, SymbolicLinksAreWrittenThrough) {
  fs::create_directories(dir_ / "real");
  const fs::path target = dir_ / "real" / "report.tsv";
  { std::ofstream(target) << "old\n"; }
  fs::create_symlink("real/report.tsv", dir_ / "link1");
  fs::create_symlink("link1", dir_ / "link2");
  auto w = AtomicFileWriter::Open((dir_ / "link2").string());
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ((*w)->target(), (dir_ / "real" / "report.tsv").string());
  (*w)->stream() << "new\n";
  ASSERT_TRUE((*w)->Commit().ok());
  EXPECT_TRUE(fs::is_symlink(dir_ / "link1"));
  EXPECT_TRUE(fs::is_symlink(dir_ / "link2"));
  EXPECT_EQ(ReadFileBytes(target), "new\n");
  EXPECT_THAT(Entries(), ElementsAre("link1", "link2", "real"));
}

TEST_F(AtomicFileTest, DanglingLinksAndNonRegularFilesAreRefused) {
  fs::create_symlink("nowhere", dir_ / "dangling");
  auto dangling = AtomicFileWriter::Open((dir_ / "dangling").string());
  EXPECT_TRUE(absl::IsFailedPrecondition(dangling.status())) << dangling.status();
  EXPECT_THAT(std::string(dangling.status().message()), HasSubstr("does not exist"));
  fs::create_directories(dir_ / "folder");
  auto folder = AtomicFileWriter::Open((dir_ / "folder").string());
  EXPECT_TRUE(absl::IsFailedPrecondition(folder.status())) << folder.status();
  ASSERT_EQ(::mkfifo((dir_ / "fifo").c_str(), 0600), 0);
  auto fifo = AtomicFileWriter::Open((dir_ / "fifo").string());
  EXPECT_TRUE(absl::IsFailedPrecondition(fifo.status())) << fifo.status();
  EXPECT_TRUE(fs::is_symlink(dir_ / "dangling"));
  EXPECT_TRUE(fs::is_fifo(dir_ / "fifo"));
  EXPECT_THAT(Entries(), ElementsAre("dangling", "fifo", "folder"));  // No temporaries.
}

TEST_F(AtomicFileTest, EmptyFileIsCreatedOnCommit) {
  const fs::path path = dir_ / "empty";
  auto w = AtomicFileWriter::Open(path.string());
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_TRUE((*w)->Commit().ok());
  ASSERT_TRUE(fs::exists(path));
  EXPECT_EQ(fs::file_size(path), 0u);
  EXPECT_THAT(Entries(), ElementsAre("empty"));
}

TEST_F(AtomicFileTest, DestroyedWithoutCommitLeavesNothing) {
  const fs::path path = dir_ / "never.txt";
  {
    auto w = AtomicFileWriter::Open(path.string());
    ASSERT_TRUE(w.ok()) << w.status();
    (*w)->stream() << "partial output";
    (*w)->stream().flush();
    EXPECT_EQ(Entries().size(), 1u);  // The temporary exists while writing...
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(Entries().empty());  // ...and is gone afterwards.
}

TEST_F(AtomicFileTest, ExistingFileIsReplacedOnlyOnCommit) {
  const fs::path path = dir_ / "report.json";
  { std::ofstream(path) << "old content\n"; }
  {
    auto w = AtomicFileWriter::Open(path.string());
    ASSERT_TRUE(w.ok()) << w.status();
    (*w)->stream() << "new content, longer than the old one\n";
    (*w)->stream().flush();
    EXPECT_EQ(ReadFileBytes(path), "old content\n");
    ASSERT_TRUE((*w)->Commit().ok());
    EXPECT_EQ(ReadFileBytes(path), "new content, longer than the old one\n");
  }
  EXPECT_THAT(Entries(), ElementsAre("report.json"));

  // Abandoned: the old file stays as it was.
  {
    auto w = AtomicFileWriter::Open(path.string());
    ASSERT_TRUE(w.ok()) << w.status();
    (*w)->stream() << "x";
  }
  EXPECT_EQ(ReadFileBytes(path), "new content, longer than the old one\n");
  EXPECT_THAT(Entries(), ElementsAre("report.json"));
}

TEST_F(AtomicFileTest, TwoWritersToTheSamePathUseDifferentTemporaries) {
  const fs::path path = dir_ / "same.txt";
  auto a = AtomicFileWriter::Open(path.string());
  auto b = AtomicFileWriter::Open(path.string());
  ASSERT_TRUE(a.ok() && b.ok());
  (*a)->stream() << "from a";
  (*b)->stream() << "from b";
  EXPECT_EQ(Entries().size(), 2u);
  ASSERT_TRUE((*a)->Commit().ok());
  EXPECT_EQ(ReadFileBytes(path), "from a");
  ASSERT_TRUE((*b)->Commit().ok());
  EXPECT_EQ(ReadFileBytes(path), "from b");
  EXPECT_THAT(Entries(), ElementsAre("same.txt"));
}

TEST_F(AtomicFileTest, RelativePathWritesIntoTheCurrentFolder) {
  const fs::path old_cwd = fs::current_path();
  fs::current_path(dir_);
  {
    auto w = AtomicFileWriter::Open("relative.txt");
    ASSERT_TRUE(w.ok()) << w.status();
    (*w)->stream() << "here";
    EXPECT_TRUE((*w)->Commit().ok());
  }
  fs::current_path(old_cwd);
  EXPECT_EQ(ReadFileBytes(dir_ / "relative.txt"), "here");
  EXPECT_THAT(Entries(), ElementsAre("relative.txt"));
}

TEST_F(AtomicFileTest, UnwritableLocationIsAnErrorNamingThePath) {
  // Under a folder that does not exist (permission bits would not stop root).
  const std::string path = (dir_ / "no_such_folder" / "out.tsv").string();
  auto w = AtomicFileWriter::Open(path);
  ASSERT_FALSE(w.ok());
  EXPECT_THAT(w.status().message(), HasSubstr(path));
  EXPECT_THAT(w.status().message(), HasSubstr("No such file or directory"));
  EXPECT_TRUE(Entries().empty());

  // Under a regular file.
  { std::ofstream(dir_ / "file") << "x"; }
  const std::string under_file = (dir_ / "file" / "out.tsv").string();
  auto f = AtomicFileWriter::Open(under_file);
  ASSERT_FALSE(f.ok());
  EXPECT_THAT(f.status().message(), HasSubstr(under_file));

  // /proc does not allow creating files, even for root.
  auto p = AtomicFileWriter::Open("/proc/dedup_atomic_file_test.tsv");
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(), HasSubstr("/proc/dedup_atomic_file_test.tsv"));
}

TEST_F(AtomicFileTest, PathWithoutFileNameIsAnError) {
  const std::string path = dir_.string() + "/";
  auto w = AtomicFileWriter::Open(path);
  ASSERT_FALSE(w.ok());
  EXPECT_THAT(w.status().message(), HasSubstr(path));
  EXPECT_TRUE(Entries().empty());
}

TEST_F(AtomicFileTest, FailedCommitNamesThePathAndRemovesTheTemporary) {
  // The destination becomes a non-empty folder after Open() (which refuses a folder):
  // rename() over it fails.
  const fs::path path = dir_ / "taken";
  auto w = AtomicFileWriter::Open(path.string());
  ASSERT_TRUE(w.ok()) << w.status();
  fs::create_directories(path);
  { std::ofstream(path / "inside") << "keep"; }
  (*w)->stream() << "content";
  absl::Status st = (*w)->Commit();
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.message(), HasSubstr(path.string()));
  // The temporary is removed by the failed Commit() itself, not only by the destructor.
  EXPECT_THAT(Entries(), ElementsAre("taken"));
  w->reset();
  EXPECT_THAT(Entries(), ElementsAre("taken"));
  EXPECT_EQ(ReadFileBytes(path / "inside"), "keep");
}

}  // namespace
}  // namespace dedup
