// Tests of the cluster reports (text, JSON, JSONL, TSV, CSV), JsonQuote and
// ParseReportFormat. Results are built by hand (every value below is chosen, not
// computed by dedup) or through Clusterer on texts whose Jaccard is 1 or 0. JSON is
// read back with simdjson, TSV and CSV with the small parsers below.
#include "dedup/report.h"

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dedup/cluster.h"
#include "dedup/sketch.h"
#include "simdjson.h"

namespace dedup {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// ---------------------------------------------------------------------------
// JSON read back with simdjson (a dependency of dedup's input reader, not of the report
// writer). The DOM parser validates the whole document (RFC 8259: structure, escapes,
// numbers, UTF-8, nothing after it); the On-Demand parser then builds the tree below,
// which keeps each number as written, for exact comparisons. Duplicate keys, which
// RFC 8259 tolerates but a report must never write, are rejected.

struct Json {
  std::variant<std::nullptr_t, bool, double, std::string, std::vector<Json>, std::map<std::string, Json>> v;
  std::string number_text;  // The number as written, for exact comparisons.

  bool is_object() const { return std::holds_alternative<std::map<std::string, Json>>(v); }
  bool is_array() const { return std::holds_alternative<std::vector<Json>>(v); }
  const std::map<std::string, Json>& object() const { return std::get<std::map<std::string, Json>>(v); }
  const std::vector<Json>& array() const { return std::get<std::vector<Json>>(v); }
  const std::string& str() const { return std::get<std::string>(v); }
  double num() const { return std::get<double>(v); }
  const Json& operator[](const std::string& key) const { return object().at(key); }
  bool has(const std::string& key) const { return object().count(key) > 0; }
};

// A number's text as written, and the whitespace after it (the two types differ here).
bool RawToken(simdjson::ondemand::value& value, std::string_view* token) {
  *token = value.raw_json_token();
  return true;
}
bool RawToken(simdjson::ondemand::document& doc, std::string_view* token) {
  return doc.raw_json_token().get(*token) == simdjson::SUCCESS;
}

// An On-Demand document or value (the same calls on both) into a Json; false on error.
template <typename Value>
bool ToJson(Value& value, Json* out) {
  simdjson::ondemand::json_type type;
  if (value.type().get(type)) return false;
  switch (type) {
    case simdjson::ondemand::json_type::object: {
      simdjson::ondemand::object object;
      if (value.get_object().get(object)) return false;
      std::map<std::string, Json> members;
      for (auto field : object) {
        std::string_view key;
        if (field.unescaped_key().get(key)) return false;
        std::string name(key);  // Before the value: the key's buffer is reused.
        simdjson::ondemand::value child;
        if (field.value().get(child)) return false;
        Json item;
        if (!ToJson(child, &item)) return false;
        if (!members.emplace(std::move(name), std::move(item)).second) return false;
      }
      out->v = std::move(members);
      return true;
    }
    case simdjson::ondemand::json_type::array: {
      simdjson::ondemand::array array;
      if (value.get_array().get(array)) return false;
      std::vector<Json> items;
      for (auto element : array) {
        simdjson::ondemand::value child;
        if (element.get(child)) return false;
        Json item;
        if (!ToJson(child, &item)) return false;
        items.push_back(std::move(item));
      }
      out->v = std::move(items);
      return true;
    }
    case simdjson::ondemand::json_type::string: {
      std::string_view str;
      if (value.get_string().get(str)) return false;
      out->v = std::string(str);
      return true;
    }
    case simdjson::ondemand::json_type::number: {
      std::string_view token;  // The number and the whitespace after it.
      if (!RawToken(value, &token)) return false;
      out->number_text = std::string(token.substr(0, token.find_last_not_of(" \t\n\r") + 1));
      double number;
      if (value.get_double().get(number)) return false;
      out->v = number;
      return true;
    }
    case simdjson::ondemand::json_type::boolean: {
      bool b;
      if (value.get_bool().get(b)) return false;
      out->v = b;
      return true;
    }
    case simdjson::ondemand::json_type::null:
      out->v = nullptr;
      return true;
  }
  return false;
}

// Parses one complete document; false on any error.
bool ParseJson(std::string_view s, Json* out) {
  const simdjson::padded_string padded(s);
  simdjson::dom::parser validator;
  simdjson::dom::element root;
  if (validator.parse(padded).get(root)) return false;
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  if (parser.iterate(padded).get(doc)) return false;
  return ToJson(doc, out);  // The DOM parser has checked that nothing follows.
}

Json ParseJsonOrDie(std::string_view s) {
  Json j;
  EXPECT_TRUE(ParseJson(s, &j)) << "not valid JSON: " << s;
  return j;
}

TEST(ParseJsonSelfTest, RejectsWhatJsonRejects) {
  Json j;
  EXPECT_TRUE(ParseJson("{\"a\": [1, -2.5e3 , \"x\\u00e9\\ud83d\\ude00\", true, null]}", &j));
  EXPECT_EQ(j["a"].array()[1].number_text, "-2.5e3");
  EXPECT_EQ(j["a"].array()[1].num(), -2500.0);
  EXPECT_EQ(j["a"].array()[2].str(), "x\xC3\xA9\xF0\x9F\x98\x80");
  for (const char* bad : {"", "{", "{\"a\" 1}", "[1,]", "\"\t\"", "\"\\x\"", "01", "{\"a\":1}x",
                          "\"\\ud800\"", "{\"a\":1,\"a\":2}"}) {
    EXPECT_FALSE(ParseJson(bad, &j)) << bad;
  }
}

// ---------------------------------------------------------------------------
// Independent parsers for the delimited formats.

// Undoes the TSV escapes \t \n \r \\ of one field.
std::string TsvUnescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out.push_back(s[i]);
      continue;
    }
    char e = s[++i];
    out.push_back(e == 't' ? '\t' : e == 'n' ? '\n' : e == 'r' ? '\r' : e);
  }
  return out;
}

