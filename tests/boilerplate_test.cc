#include "dedup/boilerplate.h"

#include <gtest/gtest.h>

#include <array>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "dedup/internal/context_simd.h"
#include "tests/text_util.h"
#include "oneapi/tbb/task_arena.h"

#include <bit>
#include <cstring>
#include <random>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace dedup {
namespace {

using testing::Body;
using testing::Tok;
using testing::Words;

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

// The aggregator case: an article and its copies end with the same last paragraph, and
// the copies carry a shared disclaimer under it; other different articles carry the same
// disclaimer. The footer's neighbours are repeated paragraphs, not unique lines, yet it
// is chrome; the article's paragraphs, repeated in every copy, are not.
TEST(Boilerplate, ChromeNextToDuplicatedTextIsRemoved) {
  BoilerplateDetector d({});
  const std::string footer = "DISCLAIMER " + Words(7, 40) + "\nRead original article here\n";
  const std::string article = Body(1);
  d.AddDocument("wire.example", Tok(article));  // The original.
  for (int copy = 0; copy < 3; ++copy) d.AddDocument("agg" + std::to_string(copy), Tok(article + footer));
  for (int other = 2; other < 5; ++other) {
    d.AddDocument("site" + std::to_string(other), Tok(Body(other)));
    d.AddDocument("agg" + std::to_string(other), Tok(Body(other) + footer));
  }
  const BoilerplateModel model = d.Build();
  EXPECT_EQ(Kept(article + footer, model), Tok(article).text);
  EXPECT_EQ(model.corpus_lines(), 2u);
}

// A hot story syndicated 200 times under 50 sites' own chrome (each site seen four
// times), with a word edited in some copies: every paragraph recurs 200 times, but
// always in the same article, so no paragraph is chrome; the sites' chrome is.
TEST(Boilerplate, HotStoryKeepsEveryParagraph) {
  BoilerplateDetector d({});
  std::vector<std::string> paragraphs;
  for (int p = 0; p < 6; ++p) paragraphs.push_back(Words(500 + static_cast<uint64_t>(p), 25));
  for (int copy = 0; copy < 200; ++copy) {
    const int site = copy % 50;
    std::string text = "Header " + Words(9000 + static_cast<uint64_t>(site), 8) + "\n";
    for (int p = 0; p < 6; ++p) {
      text += (copy % 7 == p) ? paragraphs[p] + " edited" : paragraphs[p];
      text += "\n";
    }
    text += "Footer " + Words(8000 + static_cast<uint64_t>(site), 10) + "\n";
    d.AddDocument("site" + std::to_string(site), Tok(text));
  }
  // Each site's chrome is told apart as chrome only by its other, different articles: on
  // a site that carried nothing but this story it would be part of that story's text.
  for (int site = 0; site < 50; ++site) {
    for (int other = 0; other < 3; ++other) {
      d.AddDocument("site" + std::to_string(site),
                    Tok("Header " + Words(9000 + static_cast<uint64_t>(site), 8) + "\n" + Body(100 * site + other) +
                        "Footer " + Words(8000 + static_cast<uint64_t>(site), 10) + "\n"));
    }
  }
  const BoilerplateModel model = d.Build();
  for (const std::string& p : paragraphs) {
    EXPECT_FALSE(model.IsBoilerplate(SourceKey("site3"), ComputeLineKeys(Tok(p)).lines[0])) << p;
  }
  EXPECT_TRUE(model.IsBoilerplate(SourceKey("site3"), ComputeLineKeys(Tok("Header " + Words(9003, 8))).lines[0]));
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
  // The four continuations are different lines, but they continue one article: the
  // shared paragraphs have one context.
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
  BoilerplateOptions o;
  o.min_docs = 80;  // Corpus-wide only the footer shared by three sites; the rest per source.
  BoilerplateDetector d(o);
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
// shards): the reference the detector must agree with. `flagged`: per document, the
// previous round's chrome.
std::set<uint64_t> ReferenceScope(const std::vector<const LineKeys*>& docs, int min_docs, int min_contexts,
                                  const BoilerplateOptions& o, const std::vector<FlaggedLines>& flagged) {
  std::set<uint64_t> result;
  if (docs.size() < static_cast<size_t>(min_docs)) return result;
  std::map<uint64_t, uint32_t> df;
  for (const LineKeys* d : docs) {
    for (uint64_t k : std::set<uint64_t>(d->lines.begin(), d->lines.end())) ++df[k];
  }
  auto frequent = [&](uint64_t k) { return df[k] >= static_cast<uint32_t>(min_docs); };
  std::map<uint64_t, std::vector<std::pair<size_t, size_t>>> contexts;  // line -> (doc, line index)
  std::map<std::pair<uint64_t, uint64_t>, uint32_t> adjacent;          // (line, neighbour) -> count
  for (size_t di = 0; di < docs.size(); ++di) {
    const std::vector<uint64_t>& l = docs[di]->lines;
    for (size_t i = 0; i < l.size(); ++i) {
      if (!frequent(l[i])) continue;
      for (size_t j : {i - 1, i + 1}) {
        if (j < l.size() && l[j] != l[i] && frequent(l[j])) ++adjacent[{l[i], l[j]}];
      }
      auto& kept = contexts[l[i]];
      if (kept.size() >= static_cast<size_t>(min_contexts) || (!kept.empty() && kept.back().first == di)) continue;
      bool same = false;
      for (auto [dk, ik] : kept) {
        same = same || SameContext(*docs[dk], ik, flagged[dk], *docs[di], i, flagged[di], o.context_containment);
      }
      if (!same) kept.push_back({di, i});
    }
  }
  for (const auto& [k, kept] : contexts) {
    if (kept.size() >= static_cast<size_t>(min_contexts)) result.insert(k);
  }
  for (bool grew = true; grew;) {  // Blocks, to the fixed point.
    grew = false;
    for (const auto& [pair, count] : adjacent) {
      const auto [line, b] = pair;
      if (!result.contains(b) || result.contains(line) || !frequent(line)) continue;
      if (count >= o.block_adjacency * df[line] && df[line] >= o.block_df_ratio * df[b]) {
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
    o.rounds = 1 + static_cast<int>(next(4));
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
    // The reference model: the corpus scope, then each source's scope, its lines kept
    // where the corpus scope did not find them; round 2 leaves round 1's chrome out of
    // every context.
    std::map<uint64_t, std::vector<size_t>> by_source;
    for (size_t i = 0; i < docs.size(); ++i) {
      if (docs[i].first != 0) by_source[docs[i].first].push_back(i);
    }
    std::vector<FlaggedLines> flagged(docs.size());
    std::set<uint64_t> corpus;
    std::set<std::pair<uint64_t, uint64_t>> per_source;
    auto scope = [&](const std::vector<size_t>& members, int min_docs, int min_contexts) {
      std::vector<const LineKeys*> keys;
      std::vector<FlaggedLines> f;
      for (size_t i : members) keys.push_back(&docs[i].second), f.push_back(flagged[i]);
      return ReferenceScope(keys, min_docs, min_contexts, o, f);
    };
    std::vector<size_t> everyone(docs.size());
    for (size_t i = 0; i < docs.size(); ++i) everyone[i] = i;
    for (int round = 1; round <= o.rounds; ++round) {
      const std::set<uint64_t> next_corpus = scope(everyone, o.min_docs, o.min_contexts);
      std::set<std::pair<uint64_t, uint64_t>> next_per_source;
      for (const auto& [source, members] : by_source) {
        for (uint64_t line : scope(members, o.min_source_docs, o.min_source_contexts)) {
          if (!next_corpus.contains(line)) next_per_source.insert({source, line});
        }
      }
      const bool settled = round > 1 && next_corpus == corpus && next_per_source == per_source;
      corpus = next_corpus;
      per_source = next_per_source;
      if (settled || (corpus.empty() && per_source.empty())) break;
      for (size_t i = 0; i < docs.size(); ++i) {  // The next round's contexts.
        flagged[i] = FlagLines(docs[i].second, [&](uint64_t k) {
          return corpus.contains(k) || per_source.contains({docs[i].first, k});
        });
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

// SameContext against the exact containment of word 3-gram sets: pairs of texts made of
// a shared part and own parts, at exact containment >= 0.8 or <= 0.2 (far from the 0.5
// cut), are judged right but for a handful. Each judgement uses >= 32 usable slots here,
// where the estimate's standard error is at most sqrt(0.25/32) = 0.09 in J, and the cut
// lies over 3 standard errors from either side, so a wrong judgement has probability
// below 0.002 per pair: 400 pairs give 0.8 expected errors; 6 or more has probability
// below 1e-3 (Poisson).
TEST(Boilerplate, SameContextTellsCopiesFromDifferentTexts) {
  int wrong = 0, judged = 0;
  for (int trial = 0; trial < 400; ++trial) {
    const bool copy = trial % 2 == 0;
    const int shared = copy ? 200 : 20;
    const int own_a = copy ? 20 : 180, own_b = copy ? 40 : 200;
    const std::string common = Words(77000 + static_cast<uint64_t>(trial), shared);
    const std::string a = "Line zero is the line left out\n" + common + " " + Words(1 + 2 * static_cast<uint64_t>(trial), own_a);
    const std::string b = "Line zero is the line left out\n" + common + " " + Words(2 + 2 * static_cast<uint64_t>(trial), own_b);
    const LineKeys ka = ComputeLineKeys(Tok(a)), kb = ComputeLineKeys(Tok(b));
    ++judged;
    wrong += SameContext(ka, 0, {}, kb, 0, {}, 0.5) != copy;
  }
  EXPECT_EQ(judged, 400);
  EXPECT_LT(wrong, 6);
}

// Left-out slots are left out: a context that is nothing but the line itself is
// unknown, which never counts as a new context.
TEST(Boilerplate, SameContextOfAnEmptyRestIsTheSame) {
  const LineKeys a = ComputeLineKeys(Tok(Words(1, 50)));
  const LineKeys b = ComputeLineKeys(Tok(Words(2, 50)));
  EXPECT_TRUE(SameContext(a, 0, {}, b, 0, {}, 0.5));
  const LineKeys a2 = ComputeLineKeys(Tok(Words(1, 50) + "\n" + Words(3, 50)));
  const LineKeys b2 = ComputeLineKeys(Tok(Words(2, 50) + "\n" + Words(4, 50)));
  EXPECT_FALSE(SameContext(a2, 0, {}, b2, 0, {}, 0.5));
  // Line 1 flagged in a, and b lacks it: a's context is empty.
  const FlaggedLines flag1 = FlagLines(a2, [&](uint64_t k) { return k == a2.lines[1]; });
  EXPECT_TRUE(SameContext(a2, 0, flag1, b2, 0, {}, 0.5));
  // A flagged line that both documents have stays in both contexts.
  const LineKeys c2 = ComputeLineKeys(Tok(Words(5, 50) + "\n" + Words(3, 50)));
  const FlaggedLines flag_c = FlagLines(c2, [&](uint64_t k) { return k == c2.lines[1]; });
  EXPECT_TRUE(SameContext(a2, 0, flag1, c2, 0, flag_c, 0.5));
  EXPECT_TRUE(SameContext(a2, 0, {}, c2, 0, {}, 0.5));
}

// ComputeLineKeys as first written (a token hash by XXH3 or one masked read, a
// compare-and-branch per shingle): the reference for the faster one.
LineKeys ReferenceLineKeys(const TokenizedText& t) {
  constexpr uint64_t kSeed = 0x63747874;  // "ctxt"
  auto token_hash = [&](const char* p, size_t n, const char* end) -> uint64_t {
    if (n > 8) return XXH3_64bits_withSeed(p, n, kSeed);
    uint64_t v = 0;
    for (size_t i = 0; i < n && p + i < end; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
    v = (v ^ (static_cast<uint64_t>(n) << 59) ^ kSeed) * 0xBF58476D1CE4E5B9ull;
    v ^= v >> 31;
    v *= 0x94D049BB133111EBull;
    return v ^ (v >> 29);
  };
  LineKeys keys;
  for (size_t i = 0; i < t.lines.size(); ++i) {
    const size_t first = t.lines[i], end = t.line_end(i);
    keys.lines.push_back(LineKey(t, first, end));
    const size_t n = end - first;
    const size_t width = std::min<size_t>(n, kContextShingleTokens);
    const size_t count = n - width + 1;
    const uint16_t line = static_cast<uint16_t>(std::min<size_t>(i, ContextSketch::kMaxLine));
    std::vector<uint64_t> h(n);
    for (size_t k = 0; k < n; ++k) {
      const size_t from = t.starts[first + k], to = t.end(first + k);
      h[k] = token_hash(t.text.data() + from, to - from, t.text.data() + t.text.size());
    }
    for (size_t s = 0; s < count; ++s) {
      uint64_t x = h[s];
      if (width > 1) x ^= std::rotl(h[s + 1], 21);
      if (width > 2) x ^= std::rotl(h[s + 2], 42);
      x *= 0x9E3779B97F4A7C15ull;
      const size_t slot = x >> 58;
      const uint16_t value = static_cast<uint16_t>(x >> 32);
      if (value < keys.context.value[slot] || keys.context.line[slot] == ContextSketch::kEmpty) {
        keys.context.value[slot] = value;
        keys.context.line[slot] = line;
      }
    }
    keys.shingles.push_back(static_cast<uint32_t>(count));
    keys.total_shingles += static_cast<uint32_t>(count);
  }
  return keys;
}

// Random texts -- tokens of 1 to 20 bytes (long ones are hashed apart), lines of 1 to 4
// tokens and longer ones, CJK characters, texts ending in a short token -- give the
// reference's keys, counts and sketch.
void CheckLineKeysAgainstTheReference() {
  std::mt19937_64 rng(5);
  const std::vector<std::string> cjk = {"中", "国", "新", "闻", "报", "道"};
  for (int trial = 0; trial < 3000; ++trial) {
    std::string text;
    const int lines = 1 + static_cast<int>(rng() % (trial < 100 ? 3 : 40));
    for (int l = 0; l < lines; ++l) {
      const int words = 1 + static_cast<int>(rng() % (rng() % 3 == 0 ? 4 : 30));
      for (int w = 0; w < words; ++w) {
        if (rng() % 17 == 0) {
          text += cjk[rng() % cjk.size()];
        } else {
          const int len = 1 + static_cast<int>(rng() % (rng() % 4 == 0 ? 20 : 9));
          for (int c = 0; c < len; ++c) text += static_cast<char>('a' + rng() % 26);
        }
        text += rng() % 5 == 0 ? ", " : " ";
      }
      text += "\n";
    }
    const TokenizedText t = Tok(text);
    const LineKeys got = ComputeLineKeys(t), want = ReferenceLineKeys(t);
    ASSERT_EQ(got.lines, want.lines) << text;
    ASSERT_EQ(got.shingles, want.shingles) << text;
    ASSERT_EQ(got.total_shingles, want.total_shingles) << text;
    ASSERT_TRUE(got.context == want.context) << text;
  }
  EXPECT_TRUE(ComputeLineKeys(Tok("")).lines.empty());
}

// Both kernels: AVX-512 (where the CPU has it) and the portable one.
TEST(Boilerplate, LineKeysAgreeWithTheReference) {
  SCOPED_TRACE(internal::ContextSimdActive() ? "AVX-512" : "portable");
  CheckLineKeysAgainstTheReference();
  internal::AllowContextSimd(false);
  EXPECT_FALSE(internal::ContextSimdActive());
  CheckLineKeysAgainstTheReference();
  internal::AllowContextSimd(true);
}

TEST(Boilerplate, ValidatesOptions) {
  BoilerplateOptions o;
  o.min_docs = 1;
  EXPECT_FALSE(ValidateBoilerplateOptions(o).ok());
  o = {};
  o.block_adjacency = 0;
  EXPECT_FALSE(ValidateBoilerplateOptions(o).ok());
  o = {};
  o.min_contexts = kMaxBoilerplateContexts + 1;
  EXPECT_FALSE(ValidateBoilerplateOptions(o).ok());
  o = {};
  o.rounds = 9;
  EXPECT_FALSE(ValidateBoilerplateOptions(o).ok());
  o = {};
  o.context_containment = 0;
  EXPECT_FALSE(ValidateBoilerplateOptions(o).ok());
  EXPECT_TRUE(ValidateBoilerplateOptions({}).ok());
}

}  // namespace
}  // namespace dedup
