// Tests of the news-like corpus generator: determinism, truth consistency, the requested
// duplicate rate, the variant kinds and their effect, JSON well-formedness and file output; the
// default profile's output pinned to the bytes it had before the hard profile existed; and the
// hard profile's classes (aggfooter, shortfooter, deeptrunc, promo, zhedit, hot).

#include "bench/corpus_generator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <unordered_set>
#include <vector>

namespace dedup::bench {
namespace {

std::vector<Document> Generate(const GenerateOptions& options) {
  CorpusGenerator generator(options);
  std::vector<Document> docs;
  Document doc;
  while (generator.Next(&doc)) docs.push_back(doc);
  return docs;
}

GenerateOptions Small(int64_t docs, uint64_t seed = kDefaultSeed) {
  GenerateOptions options;
  options.num_docs = docs;
  options.seed = seed;
  return options;
}

struct Written {
  std::string jsonl;
  std::string truth;
};

Written Write(const GenerateOptions& options) {
  std::ostringstream jsonl, truth;
  std::string error;
  EXPECT_TRUE(WriteCorpus(options, jsonl, truth, nullptr, &error)) << error;
  return {jsonl.str(), truth.str()};
}

std::vector<std::string> SplitLines(const std::string& s) {
  std::vector<std::string> lines;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> SplitTabs(const std::string& line) {
  std::vector<std::string> fields;
  size_t start = 0;
  for (;;) {
    const size_t tab = line.find('\t', start);
    fields.push_back(line.substr(start, tab == std::string::npos ? tab : tab - start));
    if (tab == std::string::npos) return fields;
    start = tab + 1;
  }
}

// Appends code point `cp` as UTF-8.
void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// A strict parser for one JSON string literal starting at s[*pos] (the opening quote).
bool ParseJsonString(const std::string& s, size_t* pos, std::string* out) {
  if (*pos >= s.size() || s[*pos] != '"') return false;
  out->clear();
  for (size_t i = *pos + 1; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"') {
      *pos = i + 1;
      return true;
    }
    if (c < 0x20) return false;  // raw control characters are not allowed in JSON strings
    if (c != '\\') {
      out->push_back(s[i]);
      continue;
    }
    if (++i >= s.size()) return false;
    switch (s[i]) {
      case '"':
        out->push_back('"');
        break;
      case '\\':
        out->push_back('\\');
        break;
      case '/':
        out->push_back('/');
        break;
      case 'b':
        out->push_back('\b');
        break;
      case 'f':
        out->push_back('\f');
        break;
      case 'n':
        out->push_back('\n');
        break;
      case 'r':
        out->push_back('\r');
        break;
      case 't':
        out->push_back('\t');
        break;
      case 'u': {
        if (i + 4 >= s.size()) return false;
        const std::string hex = s.substr(i + 1, 4);
        if (hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) return false;
        AppendUtf8(static_cast<uint32_t>(std::stoul(hex, nullptr, 16)), out);
        i += 4;
        break;
      }
      default:
        return false;
    }
  }
  return false;
}

// Parses a line of the corpus: exactly {"id":..,"text":..,"source":..,"published":..}.
bool ParseJsonLine(const std::string& line, std::map<std::string, std::string>* fields) {
  fields->clear();
  size_t pos = 0;
  if (line.empty() || line[pos++] != '{') return false;
  for (;;) {
    std::string key, value;
    if (!ParseJsonString(line, &pos, &key)) return false;
    if (pos >= line.size() || line[pos++] != ':') return false;
    if (!ParseJsonString(line, &pos, &value)) return false;
    (*fields)[key] = value;
    if (pos >= line.size()) return false;
    if (line[pos] == '}') return pos + 1 == line.size();
    if (line[pos++] != ',') return false;
  }
}

// Word 5-shingle Jaccard over lower-cased ASCII-alphanumeric tokens.
std::unordered_set<std::string> Shingles(const std::string& text) {
  std::vector<std::string> tokens;
  std::string token;
  for (const char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      token.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    } else if (!token.empty()) {
      tokens.push_back(token);
      token.clear();
    }
  }
  if (!token.empty()) tokens.push_back(token);
  std::unordered_set<std::string> shingles;
  for (size_t i = 0; i + 5 <= tokens.size(); ++i) {
    shingles.insert(tokens[i] + ' ' + tokens[i + 1] + ' ' + tokens[i + 2] + ' ' + tokens[i + 3] +
                    ' ' + tokens[i + 4]);
  }
  return shingles;
}

double Jaccard(const std::unordered_set<std::string>& a, const std::unordered_set<std::string>& b) {
  size_t common = 0;
  for (const auto& s : a) common += b.count(s);
  return static_cast<double>(common) / static_cast<double>(a.size() + b.size() - common);
}

int CountWordsForTest(const std::string& text) {
  std::istringstream in(text);
  int words = 0;
  for (std::string w; in >> w;) ++words;
  return words;
}

int Paragraphs(const std::string& body) {
  int n = 1;
  for (size_t pos = body.find("\n\n"); pos != std::string::npos; pos = body.find("\n\n", pos + 2))
    ++n;
  return n - 1;  // the first block is the headline
}

TEST(CorpusGeneratorTest, SameOptionsGiveIdenticalBytes) {
  const Written a = Write(Small(400));
  const Written b = Write(Small(400));
  EXPECT_EQ(a.jsonl, b.jsonl);
  EXPECT_EQ(a.truth, b.truth);
  EXPECT_GT(a.jsonl.size(), 400u * 500);
}

uint64_t Fnv1a(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (const char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  return h;
}

// Benchmarks and tests depend on the default corpus: the hard profile must not change it. The
// hashes are of the output of the generator before the hard profile was added.
TEST(CorpusGeneratorTest, DefaultOutputIsUnchanged) {
  const Written w = Write(Small(300));
  EXPECT_EQ(w.jsonl.size(), 1230420u);
  EXPECT_EQ(Fnv1a(w.jsonl), 0x3152b9e0e2a43571ull);
  EXPECT_EQ(Fnv1a(w.truth), 0x1770fb5c86c9ec6dull);
  GenerateOptions profile = Small(300);
  ASSERT_TRUE(ApplyProfile("default", &profile));
  EXPECT_EQ(Write(profile).jsonl, w.jsonl);
}

TEST(CorpusGeneratorTest, DifferentSeedGivesDifferentCorpus) {
  const Written a = Write(Small(200, 1));
  const Written b = Write(Small(200, 2));
  EXPECT_NE(a.jsonl, b.jsonl);
  // Not just a shifted copy: the first documents already differ.
  EXPECT_NE(SplitLines(a.jsonl)[0], SplitLines(b.jsonl)[0]);
}

TEST(CorpusGeneratorTest, ShorterCorpusIsAPrefix) {
  const Written small = Write(Small(150));
  const Written large = Write(Small(300));
  EXPECT_EQ(large.jsonl.compare(0, small.jsonl.size(), small.jsonl), 0);
  EXPECT_EQ(large.truth.compare(0, small.truth.size(), small.truth), 0);
}

TEST(CorpusGeneratorTest, TruthIsConsistentWithCorpus) {
  const Written w = Write(Small(1500));
  const std::vector<std::string> truth = SplitLines(w.truth);
  const std::vector<std::string> jsonl = SplitLines(w.jsonl);
  ASSERT_EQ(truth.size(), 1501u);
  ASSERT_EQ(jsonl.size(), 1500u);
  EXPECT_EQ(truth[0] + "\n", std::string(kTruthHeader));

  std::map<std::string, std::string> kind_of, topic_of;
  std::set<std::string> ids;
  for (size_t i = 1; i < truth.size(); ++i) {
    const std::vector<std::string> f = SplitTabs(truth[i]);
    ASSERT_EQ(f.size(), 4u) << truth[i];
    const std::string& id = f[0];
    const std::string& source_id = f[1];
    const std::string& kind = f[2];
    const std::string& topic = f[3];
    char expected_id[32];
    std::snprintf(expected_id, sizeof expected_id, "doc%06zu", i - 1);
    EXPECT_EQ(id, expected_id);
    EXPECT_TRUE(ids.insert(id).second) << "duplicate id " << id;
    VariantKind parsed;
    ASSERT_TRUE(ParseVariantKind(kind, &parsed)) << kind;
    EXPECT_EQ(topic.rfind("topic", 0), 0u) << topic;
    if (parsed == VariantKind::kOriginal) {
      EXPECT_EQ(source_id, id);
    } else {
      // The root original appears earlier, and the variant shares its topic.
      ASSERT_TRUE(kind_of.count(source_id)) << id << " refers to unseen " << source_id;
      EXPECT_EQ(kind_of[source_id], "original") << id;
      EXPECT_EQ(topic_of[source_id], topic) << id;
    }
    kind_of[id] = kind;
    topic_of[id] = topic;

    std::map<std::string, std::string> fields;
    ASSERT_TRUE(ParseJsonLine(jsonl[i - 1], &fields)) << jsonl[i - 1].substr(0, 200);
    EXPECT_EQ(fields["id"], id);
  }
}

TEST(CorpusGeneratorTest, DupRateIsHonoured) {
  for (const double rate : {0.1, 0.3, 0.6}) {
    GenerateOptions options = Small(2000);
    options.min_words = 60;  // short articles: the rate does not depend on length
    options.max_words = 120;
    options.dup_rate = rate;
    int variants = 0;
    for (const Document& d : Generate(options)) variants += d.kind != VariantKind::kOriginal;
    // The first document is always an original; the others are variants with probability rate.
    const double n = 1999, mean = n * rate, sigma = std::sqrt(n * rate * (1 - rate));
    EXPECT_LE(std::abs(variants - mean), 4 * sigma) << "rate " << rate << ": " << variants;
  }
  GenerateOptions none = Small(300);
  none.dup_rate = 0;
  for (const Document& d : Generate(none)) EXPECT_EQ(d.kind, VariantKind::kOriginal);
  GenerateOptions all = Small(300);
  all.dup_rate = 1;
  const std::vector<Document> docs = Generate(all);
  EXPECT_EQ(docs[0].kind, VariantKind::kOriginal);
  for (size_t i = 1; i < docs.size(); ++i) EXPECT_NE(docs[i].kind, VariantKind::kOriginal);
}

TEST(CorpusGeneratorTest, EveryKindIsProducedAndWeightsSelectKinds) {
  std::array<int, kNumVariantKinds> counts{};
  for (const Document& d : Generate(Small(1500))) ++counts[static_cast<int>(d.kind)];
  for (int k = 0; k < kNumDefaultKinds; ++k) {
    EXPECT_GT(counts[k], 20) << VariantKindName(static_cast<VariantKind>(k));
  }
  for (int k = kNumDefaultKinds; k < kNumVariantKinds; ++k) {  // the hard profile's
    EXPECT_EQ(counts[k], 0) << VariantKindName(static_cast<VariantKind>(k));
  }
  GenerateOptions only_trunc = Small(300);
  only_trunc.kind_weights = {0, 0, 0, 0, 1, 0};
  for (const Document& d : Generate(only_trunc)) {
    EXPECT_TRUE(d.kind == VariantKind::kOriginal || d.kind == VariantKind::kTrunc);
  }
}

TEST(CorpusGeneratorTest, VariantsChangeWhatTheirKindSays) {
  std::map<std::string, Document> originals;
  int checked = 0;
  for (const Document& d : Generate(Small(1500))) {
    if (d.kind == VariantKind::kOriginal) {
      EXPECT_EQ(d.ops, 0);
      originals[d.id] = d;
      continue;
    }
    const Document& o = originals.at(d.source_id);
    ++checked;
    switch (d.kind) {
      case VariantKind::kChrome:
        EXPECT_EQ(d.body, o.body);
        EXPECT_NE(d.source, o.source);
        EXPECT_NE(d.text, o.text);
        break;
      case VariantKind::kEdit:
        EXPECT_EQ(d.source, o.source);
        EXPECT_NE(d.body, o.body);
        EXPECT_EQ(Paragraphs(d.body), Paragraphs(o.body));
        break;
      case VariantKind::kDrop:
        EXPECT_EQ(d.source, o.source);
        EXPECT_LT(d.body_words, o.body_words);
        break;
      case VariantKind::kAdd:
        EXPECT_EQ(d.source, o.source);
        EXPECT_EQ(Paragraphs(d.body), Paragraphs(o.body) + 1);
        EXPECT_GT(d.body_words, o.body_words);
        break;
      case VariantKind::kTrunc:
        EXPECT_EQ(d.source, o.source);
        // Cut at a sentence boundary: the kept body is a prefix of the original's.
        EXPECT_EQ(o.body.rfind(d.body, 0), 0u) << d.id;
        EXPECT_LT(d.body.size(), o.body.size());
        EXPECT_GE(d.kept_fraction, 0.55) << d.id;
        EXPECT_LE(d.kept_fraction, 0.80) << d.id;
        EXPECT_NEAR(d.kept_fraction, static_cast<double>(d.body_words) / o.body_words, 1e-9);
        break;
      case VariantKind::kCombo: {
        const int ops = std::popcount(static_cast<unsigned>(d.ops));
        EXPECT_TRUE(ops == 2 || ops == 3) << int{d.ops};
        EXPECT_EQ(d.source != o.source, (d.ops & kOpChrome) != 0);
        EXPECT_NE(d.text, o.text);
        break;
      }
      case VariantKind::kOriginal:
        break;
      default:  // the hard profile's kinds: see the HardProfileTest tests
        ADD_FAILURE() << d.id << " has a hard-profile kind in the default profile";
        break;
    }
  }
  EXPECT_GT(checked, 300);
}

TEST(CorpusGeneratorTest, ArticleLengthsFollowOptions) {
  GenerateOptions options = Small(400);
  options.min_words = 300;
  options.max_words = 450;
  for (const Document& d : Generate(options)) {
    if (d.kind != VariantKind::kOriginal) continue;
    EXPECT_GE(d.body_words, 300) << d.id;
    EXPECT_LE(d.body_words, 450 + 2 * 34) << d.id;  // at most the sentence that crosses the target
  }
}

TEST(CorpusGeneratorTest, SitesRepeatTheirChrome) {
  std::map<std::string, std::pair<std::string, std::string>> chrome;  // source -> header, footer
  for (const Document& d : Generate(Small(600))) {
    const size_t header_end = d.text.find("\n\n");
    const size_t footer_start = d.text.rfind("\n\n");
    ASSERT_NE(header_end, std::string::npos);
    const std::string header = d.text.substr(0, header_end);
    const std::string footer = d.text.substr(footer_start + 2);
    EXPECT_EQ(d.text.substr(header_end + 2, footer_start - header_end - 2), d.body);
    auto [it, inserted] = chrome.emplace(d.source, std::make_pair(header, footer));
    if (!inserted) {
      EXPECT_EQ(it->second.first, header) << d.source;
      EXPECT_EQ(it->second.second, footer) << d.source;
    }
  }
  EXPECT_GT(chrome.size(), 20u);
  for (const auto& [source, hf] : chrome) {
    for (const std::string& part : {hf.first, hf.second}) {
      std::istringstream in(part);
      int words = 0;
      for (std::string w; in >> w;) ++words;
      EXPECT_GE(words, 15) << source;
      EXPECT_LE(words, 80) << source;
    }
  }
  GenerateOptions bare = Small(50);
  bare.include_chrome = false;
  for (const Document& d : Generate(bare)) EXPECT_EQ(d.text, d.body);
}

TEST(CorpusGeneratorTest, HardNegativesAreDifferentArticlesOnDistinctSites) {
  std::map<std::string, std::vector<Document>> by_topic;
  int joined = 0;
  for (const Document& d : Generate(Small(1500))) {
    if (d.kind != VariantKind::kOriginal) continue;
    by_topic[d.topic].push_back(d);
    joined += d.joined_topic;
  }
  EXPECT_GT(joined, 150);
  int pairs = 0;
  double max_jaccard = 0;
  for (const auto& [topic, docs] : by_topic) {
    std::set<std::string> sites;
    for (const Document& d : docs) sites.insert(d.source);
    EXPECT_EQ(sites.size(), docs.size()) << topic;
    for (size_t i = 0; i < docs.size(); ++i) {
      for (size_t j = i + 1; j < docs.size(); ++j) {
        max_jaccard =
            std::max(max_jaccard, Jaccard(Shingles(docs[i].text), Shingles(docs[j].text)));
        ++pairs;
      }
    }
  }
  EXPECT_GT(pairs, 100);
  EXPECT_LT(max_jaccard, 0.08);
}

TEST(CorpusGeneratorTest, VariantSimilarityIsInTheIntendedBands) {
  std::map<std::string, std::unordered_set<std::string>> original_shingles;
  std::map<VariantKind, std::vector<double>> jaccard;
  for (const Document& d : Generate(Small(1200))) {
    if (d.kind == VariantKind::kOriginal) {
      original_shingles[d.id] = Shingles(d.text);
    } else {
      jaccard[d.kind].push_back(Jaccard(Shingles(d.text), original_shingles.at(d.source_id)));
    }
  }
  auto mean = [](const std::vector<double>& v) {
    double sum = 0;
    for (const double x : v) sum += x;
    return sum / static_cast<double>(v.size());
  };
  for (const double j : jaccard[VariantKind::kEdit]) EXPECT_GT(j, 0.6);
  for (const double j : jaccard[VariantKind::kTrunc]) {
    EXPECT_GT(j, 0.45);
    EXPECT_LT(j, 0.9);
  }
  // Another site's boilerplate keeps chrome copies well below 1 on average.
  EXPECT_LT(mean(jaccard[VariantKind::kChrome]), 0.9);
  EXPECT_GT(mean(jaccard[VariantKind::kChrome]), 0.5);
  EXPECT_GT(mean(jaccard[VariantKind::kDrop]), 0.75);
  EXPECT_GT(mean(jaccard[VariantKind::kAdd]), 0.75);
}

TEST(CorpusGeneratorTest, JsonEscapingRoundTrips) {
  const std::string tricky =
      "quote \" backslash \\ newline \n tab \t cr \r bell \x07 nul-free, UTF-8 "
      "\xE2\x80\x9Cok\xE2\x80\x9D";
  std::string json;
  AppendJsonString(tricky, &json);
  size_t pos = 0;
  std::string back;
  ASSERT_TRUE(ParseJsonString(json, &pos, &back));
  EXPECT_EQ(pos, json.size());
  EXPECT_EQ(back, tricky);

  const std::vector<Document> docs = Generate(Small(200));
  std::string line;
  for (const Document& d : docs) {
    line.clear();
    AppendJsonLine(d, &line);
    ASSERT_EQ(line.back(), '\n');
    line.pop_back();
    std::map<std::string, std::string> fields;
    ASSERT_TRUE(ParseJsonLine(line, &fields)) << d.id;
    EXPECT_EQ(fields.size(), 4u);
    EXPECT_EQ(fields["text"], d.text);
    EXPECT_EQ(fields["source"], d.source);
    EXPECT_EQ(fields["published"], d.published);
    EXPECT_EQ(d.published.size(), 20u);
    EXPECT_EQ(d.published.back(), 'Z');
  }
  EXPECT_LE(docs.front().published, docs.back().published);  // timestamps never go back
}

TEST(CorpusGeneratorTest, ValidateOptionsRejectsBadValues) {
  EXPECT_EQ(ValidateOptions(GenerateOptions()), "");
  auto invalid = [](const std::function<void(GenerateOptions*)>& change) {
    GenerateOptions o;
    change(&o);
    return ValidateOptions(o);
  };
  EXPECT_NE(invalid([](GenerateOptions* o) { o->num_docs = -1; }), "");
  EXPECT_NE(invalid([](GenerateOptions* o) { o->dup_rate = 1.5; }), "");
  EXPECT_NE(invalid([](GenerateOptions* o) { o->dup_rate = std::nan(""); }), "");
  EXPECT_NE(invalid([](GenerateOptions* o) { o->min_words = 5; }), "");
  EXPECT_NE(invalid([](GenerateOptions* o) { o->max_words = 100; }), "");
  EXPECT_NE(invalid([](GenerateOptions* o) { o->num_sites = 1; }), "");
  EXPECT_NE(invalid([](GenerateOptions* o) { o->topic_rate = -0.1; }), "");
  EXPECT_NE(invalid([](GenerateOptions* o) { o->pool_size = 0; }), "");
  EXPECT_NE(invalid([](GenerateOptions* o) { o->kind_weights.fill(0); }), "");
  EXPECT_NE(invalid([](GenerateOptions* o) { o->kind_weights[2] = -1; }), "");
  EXPECT_NE(invalid([](GenerateOptions* o) { o->dup_rate = 2; }).find("--dup-rate"),
            std::string::npos);
  EXPECT_NE(invalid([](GenerateOptions* o) { o->zh_rate = 1.5; }), "");
  EXPECT_NE(invalid([](GenerateOptions* o) { o->zh_max_chars = 100; }), "");
  EXPECT_NE(invalid([](GenerateOptions* o) { o->zh_sites = 1; }), "");
  EXPECT_NE(invalid([](GenerateOptions* o) { o->num_aggregators = 0; }), "");
  EXPECT_NE(invalid([](GenerateOptions* o) { o->short_max_words = 30; }), "");
  EXPECT_NE(invalid([](GenerateOptions* o) { o->hot_interval = -1; }), "");
  EXPECT_NE(invalid([](GenerateOptions* o) { o->hot_copies = 0; }), "");
  EXPECT_NE(invalid([](GenerateOptions* o) { o->hot_copy_rate = 0; }), "");
  GenerateOptions hard;
  EXPECT_TRUE(ApplyProfile("hard", &hard));
  EXPECT_EQ(ValidateOptions(hard), "");
  EXPECT_FALSE(ApplyProfile("harder", &hard));
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(CorpusGeneratorTest, WritesFilesAtomically) {
  const std::string dir = ::testing::TempDir();
  const std::string jsonl = dir + "/corpus_generator_test.jsonl";
  const std::string truth = dir + "/corpus_generator_test.tsv";
  CorpusStats stats;
  std::string error;
  ASSERT_TRUE(WriteCorpusFiles(Small(120), jsonl, truth, &stats, &error)) << error;
  const Written expected = Write(Small(120));
  EXPECT_EQ(ReadFile(jsonl), expected.jsonl);
  EXPECT_EQ(ReadFile(truth), expected.truth);
  EXPECT_EQ(stats.docs, 120);
  EXPECT_EQ(stats.bytes, static_cast<int64_t>(expected.jsonl.size()));
  std::remove(jsonl.c_str());
  std::remove(truth.c_str());

  // An unwritable destination fails with a message and leaves nothing behind.
  const std::string missing = dir + "/no-such-dir-corpus-generator/x.jsonl";
  EXPECT_FALSE(WriteCorpusFiles(Small(10), missing, truth, &stats, &error));
  EXPECT_NE(error.find("no-such-dir-corpus-generator"), std::string::npos) << error;
  EXPECT_FALSE(std::ifstream(truth).good());
  EXPECT_FALSE(WriteCorpusFiles(Small(10), jsonl, jsonl, &stats, &error));
}

// ---------------------------------------------------------------------------------------------
// The hard profile.

GenerateOptions Hard(int64_t docs, uint64_t seed = kDefaultSeed) {
  GenerateOptions options = Small(docs, seed);
  EXPECT_TRUE(ApplyProfile("hard", &options));
  // The hot story starts at document 500 of each 20000; at 0.2 its 200 copies take ~1000 more.
  options.hot_copy_rate = 0.2;
  return options;
}

// One hard corpus shared by the tests below (generating it takes a moment).
const std::vector<Document>& HardCorpus() {
  static const std::vector<Document>* const docs = new std::vector<Document>(Generate(Hard(4000)));
  return *docs;
}

std::map<std::string, const Document*> ById(const std::vector<Document>& docs) {
  std::map<std::string, const Document*> by_id;
  for (const Document& d : docs) by_id[d.id] = &d;
  return by_id;
}

std::vector<std::string> SplitParagraphs(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    const size_t pos = text.find("\n\n", start);
    parts.push_back(text.substr(start, pos == std::string::npos ? pos : pos - start));
    if (pos == std::string::npos) return parts;
    start = pos + 2;
  }
}

// Everything after the body in a document's text (its footer), or "" if the body is not in it.
std::string AfterBody(const Document& d) {
  const size_t at = d.text.find(d.body);
  return at == std::string::npos ? "" : d.text.substr(at + d.body.size());
}

// Han characters, and all non-space characters, of UTF-8 text.
std::pair<int, int> HanAndChars(const std::string& s) {
  int han = 0, chars = 0;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const int len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (len == 3) {
      const uint32_t cp = ((c & 0x0Fu) << 12) |
                          ((static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 6) |
                          (static_cast<unsigned char>(s[i + 2]) & 0x3Fu);
      han += cp >= 0x4E00 && cp <= 0x9FFF;
    }
    chars += !(len == 1 && std::isspace(c));
    i += len;
  }
  return {han, chars};
}

// Character 5-gram shingles of the Han characters of a text (Chinese is written without spaces).
std::unordered_set<std::string> HanShingles(const std::string& s) {
  std::vector<std::string> han;
  for (size_t i = 0; i + 2 < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xF0) == 0xE0) {
      han.push_back(s.substr(i, 3));
      i += 2;
    }
  }
  std::unordered_set<std::string> shingles;
  for (size_t i = 0; i + 5 <= han.size(); ++i) {
    shingles.insert(han[i] + han[i + 1] + han[i + 2] + han[i + 3] + han[i + 4]);
  }
  return shingles;
}

