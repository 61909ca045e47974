#include "dedup/boilerplate.h"

#include <gtest/gtest.h>

#include <array>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "oneapi/tbb/task_arena.h"

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
  // The stripped text must be exactly what tokenizing its kept lines gives: the same
  // text, token starts and line starts.
  std::string lines;
  for (size_t i = 0; i < out.lines.size(); ++i) {
    for (size_t t = out.lines[i]; t < out.line_end(i); ++t) lines += std::string(out.token(t)) + " ";
    lines += "\n";
  }
  TokenizedText again = Tok(lines);
  EXPECT_EQ(out.text, again.text);
  EXPECT_EQ(out.starts, again.starts);
  EXPECT_EQ(out.lines, again.lines);
  return out.text;
}

const char* kFooter =
    "DISCLAIMER: this site is an automatic aggregator of the world's media.\n"
    "Read original article here\nLeave a Comment\n";

// Distinct article bodies: each line unique in the corpus, and lines open differently
// (contexts are told apart by their first four tokens).
std::string Body(int i) {
  return "Article " + std::to_string(i) + " reports event number " + std::to_string(i * 7) +
         " in the city of town" + std::to_string(i) + ".\nTopic " + std::to_string(i) +
         " continues in a second paragraph with figure " + std::to_string(i * 13) + ".\n";
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
  for (int i = 1; i <= 3; ++i) d.AddDocument("daily.example", Tok(chrome + Body(i)));
  // The same lines on other sites, but in fewer than three documents of each.
  d.AddDocument("other.example", Tok(chrome + Body(5)));
  d.AddDocument("third.example", Tok(Body(6)));
  BoilerplateModel model = d.Build();
  // Corpus-wide the header is in 4 documents followed by 4 unique titles: it is
  // corpus boilerplate too, so check the per-source rule on a source-only case below.
  EXPECT_EQ(model.corpus_lines() + model.source_lines(), 2u);
  EXPECT_EQ(Kept(chrome + Body(4), model, "daily.example"), Tok(Body(4)).text);
}

TEST(Boilerplate, PerSourceRuleAlone) {
  BoilerplateOptions o;
  o.min_docs = 100;  // Switch the corpus rule off.
  BoilerplateDetector d(o);
  const std::string chrome = "The Daily Example\nHome World Politics\n";
  for (int i = 1; i <= 3; ++i) d.AddDocument("daily.example", Tok(chrome + Body(i)));
  d.AddDocument("other.example", Tok(chrome + Body(5)));
  BoilerplateModel model = d.Build();
  EXPECT_EQ(model.corpus_lines(), 0u);
  EXPECT_EQ(model.source_lines(), 2u);
  EXPECT_EQ(Kept(chrome + Body(4), model, "daily.example"), Tok(Body(4)).text);
  EXPECT_EQ(Kept(chrome + Body(4), model, "other.example"), Tok(chrome + Body(4)).text);
}

