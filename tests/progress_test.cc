// ProgressPrinter (progress.h): the line's numbers, the modes, and InputBytes.
#include "dedup/progress.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"

namespace dedup {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;

TEST(ProgressLineTest, NumbersByHand) {
  // 180 MB in 2 s: 90.0 MB/s; 180 of 240 MB = 75%; the other 25% at the same rate
  // takes 2 * 25/75 = 0.67 s -> 0:01.
  EXPECT_EQ(ProgressPrinter::Line("signing", 45000, 180000000, 240000000, 2.0),
            "signing: 45,000 documents, 180.0 MB, 90.0 MB/s, 75%, ETA 0:01");
  // 10% in 30 s: 270 s to go = 4:30.
  EXPECT_EQ(ProgressPrinter::Line("reading", 1234567, 100000000, 1000000000, 30.0),
            "reading: 1,234,567 documents, 100.0 MB, 3.3 MB/s, 10%, ETA 4:30");
  // Unknown size: no share, no ETA; nothing read yet: the phase alone.
  EXPECT_EQ(ProgressPrinter::Line("signing", 999, 1500000, -1, 1.0), "signing: 999 documents, 1.5 MB, 1.5 MB/s");
  EXPECT_EQ(ProgressPrinter::Line("clustering", 0, 0, -1, 3.0), "clustering");
}

TEST(ProgressPrinterTest, ShortInteractiveRunsPrintNothing) {
  std::ostringstream out;
  ProgressPrinter p(out, ProgressPrinter::Mode::kInteractive, hours(1));
  p.StartPhase("signing", 100);
  p.Advance(1, 50);
  p.Finish();
  EXPECT_EQ(out.str(), "");
}

TEST(ProgressPrinterTest, InteractiveRedrawsOneLineAndClearsIt) {
  std::ostringstream out;
  ProgressPrinter p(out, ProgressPrinter::Mode::kInteractive, milliseconds(0));
  p.StartPhase("candidate join and verification", -1);
  p.StartPhase("clustering", -1);
  p.Finish();
  const std::string s = out.str();
  EXPECT_EQ(s.find('\n'), std::string::npos);
  // The shorter second line overwrites the first: padded to its width, then cleared.
  const std::string first = "dedup: candidate join and verification";
  const std::string second = "dedup: clustering" + std::string(first.size() - 17, ' ');
  EXPECT_EQ(s, "\r" + first + "\r" + second + "\r" + std::string(17, ' ') + "\r");
}

TEST(ProgressPrinterTest, LogModePrintsPhasesAndTotals) {
  std::ostringstream out;
  ProgressPrinter p(out, ProgressPrinter::Mode::kLog, milliseconds(0), hours(1));
  p.StartPhase("signing", 1000);
  p.Advance(3, 1000);  // Within the interval: no line.
  p.StartPhase("clustering", -1);
  p.Finish();
  const std::string s = out.str();
  EXPECT_EQ(s.substr(0, s.find('\n') + 1), "dedup: signing\n");
  EXPECT_NE(s.find("\ndedup: signing done: 3 documents, 0.0 MB"), std::string::npos) << s;
  EXPECT_NE(s.find("\ndedup: clustering\n"), std::string::npos) << s;
  EXPECT_EQ(s.find('\r'), std::string::npos);
}

TEST(InputBytesTest, FilesFoldersAndStdin) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("dedup_progress_test_" + std::to_string(::getpid()));
  fs::create_directories(dir / "sub");
  std::ofstream(dir / "a.txt") << "12345";
  std::ofstream(dir / "sub" / "b.txt") << "123";
  CorpusOptions options;
  EXPECT_EQ(InputBytes({(dir / "a.txt").string()}, options), 5);
  EXPECT_EQ(InputBytes({dir.string()}, options), 8);
  EXPECT_EQ(InputBytes({dir.string(), "-"}, options), -1);
  options.spooled_inputs["-"] = (dir / "sub" / "b.txt").string();
  EXPECT_EQ(InputBytes({(dir / "a.txt").string(), "-"}, options), 8);
  EXPECT_EQ(InputBytes({(dir / "missing").string()}, options), -1);
  fs::remove_all(dir);
}

TEST(PeakMemoryTest, IsAtLeastWhatWasTouched) {
  std::vector<char> block(64 << 20, 1);  // 64 MiB, touched.
  EXPECT_GE(PeakMemoryBytes(), int64_t{64} << 20);
  EXPECT_EQ(block[12345], 1);
}

}  // namespace
}  // namespace dedup