TEST(HardProfileTest, EveryKindAppearsAndTheTruthIsConsistent) {
  const std::vector<Document>& docs = HardCorpus();
  ASSERT_EQ(docs.size(), 4000u);
  const auto by_id = ById(docs);
  std::array<int, kNumVariantKinds> counts{};
  int zh_originals = 0;
  for (size_t i = 0; i < docs.size(); ++i) {
    const Document& d = docs[i];
    char expected_id[32];
    std::snprintf(expected_id, sizeof expected_id, "doc%06zu", i);
    EXPECT_EQ(d.id, expected_id);
    ++counts[static_cast<int>(d.kind)];
    EXPECT_EQ(d.topic.rfind("topic", 0), 0u) << d.id;
    if (d.kind == VariantKind::kOriginal) {
      EXPECT_EQ(d.source_id, d.id);
      zh_originals += d.zh;
      continue;
    }
    const auto src = by_id.find(d.source_id);
    ASSERT_NE(src, by_id.end()) << d.id;
    const Document& o = *src->second;
    EXPECT_LT(o.id, d.id);  // the original comes first
    EXPECT_EQ(o.kind, VariantKind::kOriginal) << d.id;
    EXPECT_EQ(o.topic, d.topic) << d.id;
    EXPECT_EQ(o.zh, d.zh) << d.id;
    EXPECT_EQ(d.zh, d.kind == VariantKind::kZhEdit) << d.id;
  }
  for (int k = 0; k < kNumVariantKinds; ++k) {
    EXPECT_GT(counts[k], 40) << VariantKindName(static_cast<VariantKind>(k));
  }
  EXPECT_EQ(counts[static_cast<int>(VariantKind::kHot)], 200);
  EXPECT_GT(zh_originals, 60);
  // The truth file names every kind.
  const Written w = Write(Hard(4000));
  for (int k = 0; k < kNumVariantKinds; ++k) {
    const std::string name(VariantKindName(static_cast<VariantKind>(k)));
    EXPECT_NE(w.truth.find("\t" + name + "\t"), std::string::npos) << name;
    VariantKind parsed;
    EXPECT_TRUE(ParseVariantKind(name, &parsed));
    EXPECT_EQ(static_cast<int>(parsed), k);
  }
}