std::vector<std::string> SplitOn(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t p = s.find(sep, start);
    out.emplace_back(s.substr(start, p == std::string_view::npos ? std::string_view::npos : p - start));
    if (p == std::string_view::npos) break;
    start = p + 1;
  }
  return out;
}

// RFC 4180 records; false on a malformed quoted field.
bool ParseCsv(std::string_view s, std::vector<std::vector<std::string>>* records) {
  size_t i = 0;
  while (i < s.size()) {
    std::vector<std::string> record;
    while (true) {
      std::string field;
      if (i < s.size() && s[i] == '"') {
        ++i;
        while (true) {
          if (i >= s.size()) return false;
          if (s[i] == '"') {
            if (i + 1 < s.size() && s[i + 1] == '"') {
              field.push_back('"');
              i += 2;
              continue;
            }
            ++i;
            break;
          }
          field.push_back(s[i++]);
        }
        if (i < s.size() && s[i] != ',' && s[i] != '\n' && s[i] != '\r') return false;
      } else {
        while (i < s.size() && s[i] != ',' && s[i] != '\n' && s[i] != '\r') {
          if (s[i] == '"') return false;  // A quote in an unquoted field.
          field.push_back(s[i++]);
        }
      }
      record.push_back(std::move(field));
      if (i < s.size() && s[i] == ',') {
        ++i;
        continue;
      }
      if (i < s.size() && s[i] == '\r') ++i;
      if (i < s.size() && s[i] == '\n') ++i;
      break;
    }
    records->push_back(std::move(record));
  }
  return true;
}

