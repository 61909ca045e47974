#include "dedup/boilerplate.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace dedup {
namespace {

TokenizedText Tok(const std::string& text) {
  TokenizedText t;
  EXPECT_TRUE(Tokenize(text, &t).ok());
  return t;
}

std::string Kept(const std::string& text, const BoilerplateModel& model, const std::string& source = "") {
  TokenizedText out;
  StripBoilerplate(Tok(text), model, SourceKey(source), &out);
  return out.text;
}

const char* kFooter =
    "DISCLAIMER: this site is an automatic aggregator of the world's media.\n"
    "Read original article here\nLeave a Comment\n";

// Distinct article bodies (each line unique in the corpus).
std::string Body(int i) {
  return "Article " + std::to_string(i) + " reports event number " + std::to_string(i * 7) +
         " in the city of town" + std::to_string(i) + ".\nA second paragraph about topic " +
         std::to_string(i) + " with figure " + std::to_string(i * 13) + ".\n";
}

TEST(Tokenize, RecordsLines) {
  TokenizedText t = Tok("First line, here.\n\n  \nSecond line\r\nthird");
  ASSERT_EQ(t.lines.size(), 3u);
  EXPECT_EQ(t.lines[0], 0u);
  EXPECT_EQ(t.lines[1], 3u);
  EXPECT_EQ(t.lines[2], 5u);
  EXPECT_EQ(t.line_end(2), 6u);
}

TEST(Boilerplate, SharedFooterAfterDifferentArticlesIsRemoved) {
  BoilerplateDetector d({});
  for (int i = 0; i < 5; ++i) d.AddDocument("", Tok(Body(i) + kFooter));
  BoilerplateModel model = d.Build();
  EXPECT_EQ(model.corpus_lines(), 3u);  // The three footer lines (one seed, the block grows).
  EXPECT_EQ(Kept(Body(1) + kFooter, model), Tok(Body(1)).text);
}

TEST(Boilerplate, SyndicatedArticleUnderDifferentChromeIsKept) {
  // One article copied under five different site headers/footers (each site seen once):
  // the article's lines recur, but next to chrome lines that are each unique.
  BoilerplateDetector d({});
  const std::string article = Body(99);
  for (int s = 0; s < 5; ++s) {
    d.AddDocument("", Tok("Site " + std::to_string(s) + " header menu\n" + article + "Site " + std::to_string(s) +
                           " copyright footer\n"));
  }
  BoilerplateModel model = d.Build();
  EXPECT_EQ(model.corpus_lines(), 0u);
}

TEST(Boilerplate, PerSourceChromeIsRemovedOnlyForThatSource) {
  BoilerplateDetector d({});
  const std::string chrome = "The Daily Example\nHome World Politics\n";
  d.AddDocument("daily.example", Tok(chrome + Body(1)));
  d.AddDocument("daily.example", Tok(chrome + Body(2)));
  d.AddDocument("other.example", Tok(Body(3)));
  BoilerplateModel model = d.Build();
  EXPECT_EQ(model.source_lines(), 2u);  // Seen in 2 documents of one source: below the corpus rule.
  EXPECT_EQ(model.corpus_lines(), 0u);
  EXPECT_EQ(Kept(chrome + Body(4), model, "daily.example"), Tok(Body(4)).text);
  EXPECT_EQ(Kept(chrome + Body(4), model, "other.example"), Tok(chrome + Body(4)).text);
}

TEST(Boilerplate, ChromeSharedByThreeSitesIsCorpusBoilerplate) {
  BoilerplateDetector d({});
  const std::string chrome = "Powered by Example CMS\nAll rights reserved\n";
  for (int i = 0; i < 3; ++i) d.AddDocument("site" + std::to_string(i), Tok(Body(i) + chrome));
  BoilerplateModel model = d.Build();
  EXPECT_EQ(model.corpus_lines(), 2u);
  EXPECT_EQ(Kept(Body(7) + chrome, model, "anything"), Tok(Body(7)).text);
}

TEST(Boilerplate, OneDocumentCorpusIsUnchanged) {
  BoilerplateDetector d({});
  d.AddDocument("s", Tok(Body(1) + kFooter));
  EXPECT_TRUE(d.Build().empty());
}

TEST(Boilerplate, AllBoilerplateDocumentIsKeptWhole) {
  BoilerplateDetector d({});
  for (int i = 0; i < 5; ++i) d.AddDocument("", Tok(Body(i) + kFooter));
  BoilerplateModel model = d.Build();
  ASSERT_FALSE(model.empty());
  // A page that is nothing but the footer is compared as it is.
  EXPECT_EQ(Kept(kFooter, model), Tok(kFooter).text);
}

TEST(Boilerplate, DisabledFindsNothing) {
  BoilerplateOptions o;
  o.enabled = false;
  BoilerplateDetector d(o);
  for (int i = 0; i < 5; ++i) d.AddDocument("", Tok(Body(i) + kFooter));
  EXPECT_TRUE(d.Build().empty());
}

TEST(Boilerplate, ValidatesOptions) {
  BoilerplateOptions o;
  o.min_docs = 1;
  EXPECT_FALSE(ValidateBoilerplateOptions(o).ok());
  o = {};
  o.block_adjacency = 0;
  EXPECT_FALSE(ValidateBoilerplateOptions(o).ok());
  EXPECT_TRUE(ValidateBoilerplateOptions({}).ok());
}

}  // namespace
}  // namespace dedup