TEST(HardProfileTest, DeterministicAndStreaming) {
  const Written a = Write(Hard(1500));
  const Written b = Write(Hard(1500));
  EXPECT_EQ(a.jsonl, b.jsonl);
  EXPECT_EQ(a.truth, b.truth);
  EXPECT_NE(Write(Hard(1500, 2)).jsonl, a.jsonl);
  const Written small = Write(Hard(700));
  EXPECT_EQ(a.jsonl.compare(0, small.jsonl.size(), small.jsonl), 0);
  EXPECT_EQ(a.truth.compare(0, small.truth.size(), small.truth), 0);
  // Every line is well-formed JSON.
  for (const std::string& line : SplitLines(a.jsonl)) {
    std::map<std::string, std::string> fields;
    ASSERT_TRUE(ParseJsonLine(line, &fields)) << line.substr(0, 200);
  }
}

TEST(HardProfileTest, QueuedCopiesWaitBoundedTime) {
  // Only shortfooter picks: each writes an original and queues its copy; the queue never grows
  // beyond a few documents, so every copy follows its original closely.
  GenerateOptions options = Small(2000);
  options.dup_rate = 1;
  options.kind_weights = {};
  options.kind_weights[static_cast<int>(VariantKind::kShortFooter) - 1] = 1;
  std::map<std::string, size_t> position;
  int copies = 0;
  const std::vector<Document> docs = Generate(options);
  for (size_t i = 0; i < docs.size(); ++i) {
    position[docs[i].id] = i;
    if (docs[i].kind != VariantKind::kShortFooter) continue;
    ++copies;
    EXPECT_LT(i - position.at(docs[i].source_id), 40u) << docs[i].id;
  }
  EXPECT_GT(copies, 900);
}

