#include "dedup/chrome_stream.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/text_util.h"

namespace dedup {
namespace {

using testing::Body;
using testing::Tok;
using testing::Words;

LineKeys Keys(const std::string& text) { return ComputeLineKeys(Tok(text)); }
uint64_t Line(const std::string& line) { return Keys(line).lines.at(0); }

const std::string kFooter = "DISCLAIMER " + Words(7, 40) + "\nRead original article here\n";

TEST(ChromeStream, FooterBecomesChromeAtTheThirdDifferentArticle) {
  ChromeStream stream({});
  std::vector<ChromeStream::Flag> flags;
  std::vector<uint64_t> holders;
  EXPECT_EQ(stream.Add(0, Keys(Body(0) + kFooter), 100, &flags, &holders), 0);
  EXPECT_EQ(stream.Add(0, Keys(Body(1) + kFooter), 101, &flags, &holders), 0);
  EXPECT_FALSE(stream.IsChrome(0, Line("Read original article here")));
  EXPECT_EQ(stream.Add(0, Keys(Body(2) + kFooter), 102, &flags, &holders), 2);  // Both footer lines.
  ASSERT_EQ(flags.size(), 2u);
  EXPECT_EQ(flags[0].source, 0u);
  EXPECT_TRUE(stream.IsChrome(0, Line("Read original article here")));
  EXPECT_TRUE(stream.IsChrome(12345, Line("Read original article here")));  // Corpus-wide: every source.
  EXPECT_FALSE(stream.IsChrome(0, Keys(Body(1)).lines[0]));
  // The earlier documents that hold them, by their tags (once per line), to be re-signed.
  std::sort(holders.begin(), holders.end());
  EXPECT_EQ(holders, (std::vector<uint64_t>{100, 100, 101, 101}));
  EXPECT_EQ(stream.chrome_lines(), 2u);
  // Once chrome, a line reports no holders again; a line of two documents, no one yet.
  holders.clear();
  stream.Add(0, Keys(Body(3) + kFooter), 103, &flags, &holders);
  EXPECT_TRUE(holders.empty());
}

// Copies of one article carry the footer under the same last paragraph: three copies
// are one context, so the footer waits for different articles; the article's lines,
// in four documents, are never chrome.
TEST(ChromeStream, ChromeNextToDuplicatedTextIsFoundAndTheArticleKept) {
  ChromeStream stream({});
  const std::string article = Body(1);
  stream.Add(SourceKey("wire"), Keys(article));
  for (int copy = 0; copy < 3; ++copy) stream.Add(SourceKey("agg" + std::to_string(copy)), Keys(article + kFooter));
  EXPECT_FALSE(stream.IsChrome(0, Line("Read original article here")));
  for (int other = 2; other < 5; ++other) {
    stream.Add(SourceKey("site" + std::to_string(other)), Keys(Body(other)));
    stream.Add(SourceKey("agg" + std::to_string(other)), Keys(Body(other) + kFooter));
  }
  EXPECT_TRUE(stream.IsChrome(0, Line("Read original article here")));
  for (uint64_t line : Keys(article).lines) EXPECT_FALSE(stream.IsChrome(0, line));
}

// A story syndicated 200 times under 50 sites' own chrome, arriving before anything else
// of those sites: every paragraph recurs 200 times, always in the same article, so none
// is chrome; the sites' chrome becomes chrome once their other articles arrive.
TEST(ChromeStream, HotStoryKeepsEveryParagraph) {
  ChromeStream stream({});
  std::vector<std::string> paragraphs;
  for (int p = 0; p < 6; ++p) paragraphs.push_back(Words(500 + static_cast<uint64_t>(p), 25));
  auto header = [](int site) { return "Header " + Words(9000 + static_cast<uint64_t>(site), 8) + "\n"; };
  auto footer = [](int site) { return "Footer " + Words(8000 + static_cast<uint64_t>(site), 10) + "\n"; };
  for (int copy = 0; copy < 200; ++copy) {
    const int site = copy % 50;
    std::string text = header(site);
    for (int p = 0; p < 6; ++p) text += ((copy % 7 == p) ? paragraphs[p] + " edited" : paragraphs[p]) + "\n";
    stream.Add(SourceKey("site" + std::to_string(site)), Keys(text + footer(site)));
  }
  for (const std::string& p : paragraphs) EXPECT_FALSE(stream.IsChrome(SourceKey("site3"), Line(p))) << p;
  for (int site = 0; site < 50; ++site) {
    for (int other = 0; other < 3; ++other) {
      stream.Add(SourceKey("site" + std::to_string(site)), Keys(header(site) + Body(100 * site + other) + footer(site)));
    }
  }
  for (const std::string& p : paragraphs) EXPECT_FALSE(stream.IsChrome(SourceKey("site3"), Line(p))) << p;
  EXPECT_TRUE(stream.IsChrome(SourceKey("site3"), Keys(header(3)).lines[0]));
  EXPECT_TRUE(stream.IsChrome(SourceKey("site3"), Keys(footer(3)).lines[0]));
}

// The first document holding a line is its first kept context. Here it holds almost
// nothing else (so no comparison with it can tell anything), or everything else in it
// becomes chrome later: such a context must not block the line forever (unknown counts
// as "the same"), so it is replaced by the next occurrence that differs from the others.
TEST(ChromeStream, AContextWithoutTextIsReplaced) {
  ChromeStream stream({});
  const std::string nav = "Skip to main navigation\n";
  const std::string footer = Words(1, 30) + "\n";
  stream.Add(0, Keys(nav + footer));
  for (int i = 0; i < 3; ++i) stream.Add(0, Keys(Words(50 + static_cast<uint64_t>(i), 90) + "\n" + footer));
  EXPECT_TRUE(stream.IsChrome(0, Line(Words(1, 30))));  // Under three different texts.
  for (int i = 0; i < 3; ++i) stream.Add(0, Keys(nav + Words(100 + static_cast<uint64_t>(i), 90) + "\n"));
  EXPECT_TRUE(stream.IsChrome(0, Line("Skip to main navigation")));
}

// The model is a function of the sequence: the same documents give the same digest,
// another order (here: the footer's third article first) another one.
TEST(ChromeStream, DigestFollowsTheSequence) {
  std::vector<std::string> docs;
  for (int i = 0; i < 6; ++i) docs.push_back(Body(i) + kFooter);
  docs.push_back(Body(1) + "\n");
  ChromeStream a({}), b({}), c({});
  for (const std::string& d : docs) a.Add(0, Keys(d)), b.Add(0, Keys(d));
  EXPECT_EQ(a.Digest(), b.Digest());
  EXPECT_EQ(a.chrome_lines(), 2u);
  for (auto it = docs.rbegin(); it != docs.rend(); ++it) c.Add(0, Keys(*it));
  EXPECT_EQ(c.chrome_lines(), 2u);
  EXPECT_NE(a.Digest(), c.Digest());  // Flagged by another document number.
  ChromeStream empty({});
  EXPECT_NE(a.Digest(), empty.Digest());
}

TEST(ChromeStream, DisabledNeverFlags) {
  BoilerplateOptions off;
  off.enabled = false;
  ChromeStream stream(off);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(stream.Add(0, Keys(Body(i) + kFooter)), 0);
  EXPECT_EQ(stream.documents(), 6u);
  EXPECT_FALSE(stream.IsChrome(0, Line("Read original article here")));
  EXPECT_EQ(DescribeChromeRule(off), "off");
  EXPECT_NE(DescribeChromeRule(BoilerplateOptions{}), "off");
}

TEST(ChromeStream, LineKeysRoundTripAndCorruptionIsCaught) {
  const LineKeys keys = Keys(Body(3) + kFooter);
  const std::string bytes = SerializeLineKeys(keys);
  absl::StatusOr<LineKeys> back = ParseLineKeys(bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->lines, keys.lines);
  EXPECT_EQ(back->shingles, keys.shingles);
  EXPECT_EQ(back->total_shingles, keys.total_shingles);
  EXPECT_EQ(back->context, keys.context);
  EXPECT_FALSE(ParseLineKeys(bytes.substr(0, bytes.size() - 1)).ok());
  EXPECT_FALSE(ParseLineKeys("abc").ok());
  std::string bad = bytes;
  bad[4] ^= 1;  // total_shingles no longer the sum of the counts.
  EXPECT_FALSE(ParseLineKeys(bad).ok());
}

// A document holding one line 20,000 times and 20,000 other lines: a line counts once
// per document (so the repeated one is not in "20,000 documents").
TEST(ChromeStream, RepeatedLinesInOneDocumentCountOnce) {
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "same line again\n" + std::to_string(i) + " other\n";
  ChromeStream stream({});
  EXPECT_EQ(stream.Add(0, Keys(text)), 0);
  EXPECT_FALSE(stream.IsChrome(0, Line("same line again")));
}

}  // namespace
}  // namespace dedup