// The per-document formats may grow columns at the end (report.h), so records are
// compared on their documented leading columns: `line` is `expected`, or `expected`
// followed by `sep` and more columns.
::testing::AssertionResult RecordStartsWith(std::string_view line, std::string_view expected, char sep) {
  if (line == expected) return ::testing::AssertionSuccess();
  if (line.size() > expected.size() && line.substr(0, expected.size()) == expected &&
      line[expected.size()] == sep) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "record \"" << line << "\" does not start with \"" << expected
                                       << "\" + '" << sep << "' or end";
}

// `out` holds exactly the records `expected` (one per line), each possibly followed
// by more columns.
void ExpectRecords(const std::string& out, const std::vector<std::string>& expected, char sep) {
  std::vector<std::string> lines = SplitOn(out, '\n');
  ASSERT_EQ(lines.back(), "") << out;
  lines.pop_back();
  ASSERT_EQ(lines.size(), expected.size()) << out;
  for (size_t i = 0; i < lines.size(); ++i) EXPECT_TRUE(RecordStartsWith(lines[i], expected[i], sep));
}

// ---------------------------------------------------------------------------
// A hand-built result: ids with tab, comma, quote, backslash, newline, CR, UTF-8.

ClusterResult HandBuiltResult() {
  ClusterResult r;
  auto doc = [&](std::string id, uint32_t cluster, DocIndex rep, double sim, std::string snippet) {
    r.documents.push_back(DocumentResult{.id = std::move(id), .snippet = std::move(snippet),
                                         .cluster = cluster, .representative = rep,
                                         .similarity = sim});
  };
  doc("alpha", 0, 0, 1.0, "Alpha text starts here");
  doc("be\tta", 1, 1, 1.0, "Beta text");
  doc("gam,ma", 0, 0, 0.75, "Gamma text");
  doc("del\"ta", 2, 3, 1.0, "Delta, a singleton");
  doc("ep\\s\nx", 1, 1, 0.8125, "Epsilon text");
  doc("zeta\r", 1, 1, 0.123456789, "Zeta text");
  doc("\xC3\xBCn", 3, 6, 1.0, "Umlaut singleton");
  // A representative that is not its cluster's first member (e.g. published earlier).
  doc("eta", 4, 8, 0.7, "Eta text");
  doc("the ta", 4, 8, 1.0, "Theta text");
  r.clusters = {{0, 2}, {1, 4, 5}, {3}, {6}, {7, 8}};
  r.stats.documents = 9;
  r.stats.empty_documents = 1;
  r.stats.candidate_pairs = 11;
  r.stats.verified_pairs = 5;
  r.stats.clusters = 5;
  r.stats.duplicate_clusters = 3;
  r.stats.duplicates = 4;
  r.lsh = LshParams{9, 14};
  return r;
}

ReportInfo HandBuiltInfo() {
  ReportInfo info;
  info.sketch_description = "dedup-sketch/1 \"quoted\" description";
  info.shingle_spec = "word:5";
  info.num_perm = 128;
  info.threshold = 0.7;
  info.exact = false;
  info.skipped_lines = 2;
  return info;
}

std::string Report(const ClusterResult& r, const ReportInfo& info, ReportFormat format) {
  std::ostringstream out;
  WriteReport(r, info, format, out);
  return out.str();
}