TEST(Boilerplate, EditedVersionsOfOneArticleOnOneSiteAreKept) {
  // An original and three versions of it on the same site (truncated, a paragraph
  // dropped, a paragraph edited): the shared opening paragraphs are followed by
  // different lines, but those lines open alike -- they are continuations of one article.
  BoilerplateDetector d({});
  const std::string head = "Ministers met on Monday to agree the budget.\nThe talks lasted nine hours.\n";
  const std::string p4 = "Markets rose after the announcement, traders said.\n";
  d.AddDocument("site.example", Tok(head + "Opposition leaders said the plan would raise taxes on families.\n" + p4));
  d.AddDocument("site.example", Tok(head + "Opposition leaders said the plan would raise taxes.\n"));
  d.AddDocument("site.example", Tok(head + "Opposition leaders said the plan would hit families.\n" + p4));
  d.AddDocument("site.example", Tok(head + "Opposition leaders said the plan would raise taxes on savers.\n"));
  // Without the opening rule, the four different (unique) continuations would make the
  // two shared paragraphs look like a header.
  EXPECT_TRUE(d.Build().empty());
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

// Document frequency counts documents, not occurrences: a footer on two pages, one of
// which repeats it mid-page, occurs three times after three different lines but is in
// only two documents, fewer than min_docs = 3.
TEST(Boilerplate, LineRepeatedWithinAPageCountsOnce) {
  BoilerplateDetector d({});
  const std::string footer = "Subscribe to our newsletter for more stories\n";
  d.AddDocument("", Tok(Body(1) + footer + Body(2) + footer));
  d.AddDocument("", Tok(Body(3) + footer));
  d.AddDocument("", Tok(Body(4)));
  EXPECT_TRUE(d.Build().empty());
  d.AddDocument("", Tok(Body(5) + footer));  // A third document: now it is a footer.
  EXPECT_EQ(d.Build().corpus_lines(), 1u);
}

// A scope large enough to be split into shards finds the same boilerplate as one shard:
// 12 sites, each with its own multi-line header and footer, a footer shared by three of
// them, articles copied to several sites and edited (frequent lines that are not
// chrome), and lines repeated within a page. Every sharding of it, and both thread
// counts, give the model of the unsharded search -- which must find chrome in both scopes.
TEST(Boilerplate, ShardsAndThreadsDoNotChangeTheModel) {
  BoilerplateDetector d({});
  uint64_t state = 3;
  auto next = [&state](uint64_t n) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return (state >> 33) % n;
  };
  for (int i = 0; i < 600; ++i) {
    const int site = static_cast<int>(next(12));
    std::string page = "Site " + std::to_string(site) + " home news sport weather\nMenu of site " +
                       std::to_string(site) + " with its sections\n";
    const int article = next(4) == 0 ? static_cast<int>(next(40)) : 1000 + i;  // Some copies.
    page += Body(article);
    if (next(5) == 0) page += "An editor's note added to article " + std::to_string(article) + " here.\n";
    if (next(7) == 0) page += Body(article);  // Repeated within the page.
    page += "Footer of site " + std::to_string(site) + " all rights reserved\n";
    if (site < 3) page += kFooter;
    d.AddDocument("site" + std::to_string(site), Tok(page));
  }
  const BoilerplateModel whole = d.Build(/*lines_per_shard=*/size_t{1} << 40);
  EXPECT_GT(whole.corpus_lines(), 0u);
  EXPECT_GT(whole.source_lines(), 0u);
  for (size_t lines_per_shard : {1, 7, 100, 1000}) {
    for (int threads : {1, 2}) {
      tbb::task_arena arena(threads);
      BoilerplateModel sharded;
      arena.execute([&] { sharded = d.Build(lines_per_shard); });
      EXPECT_TRUE(sharded == whole) << lines_per_shard << " lines per shard, " << threads << " threads";
    }
  }
}

// The rules of boilerplate.h, written plainly (ordered maps, one scope at a time, no
// shards): the reference the detector must agree with.
std::set<uint64_t> ReferenceScope(const std::vector<const LineKeys*>& docs, int min_docs, int min_contexts,
                                  double block_adjacency, double block_df_ratio) {
  std::set<uint64_t> result;
  if (docs.size() < static_cast<size_t>(min_docs)) return result;
  std::map<uint64_t, uint32_t> df;
  for (const LineKeys* d : docs) {
    for (uint64_t k : std::set<uint64_t>(d->lines.begin(), d->lines.end())) ++df[k];
  }
  auto frequent = [&](uint64_t k) { return df[k] >= static_cast<uint32_t>(min_docs); };
  struct Stats {
    std::vector<uint64_t> before, after;  // Distinct openings of df-1 neighbours, capped.
    uint32_t occurrences = 0, edge_before = 0, edge_after = 0;
  };
  std::map<uint64_t, Stats> stats;
  std::map<std::pair<uint64_t, uint64_t>, uint32_t> adjacent;  // (line, neighbour) -> count
  for (const LineKeys* d : docs) {
    const std::vector<uint64_t>& l = d->lines;
    const size_t n = l.size();
    for (size_t i = 0; i < n; ++i) {
      if (!frequent(l[i])) continue;
      bool to_start = true, to_end = true;  // The page's edge through frequent lines only.
      for (size_t j = 0; j < i; ++j) to_start = to_start && frequent(l[j]);
      for (size_t j = i + 1; j < n; ++j) to_end = to_end && frequent(l[j]);
      Stats& st = stats[l[i]];
      ++st.occurrences;
      st.edge_before += to_start;
      st.edge_after += to_end;
      for (size_t j : {i - 1, i + 1}) {
        if (j >= n || l[j] == l[i]) continue;
        ++adjacent[{l[i], l[j]}];
        std::vector<uint64_t>& v = j < i ? st.before : st.after;
        const uint64_t opening = d->openings[j];
        if (df[l[j]] == 1 && v.size() < static_cast<size_t>(min_contexts) &&
            std::find(v.begin(), v.end(), opening) == v.end()) {
          v.push_back(opening);
        }
      }
    }
  }
  const size_t need = static_cast<size_t>(min_contexts);
  for (const auto& [k, st] : stats) {
    if ((st.before.size() >= need && 2 * st.edge_after >= st.occurrences) ||
        (st.after.size() >= need && 2 * st.edge_before >= st.occurrences)) {
      result.insert(k);
    }
  }
  for (bool grew = true; grew;) {  // Blocks, to the fixed point.
    grew = false;
    for (const auto& [pair, count] : adjacent) {
      const auto [line, b] = pair;
      if (!result.contains(b) || result.contains(line) || !frequent(line)) continue;
      if (count >= block_adjacency * df[line] && df[line] >= block_df_ratio * df[b]) {
        result.insert(line);
        grew = true;
      }
    }
  }
  return result;
}