TEST(HardProfileTest, HotStoryHas200CopiesWithoutChrome) {
  const std::vector<Document>& docs = HardCorpus();
  const auto by_id = ById(docs);
  std::set<std::string> sources, sites;
  int copies = 0, identical = 0;
  for (const Document& d : docs) {
    if (d.kind != VariantKind::kHot) continue;
    ++copies;
    sources.insert(d.source_id);
    sites.insert(d.source);
    EXPECT_EQ(d.text, d.body) << d.id;  // no chrome at all
    const Document& o = *by_id.at(d.source_id);
    EXPECT_EQ(o.text, o.body);
    identical += d.body == o.body;
    EXPECT_EQ(d.ops == 0, d.body == o.body) << d.id;
  }
  EXPECT_EQ(copies, 200);
  EXPECT_EQ(sources.size(), 1u);
  EXPECT_GT(sites.size(), 30u);  // many sites
  EXPECT_GT(identical, 60);
  EXPECT_LT(identical, 140);
  // Its paragraphs recur in 200 documents: the hot original has several.
  EXPECT_GE(Paragraphs(by_id.at(*sources.begin())->body), 4);
}

TEST(HardProfileTest, ShortFooterItemsShareOneFooterAndDiffer) {
  const std::vector<Document>& docs = HardCorpus();
  const auto by_id = ById(docs);
  std::set<std::string> footers, headers, originals;
  std::vector<const Document*> items;
  for (const Document& d : docs) {
    if (d.kind != VariantKind::kShortFooter) continue;
    items.push_back(&d);
    footers.insert(AfterBody(d));
    headers.insert(d.text.substr(0, d.text.find(d.body)));
    originals.insert(d.source_id);
    const Document& o = *by_id.at(d.source_id);
    EXPECT_EQ(d.body, o.body) << d.id;
    EXPECT_EQ(d.source, o.source);          // the aggregator names the publisher
    EXPECT_NE(AfterBody(o), AfterBody(d));  // the original has its own site's chrome
    EXPECT_GE(d.body_words, 60) << d.id;
    EXPECT_LE(d.body_words, 120 + 2 * 34) << d.id;
  }
  ASSERT_GT(items.size(), 40u);
  ASSERT_EQ(footers.size(), 1u);  // line for line
  EXPECT_EQ(headers.size(), 1u);
  EXPECT_EQ(originals.size(), items.size());  // different articles
  const std::vector<std::string> footer = SplitParagraphs(footers.begin()->substr(2));
  ASSERT_EQ(footer.size(), 2u);
  EXPECT_EQ(footer[1], "Read original article here");
  std::istringstream in(footer[0]);
  int words = 0;
  for (std::string w; in >> w;) ++words;
  EXPECT_GE(words, 80);
  EXPECT_LE(words, 120);
  EXPECT_NE(footer[0].find("Denial of responsibility!"), std::string::npos);
  // Different articles: their bodies share next to nothing.
  double max_jaccard = 0;
  for (size_t i = 0; i + 1 < items.size(); ++i) {
    max_jaccard =
        std::max(max_jaccard, Jaccard(Shingles(items[i]->body), Shingles(items[i + 1]->body)));
  }
  EXPECT_LT(max_jaccard, 0.1);
}