TEST(ReportTest, TsvHeaderColumnsAndEscaping) {
  const std::string tsv = Report(HandBuiltResult(), HandBuiltInfo(), ReportFormat::kTsv);
  const std::vector<std::string> expected = {
      "id\tcluster\trepresentative\tsimilarity",
      "alpha\t0\talpha\t1",
      "be\\tta\t1\tbe\\tta\t1",
      "gam,ma\t0\talpha\t0.75",
      "del\"ta\t2\tdel\"ta\t1",
      "ep\\\\s\\nx\t1\tbe\\tta\t0.8125",
      "zeta\\r\t1\tbe\\tta\t0.123457",
      "\xC3\xBCn\t3\t\xC3\xBCn\t1",
      "eta\t4\tthe ta\t0.7",
      "the ta\t4\tthe ta\t1",
  };
  ASSERT_FALSE(tsv.empty());
  EXPECT_EQ(tsv.back(), '\n');
  std::vector<std::string> lines = SplitOn(tsv, '\n');
  ASSERT_EQ(lines.back(), "");
  lines.pop_back();
  ASSERT_EQ(lines.size(), expected.size()) << tsv;
  for (size_t i = 0; i < lines.size(); ++i) EXPECT_TRUE(RecordStartsWith(lines[i], expected[i], '\t'));

  // Parsed back: one record per document, every record as wide as the header, ids
  // restored.
  const ClusterResult r = HandBuiltResult();
  const size_t width = SplitOn(lines[0], '\t').size();
  for (size_t i = 0; i < r.documents.size(); ++i) {
    std::vector<std::string> fields = SplitOn(lines[i + 1], '\t');
    ASSERT_EQ(fields.size(), width) << lines[i + 1];
    EXPECT_EQ(TsvUnescape(fields[0]), r.documents[i].id);
    EXPECT_EQ(fields[1], std::to_string(r.documents[i].cluster));
    EXPECT_EQ(TsvUnescape(fields[2]), r.documents[r.documents[i].representative].id);
  }
}

TEST(ReportTest, CsvQuotingFollowsRfc4180) {
  const std::string csv = Report(HandBuiltResult(), HandBuiltInfo(), ReportFormat::kCsv);
  // The raw records' leading columns: quoted only when holding , " CR or LF; quotes
  // doubled; a tab needs no quoting.
  const std::vector<std::string> raw = {
      "id,cluster,representative,similarity",
      "alpha,0,alpha,1",
      "be\tta,1,be\tta,1",
      "\"gam,ma\",0,alpha,0.75",
      "\"del\"\"ta\",2,\"del\"\"ta\",1",
      "\"ep\\s\nx\",1,be\tta,0.8125",
      "\"zeta\r\",1,be\tta,0.123457",
      "\xC3\xBCn,3,\xC3\xBCn,1",
      "eta,4,the ta,0.7",
      "the ta,4,the ta,1",
  };
  size_t pos = 0;
  for (const std::string& record : raw) {
    ASSERT_EQ(csv.compare(pos, record.size(), record), 0) << "expected \"" << record << "\" at " << pos
                                                         << " of\n" << csv;
    pos += record.size();
    ASSERT_LT(pos, csv.size());
    if (csv[pos] == ',') {  // Extra columns (none contain a line break in this result).
      pos = csv.find('\n', pos);
      ASSERT_NE(pos, std::string::npos);
    }
    ASSERT_EQ(csv[pos], '\n') << record;
    ++pos;
  }
  EXPECT_EQ(pos, csv.size());

  std::vector<std::vector<std::string>> records;
  ASSERT_TRUE(ParseCsv(csv, &records));
  const ClusterResult r = HandBuiltResult();
  ASSERT_EQ(records.size(), r.documents.size() + 1);
  ASSERT_GE(records[0].size(), 4u);
  EXPECT_THAT(std::vector<std::string>(records[0].begin(), records[0].begin() + 4),
              ElementsAre("id", "cluster", "representative", "similarity"));
  for (size_t i = 0; i < r.documents.size(); ++i) {
    ASSERT_EQ(records[i + 1].size(), records[0].size());
    EXPECT_EQ(records[i + 1][0], r.documents[i].id);
    EXPECT_EQ(records[i + 1][1], std::to_string(r.documents[i].cluster));
    EXPECT_EQ(records[i + 1][2], r.documents[r.documents[i].representative].id);
  }
}