// Random corpora of sites (headers, footers, an aggregator footer shared by some sites),
// articles copied, trimmed and edited across sites, repeated lines, pages without a
// source or without lines, under random options: the detector finds exactly the
// reference's corpus and per-source lines.
TEST(Boilerplate, AgreesWithAPlainReferenceOfTheRules) {
  uint64_t state = 11;
  auto next = [&state](uint64_t n) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return (state >> 33) % n;
  };
  for (int trial = 0; trial < 40; ++trial) {
    BoilerplateOptions o;
    o.min_docs = 1 + static_cast<int>(next(4));  // 1 is below what Validate allows: tested too.
    o.min_source_docs = 2 + static_cast<int>(next(3));
    o.min_contexts = 1 + static_cast<int>(next(3));
    o.min_source_contexts = 1 + static_cast<int>(next(3));
    o.block_adjacency = std::array{0.3, 0.5, 1.0}[next(3)];
    o.block_df_ratio = std::array{0.5, 0.8, 1.0}[next(3)];
    BoilerplateDetector detector(o);
    std::vector<std::pair<uint64_t, LineKeys>> docs;
    const int sites = 2 + static_cast<int>(next(6));
    const int pages = 20 + static_cast<int>(next(150));
    for (int page = 0; page < pages; ++page) {
      const int site = static_cast<int>(next(sites));
      std::string text;
      if (next(10) > 0) text += "Header of site " + std::to_string(site) + " news\nSections of site " + std::to_string(site) + "\n";
      const int article = static_cast<int>(next(3) == 0 ? next(12) : 100 + page);
      std::string body = Body(article);
      if (next(4) == 0) body = body.substr(0, body.find('\n') + 1);  // Trimmed to its first line.
      text += body;
      if (next(6) == 0) text += body;                                  // Repeated within the page.
      if (next(5) == 0) text += "Edited line " + std::to_string(next(5)) + " of article " + std::to_string(article) + "\n";
      if (next(10) > 0) text += "Footer of site " + std::to_string(site) + "\nAll rights reserved\n";
      if (site % 3 == 0) text += kFooter;
      if (next(25) == 0) text = "";
      const std::string source = next(8) == 0 ? "" : "site" + std::to_string(site);
      const TokenizedText tokens = Tok(text);
      detector.AddDocument(source, tokens);
      docs.push_back({SourceKey(source), ComputeLineKeys(tokens)});
    }
    // The reference model: the corpus scope, then each source's scope in order of first
    // appearance, its lines kept where the corpus scope did not find them.
    std::vector<const LineKeys*> all;
    std::map<uint64_t, std::vector<const LineKeys*>> by_source;
    for (const auto& [source, keys] : docs) {
      all.push_back(&keys);
      if (source != 0) by_source[source].push_back(&keys);
    }
    const std::set<uint64_t> corpus =
        ReferenceScope(all, o.min_docs, o.min_contexts, o.block_adjacency, o.block_df_ratio);
    std::set<std::pair<uint64_t, uint64_t>> per_source;
    for (const auto& [source, members] : by_source) {
      for (uint64_t line :
           ReferenceScope(members, o.min_source_docs, o.min_source_contexts, o.block_adjacency, o.block_df_ratio)) {
        if (!corpus.contains(line)) per_source.insert({source, line});
      }
    }
    const BoilerplateModel model = detector.Build(/*lines_per_shard=*/1 + next(64));
    ASSERT_EQ(model.corpus_lines(), corpus.size()) << "trial " << trial;
    ASSERT_EQ(model.source_lines(), per_source.size()) << "trial " << trial;
    for (const auto& [source, keys] : docs) {
      for (uint64_t line : keys.lines) {
        const bool expected = corpus.contains(line) || per_source.contains({source, line});
        ASSERT_EQ(model.IsBoilerplate(source, line), expected) << "trial " << trial;
      }
    }
  }
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
