#include "dedup/html.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "dedup/corpus.h"
#include "dedup/shingle.h"
#include "dedup/sketch.h"

namespace dedup {
namespace {

TEST(HtmlToText, DecodesReferencesAndMakesBlocksLines) {
  EXPECT_EQ(HtmlToText("<p>Xi&rsquo;s visit &amp; talks</p><p>Day&nbsp;two &#8212; &#x41;</p>"),
            "Xi\u2019s visit & talks\nDay\u00A0two \u2014 A\n");
}

TEST(HtmlToText, DropsScriptStyleHeadAndComments) {
  std::string t = HtmlToText(
      "<html><head><title>T</title><style>p{}</style></head><body><script>var x = '<p>no</p>';</script>"
      "<!-- comment --><div>kept</div><noscript>no</noscript></body></html>");
  EXPECT_EQ(t, "kept\n");
}

TEST(HtmlToText, InlineElementsDoNotBreakLines) {
  EXPECT_EQ(HtmlToText("<p>The <b>bold</b> and <a href='x'>linked</a> words</p>"), "The bold and linked words\n");
  EXPECT_EQ(HtmlToText("line one<br>line two"), "line one\nline two\n");
}

TEST(HtmlToText, MalformedMarkupIsRecovered) {
  EXPECT_EQ(HtmlToText("<p>unclosed <b>bold<p>next"), "unclosed bold\nnext\n");
  EXPECT_EQ(HtmlToText(""), "");
}

TEST(LooksLikeHtml, Heuristic) {
  EXPECT_TRUE(LooksLikeHtml("  <!DOCTYPE html><html>"));
  EXPECT_TRUE(LooksLikeHtml("<p>text</p>"));
  EXPECT_FALSE(LooksLikeHtml("Plain text with a <tag> inside </tag>"));
  EXPECT_FALSE(LooksLikeHtml("<not closed"));
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The shipped HTML page of seed 002 reads as the same article as its text version:
// exact Jaccard of word 5-shingles stays high (the page adds a headline, navigation
// and a copyright line; scripts and styles are gone).
TEST(HtmlInput, PageReadsLikeTheArticle) {
  const std::string root = std::string(DEDUP_SOURCE_DIR) + "/fixtures/";
  auto reader = CorpusReader::Open({root + "html/002_61bfeb7b1bdb5127.html"}, {});
  ASSERT_TRUE(reader.ok());
  Document page;
  ASSERT_TRUE(*(*reader)->Next(&page));
  EXPECT_EQ(page.text.find("gtag"), std::string::npos);
  EXPECT_EQ(page.text.find("&rsquo;"), std::string::npos);
  EXPECT_NE(page.text.find("Xi hailed the \u201Cclose\u201D bilateral ties"), std::string::npos);
  auto sketcher = *Sketcher::Create({});
  SketchScratch scratch;
  std::vector<uint64_t> a, b;
  ASSERT_TRUE(sketcher.Shingles(page.text, &scratch, &a).ok());
  ASSERT_TRUE(sketcher.Shingles(ReadFile(root + "seeds/002_61bfeb7b1bdb5127.txt"), &scratch, &b).ok());
  EXPECT_GT(ExactJaccard(a, b), 0.9);
  // With --html off, the markup is compared as text and the similarity collapses.
  CorpusOptions off;
  off.html = CorpusOptions::Html::kOff;
  auto raw_reader = CorpusReader::Open({root + "html/002_61bfeb7b1bdb5127.html"}, off);
  Document raw;
  ASSERT_TRUE(*(*raw_reader)->Next(&raw));
  EXPECT_NE(raw.text.find("gtag"), std::string::npos);
}

}  // namespace
}  // namespace dedup