TEST(HardProfileTest, AggregatorCopiesAreTheBodyUnderADisclaimer) {
  const std::vector<Document>& docs = HardCorpus();
  const auto by_id = ById(docs);
  std::map<std::string, std::vector<const Document*>> per_original;
  for (const Document& d : docs) {
    if (d.kind != VariantKind::kAggFooter) continue;
    per_original[d.source_id].push_back(&d);
    const Document& o = *by_id.at(d.source_id);
    EXPECT_EQ(d.body, o.body) << d.id;
    // Named by its own domain or by the publisher's.
    if (d.source != o.source) {
      EXPECT_EQ(d.source.rfind("site", 0), std::string::npos) << d.id;
    }
    const std::vector<std::string> after = SplitParagraphs(AfterBody(d).substr(2));
    ASSERT_EQ(after.size(), 2u) << d.id;  // the disclaimer directly after the last paragraph
    EXPECT_EQ(after[1], "Read original article here");
    EXPECT_GE(CountWordsForTest(after[0]), 70) << d.id;
    // The last paragraph is also the original's.
    const std::vector<std::string> mine = SplitParagraphs(d.body), theirs = SplitParagraphs(o.body);
    EXPECT_EQ(mine.back(), theirs.back());
  }
  int multiple = 0, own_domain = 0;
  for (const auto& [id, copies] : per_original) {
    std::set<std::string> sites;  // the aggregator, by its header's first line
    for (const Document* d : copies) {
      sites.insert(d->text.substr(0, d->text.find('\n')));
      own_domain += d->source != by_id.at(id)->source;
    }
    // Each pick puts its two or three copies on different aggregators (an original picked twice
    // may get more copies than there are aggregators).
    EXPECT_GE(sites.size(), std::min<size_t>(copies.size(), 2)) << id;
    multiple += copies.size() >= 2;
  }
  EXPECT_GT(multiple, static_cast<int>(per_original.size()) * 8 / 10);
  EXPECT_GT(own_domain, 20);
}