TEST(ReportTest, JsonlOneObjectPerDocument) {
  const std::string jsonl = Report(HandBuiltResult(), HandBuiltInfo(), ReportFormat::kJsonl);
  std::vector<std::string> lines = SplitOn(jsonl, '\n');
  ASSERT_EQ(lines.back(), "");
  lines.pop_back();
  const ClusterResult r = HandBuiltResult();
  ASSERT_EQ(lines.size(), r.documents.size());
  // The documented keys first, in this order, then "}" or more keys.
  auto starts_record = [](const std::string& line, const std::string& members) {
    return line == "{" + members + "}" || line.rfind("{" + members + ",", 0) == 0;
  };
  EXPECT_TRUE(starts_record(lines[0], "\"id\":\"alpha\",\"cluster\":0,\"representative\":\"alpha\",\"similarity\":1"))
      << lines[0];
  EXPECT_TRUE(starts_record(
      lines[4], "\"id\":\"ep\\\\s\\nx\",\"cluster\":1,\"representative\":\"be\\tta\",\"similarity\":0.8125"))
      << lines[4];
  EXPECT_TRUE(starts_record(
      lines[5], "\"id\":\"zeta\\r\",\"cluster\":1,\"representative\":\"be\\tta\",\"similarity\":0.123457"))
      << lines[5];
  EXPECT_TRUE(starts_record(lines[6], "\"id\":\"\xC3\xBCn\",\"cluster\":3,\"representative\":\"\xC3\xBCn\",\"similarity\":1"))
      << lines[6];
  for (size_t i = 0; i < lines.size(); ++i) {
    Json j = ParseJsonOrDie(lines[i]);
    ASSERT_TRUE(j.is_object());
    EXPECT_GE(j.object().size(), 4u);
    EXPECT_EQ(j["id"].str(), r.documents[i].id);
    EXPECT_EQ(j["cluster"].number_text, std::to_string(r.documents[i].cluster));
    EXPECT_EQ(j["representative"].str(), r.documents[r.documents[i].representative].id);
    EXPECT_NEAR(j["similarity"].num(), r.documents[i].similarity, 5e-7);
  }
}

TEST(ReportTest, JsonListsOnlyDuplicateClustersLargestFirst) {
  const std::string json = Report(HandBuiltResult(), HandBuiltInfo(), ReportFormat::kJson);
  Json j = ParseJsonOrDie(json);
  ASSERT_TRUE(j.is_object());

  const Json& summary = j["summary"];
  EXPECT_EQ(summary["documents"].number_text, "9");
  EXPECT_EQ(summary["clusters"].number_text, "5");
  EXPECT_EQ(summary["duplicate_clusters"].number_text, "3");
  EXPECT_EQ(summary["duplicates"].number_text, "4");
  EXPECT_EQ(summary["empty_documents"].number_text, "1");
  EXPECT_EQ(summary["skipped_lines"].number_text, "2");
  EXPECT_EQ(summary["candidate_pairs"].number_text, "11");
  EXPECT_EQ(summary["verified_pairs"].number_text, "5");

  const Json& params = j["parameters"];
  EXPECT_EQ(params["shingle"].str(), "word:5");
  EXPECT_EQ(params["num_perm"].number_text, "128");
  EXPECT_EQ(params["threshold"].number_text, "0.7");
  EXPECT_EQ(std::get<bool>(params["exact"].v), false);
  EXPECT_EQ(params["bands"].number_text, "9");
  EXPECT_EQ(params["rows"].number_text, "14");
  EXPECT_EQ(params["sketch"].str(), "dedup-sketch/1 \"quoted\" description");

  // Clusters of size >= 2 only: 1 (3 members), then 0 and 4 (2 each, by number).
  const auto& clusters = j["clusters"].array();
  ASSERT_EQ(clusters.size(), 3u);
  const std::vector<std::pair<std::string, std::vector<std::string>>> expected = {
      {"1", {"be\tta", "ep\\s\nx", "zeta\r"}}, {"0", {"alpha", "gam,ma"}}, {"4", {"eta", "the ta"}}};
  const std::vector<std::string> expected_reps = {"be\tta", "alpha", "the ta"};
  const std::vector<std::vector<std::string>> expected_sims = {
      {"1", "0.8125", "0.123457"}, {"1", "0.75"}, {"0.7", "1"}};
  for (size_t c = 0; c < clusters.size(); ++c) {
    EXPECT_EQ(clusters[c]["cluster"].number_text, expected[c].first);
    EXPECT_EQ(clusters[c]["size"].number_text, std::to_string(expected[c].second.size()));
    EXPECT_EQ(clusters[c]["representative"].str(), expected_reps[c]);
    const auto& members = clusters[c]["members"].array();
    ASSERT_EQ(members.size(), expected[c].second.size());
    for (size_t m = 0; m < members.size(); ++m) {
      EXPECT_EQ(members[m]["id"].str(), expected[c].second[m]);
      EXPECT_EQ(members[m]["similarity"].number_text, expected_sims[c][m]);
    }
  }
  // Singletons are not mentioned at all.
  EXPECT_THAT(json, Not(HasSubstr("del\\\"ta")));
  EXPECT_THAT(json, Not(HasSubstr("\xC3\xBCn")));
}

