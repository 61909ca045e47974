#include "dedup/html.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

#include "dedup/corpus.h"
#include "dedup/internal/html_attributes.h"
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

// An element with n attributes: <div a0="0" a1="1" ... >x</div>.
std::string ManyAttributes(size_t n) {
  std::string html = "<html><body><div";
  for (size_t i = 0; i < n; ++i) html += " a" + std::to_string(i) + "=\"" + std::to_string(i) + "\"";
  return html + ">x</div></body></html>";
}

std::string ReadFixturePage() {
  return ReadFile(std::string(DEDUP_SOURCE_DIR) + "/fixtures/html/002_61bfeb7b1bdb5127.html");
}

TEST(LimitHtmlAttributes, DropsAttributesBeyondTheLimit) {
  using internal::HtmlAttributeStats;
  using internal::LimitHtmlAttributes;
  std::string storage;
  HtmlAttributeStats stats;
  EXPECT_EQ(LimitHtmlAttributes("<p a=1 b='2' c=\"3\" d>x</p><br/>", 3, &storage, &stats),
            "<p a=1 b='2' c=\"3\" >x</p><br/>");
  EXPECT_EQ(stats.start_tags, 2u);
  EXPECT_EQ(stats.truncated_tags, 1u);
  EXPECT_EQ(stats.dropped_attributes, 1u);
  // Quoted values hold blanks and '>'; bogus attributes run to a blank; "/>" ends a tag.
  EXPECT_EQ(LimitHtmlAttributes("<a x=\"1 > 2\" y='>' !!! z w/>t", 2, &storage), "<a x=\"1 > 2\" y='>' />t");
  EXPECT_EQ(LimitHtmlAttributes("<a x y z>t", 0, &storage), "<a>t");
  // libxml2 reads names 100 bytes at a time: a 250-byte name is three attributes.
  EXPECT_EQ(LimitHtmlAttributes("<a " + std::string(250, 'n') + ">t", 2, &storage),
            "<a " + std::string(200, 'n') + ">t");
  // Unterminated tags and values run to the end of the input.
  EXPECT_EQ(LimitHtmlAttributes("<a b c d=\"e>f", 1, &storage), "<a b ");
}

TEST(LimitHtmlAttributes, LeavesCommentsScriptsAndSmallTagsAlone) {
  using internal::LimitHtmlAttributes;
  std::string storage;
  // Not tags: comments, the raw text of script and style, end tags, "<" + non-letter.
  const std::string html =
      "<!-- <p a b c d> --><script type=x>if (a <b c d e f) {}</SCRIPT><style>p <i a b c d>{}</style>"
      "</p a b c d e> <1 a b c d e> <!DOCTYPE html a b c d> <script/><i a b c d>";
  const std::string want =
      "<!-- <p a b c d> --><script type=x>if (a <b c d e f) {}</SCRIPT><style>p <i a b c d>{}</style>"
      "</p a b c d e> <1 a b c d e> <!DOCTYPE html a b c d> <script/><i a b >";
  EXPECT_EQ(LimitHtmlAttributes(html, 2, &storage), want);
  // Nothing to drop: the input itself comes back, not a copy.
  const std::string page = ReadFixturePage();
  EXPECT_EQ(LimitHtmlAttributes(page, internal::kMaxHtmlAttributes, &storage).data(), page.data());
}

// Found by tests/fuzz/html_fuzzer.cc: libxml2 skips an end tag to the next '>', so the
// "<p" in "</a<p d=\">l" is not a start tag and "l" is text; the pre-pass once cut the
// "<p" tag's attributes and lost the "l".
TEST(LimitHtmlAttributes, TextDoesNotDependOnTheLimit) {
  for (const std::string html : {"</a<p d=\">l", "<?pi <p d=\">l", "<!DOCTYPE x <p d=\">l", "</1<p d=\"l\">m",
                                 "<p a=\"1\" b c>x<!-- <p d=\"> -->y", "<script a b>\"<p c=\"</script>z",
                                 "y<style></stylel><b</style><"}) {
    const std::string all = internal::HtmlToTextKeepingAttributes(html, SIZE_MAX);
    EXPECT_EQ(internal::HtmlToTextKeepingAttributes(html, 0), all) << html;
    EXPECT_EQ(internal::HtmlToTextKeepingAttributes(html, 1), all) << html;
  }
}

// libxml2 compares each attribute of an element with all earlier ones: 200k attributes
// took minutes before HtmlToText kept only the first 64. The text is the same.
TEST(HtmlToText, ManyAttributesOnOneElementAreDropped) {
  std::string storage;
  internal::HtmlAttributeStats stats;
  const std::string html = ManyAttributes(200000);
  internal::LimitHtmlAttributes(html, internal::kMaxHtmlAttributes, &storage, &stats);
  EXPECT_EQ(stats.dropped_attributes, 200000 - internal::kMaxHtmlAttributes);
  EXPECT_LT(storage.size(), 1000u);
  EXPECT_EQ(HtmlToText(html), "x\n");
  EXPECT_EQ(HtmlToText(ManyAttributes(internal::kMaxHtmlAttributes + 1)), HtmlToText(ManyAttributes(10)));
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