TEST(HardProfileTest, DeepTruncAndPromoEditWhatTheySay) {
  const std::vector<Document>& docs = HardCorpus();
  const auto by_id = ById(docs);
  int deep = 0, promo = 0;
  for (const Document& d : docs) {
    if (d.kind != VariantKind::kDeepTrunc && d.kind != VariantKind::kPromo) continue;
    const Document& o = *by_id.at(d.source_id);
    EXPECT_NE(d.source, o.source) << d.id;  // another site's chrome
    const int paragraphs = Paragraphs(d.body), original = Paragraphs(o.body);
    if (d.kind == VariantKind::kDeepTrunc) {
      ++deep;
      const double slack = 1.5 / d.body_words;  // rounding to whole words
      EXPECT_GE(d.edit_rate, 0.06 - slack) << d.id;
      EXPECT_LE(d.edit_rate, 0.10 + slack) << d.id;
      if (original >= 5) {
        EXPECT_GE(paragraphs * 100, original * 25 - 100) << d.id;
        EXPECT_LE(paragraphs * 100, original * 45) << d.id;
      }
      EXPECT_LT(paragraphs, std::max(2, original)) << d.id;
      EXPECT_LT(d.kept_fraction, 0.75) << d.id;
    } else {
      ++promo;
      const double slack = 1.5 / d.body_words;
      EXPECT_GE(d.edit_rate, 0.04 - slack) << d.id;
      EXPECT_LE(d.edit_rate, 0.06 + slack) << d.id;
      if (original >= 3) {
        EXPECT_TRUE(paragraphs == original || paragraphs == original + 1) << d.id;  // -1, +1 or 2
      }
      const bool has_promo = d.body.find("ubscribe") != std::string::npos ||
                             d.body.find("Sign up") != std::string::npos ||
                             d.body.find("ollow") != std::string::npos ||
                             d.body.find("READ MORE: ") != std::string::npos ||
                             d.body.find("\nRead more: ") != std::string::npos ||
                             d.body.find("RELATED: ") != std::string::npos ||
                             d.body.find("ALSO READ | ") != std::string::npos ||
                             d.body.find("\nMORE: ") != std::string::npos ||
                             d.body.find("SEE ALSO: ") != std::string::npos;
      EXPECT_TRUE(has_promo) << d.id;
    }
    EXPECT_NE(d.body, o.body);
  }
  EXPECT_GT(deep, 100);
  EXPECT_GT(promo, 100);
}