TEST(ReportTest, JsonWithoutDuplicatesHasAnEmptyClusterList) {
  ClusterResult r;
  r.documents.push_back(DocumentResult{.id = "only"});
  r.clusters = {{0}};
  r.stats.documents = 1;
  r.stats.clusters = 1;
  ReportInfo info = HandBuiltInfo();
  info.exact = true;
  Json j = ParseJsonOrDie(Report(r, info, ReportFormat::kJson));
  EXPECT_TRUE(j["clusters"].array().empty());
  EXPECT_EQ(std::get<bool>(j["parameters"]["exact"].v), true);

  const std::string text = Report(r, info, ReportFormat::kText);
  EXPECT_THAT(text, HasSubstr("no duplicates found"));
  EXPECT_THAT(text, HasSubstr("exact Jaccard"));
  EXPECT_THAT(text, HasSubstr("1 singleton documents not listed"));
  EXPECT_THAT(text, Not(HasSubstr("only")));

  // Per-document formats list it.
  ExpectRecords(Report(r, info, ReportFormat::kTsv), {"id\tcluster\trepresentative\tsimilarity", "only\t0\tonly\t1"},
                '\t');
}

TEST(ReportTest, TextListsClustersBySizeWithRepresentativeMarked) {
  const std::string text = Report(HandBuiltResult(), HandBuiltInfo(), ReportFormat::kText);
  std::vector<std::string> lines = SplitOn(text, '\n');
  ASSERT_GE(lines.size(), 3u);
  EXPECT_EQ(lines[0], "dedup cluster report");
  EXPECT_EQ(lines[1],
            "  9 documents, 5 clusters (3 with duplicates), 4 duplicates, 1 empty, 2 bad lines skipped");
  EXPECT_EQ(lines[2], "  word:5 shingles, K=128, threshold 0.7, LSH 9 bands x 14 rows");

  const size_t c1 = text.find("cluster 1: 3 documents\n");
  const size_t c0 = text.find("cluster 0: 2 documents\n");
  const size_t c4 = text.find("cluster 4: 2 documents\n");
  ASSERT_NE(c1, std::string::npos);
  ASSERT_NE(c0, std::string::npos);
  ASSERT_NE(c4, std::string::npos);
  EXPECT_LT(c1, c0);
  EXPECT_LT(c0, c4);
  EXPECT_THAT(text, Not(HasSubstr("cluster 2:")));
  EXPECT_THAT(text, Not(HasSubstr("cluster 3:")));

  // Members with similarity, id and snippet; the representative is starred.
  auto member_line = [&](const std::string& snippet) {
    for (const std::string& line : lines) {
      if (line.find(snippet) != std::string::npos) return line;
    }
    return std::string("(no line with \"" + snippet + "\")");
  };
  using ::testing::MatchesRegex;
  EXPECT_THAT(member_line("Alpha text"), MatchesRegex("  \\* 1\\.000 .*alpha  .*Alpha text starts here"));
  EXPECT_THAT(member_line("Gamma text"), MatchesRegex("    0\\.750 .*gam,ma  .*Gamma text"));
  EXPECT_THAT(member_line("Eta text"), MatchesRegex("    0\\.700 .*eta  .*Eta text"));
  EXPECT_THAT(member_line("Theta text"), MatchesRegex("  \\* 1\\.000 .*the ta  .*Theta text"));
  EXPECT_THAT(member_line("Zeta text"), MatchesRegex("    0\\.123 .*Zeta text"));
  EXPECT_THAT(text, Not(HasSubstr("Delta")));  // Singleton.
  EXPECT_THAT(text, HasSubstr("\n2 singleton documents not listed"));
  EXPECT_THAT(text, Not(HasSubstr("no duplicates found")));
}

TEST(ReportTest, OutputIsDeterministic) {
  for (ReportFormat f : {ReportFormat::kText, ReportFormat::kJson, ReportFormat::kJsonl, ReportFormat::kTsv,
                         ReportFormat::kCsv}) {
    EXPECT_EQ(Report(HandBuiltResult(), HandBuiltInfo(), f), Report(HandBuiltResult(), HandBuiltInfo(), f));
  }
}

// ---------------------------------------------------------------------------
// Through Clusterer: identical texts (Jaccard 1) group, disjoint ones (0) do not.

TEST(ReportTest, ReportOfAnExactClustering) {
  absl::StatusOr<Sketcher> sketcher = Sketcher::Create(SketchOptions{});
  ASSERT_TRUE(sketcher.ok()) << sketcher.status();
  ClusterOptions options;
  options.exact = true;
  auto clusterer = Clusterer::Create(options, sketcher->options().num_perm);
  ASSERT_TRUE(clusterer.ok()) << clusterer.status();
  const std::pair<const char*, const char*> docs[] = {
      {"a", "the quick brown fox jumps over the lazy dog near the river bank"},
      {"c", "completely different words make up this other sentence about cats and mice"},
      {"b", "the quick brown fox jumps over the lazy dog near the river bank"},
      {"empty", ""},
  };
  SketchScratch scratch;
  for (const auto& [id, text] : docs) {
    SketchedDocument sketch;
    ASSERT_TRUE(sketcher->Sketch(text, /*keep_shingles=*/true, &scratch, &sketch).ok());
    (*clusterer)->Add(id, "", std::move(sketch));
  }
  ClusterResult r = (*clusterer)->Finish();
  ExpectRecords(Report(r, HandBuiltInfo(), ReportFormat::kTsv),
                {"id\tcluster\trepresentative\tsimilarity", "a\t0\ta\t1", "c\t1\tc\t1", "b\t0\ta\t1",
                 "empty\t2\tempty\t1"},
                '\t');
  ExpectRecords(Report(r, HandBuiltInfo(), ReportFormat::kCsv),
                {"id,cluster,representative,similarity", "a,0,a,1", "c,1,c,1", "b,0,a,1", "empty,2,empty,1"},
                ',');
  Json j = ParseJsonOrDie(Report(r, HandBuiltInfo(), ReportFormat::kJson));
  ASSERT_EQ(j["clusters"].array().size(), 1u);
  EXPECT_EQ(j["clusters"].array()[0]["representative"].str(), "a");
  EXPECT_EQ(j["summary"]["empty_documents"].number_text, "1");
}