TEST(HardProfileTest, ChineseTextIsCjkAndCopiesAreHeavilyEdited) {
  const std::vector<Document>& docs = HardCorpus();
  const auto by_id = ById(docs);
  std::map<std::string, std::vector<const Document*>> topics;
  int copies = 0;
  for (const Document& d : docs) {
    if (!d.zh) {
      EXPECT_EQ(HanAndChars(d.text).first, 0) << d.id;
      continue;
    }
    const auto [han, chars] = HanAndChars(d.body);
    EXPECT_GT(han, chars * 7 / 10) << d.id;                             // mostly Han characters
    EXPECT_NE(d.body.find("\xE3\x80\x82"), std::string::npos) << d.id;  // 。
    EXPECT_NE(d.body.find("\xEF\xBC\x8C"), std::string::npos) << d.id;  // ，
    EXPECT_GT(HanAndChars(d.text).first, han) << d.id;                  // Chinese chrome
    EXPECT_EQ(d.source.rfind("zhsite", 0), 0u) << d.id;
    if (d.kind == VariantKind::kOriginal) {
      EXPECT_GE(d.body_words, 250) << d.id;
      EXPECT_LE(d.body_words, 1500 + 3 * 80) << d.id;
      topics[d.topic].push_back(&d);
      continue;
    }
    ++copies;
    const Document& o = *by_id.at(d.source_id);
    EXPECT_GE(d.edit_rate, 0.09) << d.id;
    EXPECT_LE(d.edit_rate, 0.16) << d.id;
    EXPECT_NE(d.source, o.source);
    const double j = Jaccard(HanShingles(d.body), HanShingles(o.body));
    EXPECT_GT(j, 0.2) << d.id;  // heavily edited, still the same article
    EXPECT_LT(j, 0.75) << d.id;
  }
  EXPECT_GT(copies, 40);
  // Chinese originals of one topic are different articles on different sites.
  double max_jaccard = 0;
  int pairs = 0;
  for (const auto& [topic, members] : topics) {
    std::set<std::string> sites;
    for (const Document* d : members) sites.insert(d->source);
    EXPECT_EQ(sites.size(), members.size()) << topic;
    for (size_t i = 0; i < members.size(); ++i) {
      for (size_t k = i + 1; k < members.size(); ++k, ++pairs) {
        max_jaccard = std::max(
            max_jaccard, Jaccard(HanShingles(members[i]->body), HanShingles(members[k]->body)));
      }
    }
  }
  EXPECT_GT(pairs, 5);
  EXPECT_LT(max_jaccard, 0.3);
}

}  // namespace
}  // namespace dedup::bench