// A NUL in an id (JSON "\u0000") is never written raw into TSV or CSV.
TEST(ReportTest, NulInIdsIsEscaped) {
  EXPECT_EQ(TsvEscape(std::string("a\0b\t", 4)), "a\\0b\\t");
  ClusterResult r;
  DocumentResult d;
  d.id = std::string("a\0b", 3);
  r.documents.push_back(d);
  r.clusters.push_back({0});
  r.stats.documents = r.stats.clusters = 1;
  const std::string tsv = Report(r, HandBuiltInfo(), ReportFormat::kTsv);
  const std::string csv = Report(r, HandBuiltInfo(), ReportFormat::kCsv);
  EXPECT_EQ(tsv.find('\0'), std::string::npos) << tsv;
  EXPECT_EQ(csv.find('\0'), std::string::npos) << csv;
  EXPECT_NE(tsv.find("\na\\0b\t0\ta\\0b\t1\t"), std::string::npos) << tsv;
  EXPECT_NE(csv.find("\n\"a\\0b\",0,\"a\\0b\",1,"), std::string::npos) << csv;
  const std::string jsonl = Report(r, HandBuiltInfo(), ReportFormat::kJsonl);
  EXPECT_NE(jsonl.find("\"a\\u0000b\""), std::string::npos) << jsonl;
}

// ---------------------------------------------------------------------------
// JsonQuote.

TEST(JsonQuoteTest, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(JsonQuote(""), "\"\"");
  EXPECT_EQ(JsonQuote("plain"), "\"plain\"");
  EXPECT_EQ(JsonQuote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(JsonQuote("\n\r\t\b\f"), "\"\\n\\r\\t\\b\\f\"");
  EXPECT_EQ(JsonQuote(std::string("\0", 1)), "\"\\u0000\"");
  EXPECT_EQ(JsonQuote("\x01\x1f\x0b"), "\"\\u0001\\u001f\\u000b\"");
  EXPECT_EQ(JsonQuote("\x7f/"), "\"\x7f/\"");                                     // Allowed as is.
  EXPECT_EQ(JsonQuote("\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80"), "\"\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80\"");
}

TEST(JsonQuoteTest, RandomStringsRoundTripThroughAJsonParser) {
  std::mt19937_64 rng(99);
  for (int round = 0; round < 2000; ++round) {
    std::string s;
    const size_t len = rng() % 40;
    for (size_t i = 0; i < len; ++i) {
      switch (rng() % 4) {
        case 0: s.push_back(static_cast<char>(rng() % 0x20)); break;   // Controls.
        case 1: s.push_back("\"\\/ a\x7f"[rng() % 6]); break;
        case 2: s += "\xC3\xA9"; break;
        default: s += "\xF0\x9F\x98\x80"; break;
      }
    }
    const std::string quoted = JsonQuote(s);
    Json j;
    ASSERT_TRUE(ParseJson(quoted, &j)) << quoted;
    EXPECT_EQ(j.str(), s);
  }
}

// ---------------------------------------------------------------------------
// ParseReportFormat.

TEST(ParseReportFormatTest, KnownNames) {
  EXPECT_EQ(*ParseReportFormat("text"), ReportFormat::kText);
  EXPECT_EQ(*ParseReportFormat("json"), ReportFormat::kJson);
  EXPECT_EQ(*ParseReportFormat("jsonl"), ReportFormat::kJsonl);
  EXPECT_EQ(*ParseReportFormat("tsv"), ReportFormat::kTsv);
  EXPECT_EQ(*ParseReportFormat("csv"), ReportFormat::kCsv);
}

TEST(ParseReportFormatTest, UnknownNamesAreErrorsNamingThem) {
  for (const char* bad : {"xml", "", "TSV", "json ", "jsonlines"}) {
    absl::StatusOr<ReportFormat> f = ParseReportFormat(bad);
    ASSERT_FALSE(f.ok()) << bad;
    EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(f.status().message(), HasSubstr("\"" + std::string(bad) + "\""));
    EXPECT_THAT(f.status().message(), HasSubstr("text, json, jsonl, tsv, csv or html"));
  }
}

}  // namespace
}  // namespace dedup
