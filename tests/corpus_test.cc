// Tests of CorpusReader (JSONL, folders, text files), IsValidUtf8 and the internal
// LineReader. Inputs are the shipped fixtures (fixtures/bad/, fixtures/news*) and
// files written to a fresh temporary folder per test. Standard input is covered by
// tests/cli_test.sh.
#include "dedup/corpus.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dedup/internal/line_reader.h"

namespace dedup {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::Not;

// The repository's fixtures/ folder, located from this source file.
fs::path FixturesDir() { return fs::path(__FILE__).parent_path().parent_path() / "fixtures"; }

std::string ReadFileBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFileBytes(const fs::path& path, std::string_view bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

struct Read {
  Document doc;
  SourceLocation where;
};

struct ReadResult {
  absl::Status status;  // OK, or the error that ended reading.
  std::vector<Read> docs;
  std::vector<std::string> warnings;
  int64_t skipped_lines = 0;
  int64_t text_bytes = 0;

  std::vector<std::string> ids() const {
    std::vector<std::string> out;
    for (const Read& r : docs) out.push_back(r.doc.id);
    return out;
  }
};

// Reads every document of `inputs`; stops at the first error.
ReadResult ReadAll(std::vector<std::string> inputs, CorpusOptions options = {}) {
  ReadResult result;
  options.on_warning = [&result](const std::string& msg) { result.warnings.push_back(msg); };
  auto reader = CorpusReader::Open(std::move(inputs), std::move(options));
  if (!reader.ok()) {
    result.status = reader.status();
    return result;
  }
  while (true) {
    Read r;
    absl::StatusOr<bool> more = (*reader)->Next(&r.doc, &r.where);
    if (!more.ok()) {
      result.status = more.status();
      break;
    }
    if (!*more) break;
    result.docs.push_back(std::move(r));
  }
  result.skipped_lines = (*reader)->skipped_lines();
  result.text_bytes = (*reader)->text_bytes();
  return result;
}

class CorpusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) /
           ("corpus_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
            info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Writes `bytes` to dir_/name and returns its path.
  std::string Write(const std::string& name, std::string_view bytes) {
    fs::path p = dir_ / name;
    WriteFileBytes(p, bytes);
    return p.string();
  }

  fs::path dir_;
};

// ---------------------------------------------------------------------------
// JSONL: fields.

TEST_F(CorpusTest, JsonlReadsIdTextAndOptionalFields) {
  std::string path = Write("a.jsonl",
                           "{\"id\": \"d1\", \"text\": \"first text\", \"source\": \"s.example\", "
                           "\"published\": \"2023-03-20T10:00:00Z\", \"url\": \"https://s.example/1\"}\n"
                           "{\"text\": \"second\", \"id\": \"d2\", \"extra\": [1, {\"x\": null}]}\n"
                           "{\"id\": \"d3\", \"text\": \"\", \"source\": null, \"url\": \"u3\"}\n");
  ReadResult r = ReadAll({path});
  ASSERT_TRUE(r.status.ok()) << r.status;
  ASSERT_EQ(r.docs.size(), 3u);

  EXPECT_EQ(r.docs[0].doc.id, "d1");
  EXPECT_EQ(r.docs[0].doc.text, "first text");
  EXPECT_EQ(r.docs[0].doc.source, "s.example");
  EXPECT_EQ(r.docs[0].doc.published, "2023-03-20T10:00:00Z");
  EXPECT_EQ(r.docs[0].doc.url, "https://s.example/1");

  // Absent optional fields are empty, not left over from the previous document.
  EXPECT_EQ(r.docs[1].doc.id, "d2");
  EXPECT_EQ(r.docs[1].doc.text, "second");
  EXPECT_EQ(r.docs[1].doc.source, "");
  EXPECT_EQ(r.docs[1].doc.published, "");
  EXPECT_EQ(r.docs[1].doc.url, "");

  // An empty text is a document; null for an optional field means absent.
  EXPECT_EQ(r.docs[2].doc.id, "d3");
  EXPECT_EQ(r.docs[2].doc.text, "");
  EXPECT_EQ(r.docs[2].doc.source, "");
  EXPECT_EQ(r.docs[2].doc.url, "u3");

  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(r.docs[i].where.file, path);
    EXPECT_EQ(r.docs[i].where.line, i + 1);
  }
  EXPECT_EQ(r.text_bytes, static_cast<int64_t>(std::string("first text").size() + 6));
  EXPECT_EQ(r.skipped_lines, 0);
}

TEST_F(CorpusTest, JsonlCustomFieldNames) {
  std::string path = Write("a.ndjson",
                           "{\"id\": \"wrong\", \"key\": \"k1\", \"body\": \"the body\", \"text\": \"no\", "
                           "\"site\": \"x.example\", \"when\": \"2020-01-02\", \"link\": \"l\"}\n");
  CorpusOptions options;
  options.id_field = "key";
  options.text_field = "body";
  options.source_field = "site";
  options.published_field = "when";
  options.url_field = "link";
  ReadResult r = ReadAll({path}, options);
  ASSERT_TRUE(r.status.ok()) << r.status;
  ASSERT_EQ(r.docs.size(), 1u);
  EXPECT_EQ(r.docs[0].doc.id, "k1");
  EXPECT_EQ(r.docs[0].doc.text, "the body");
  EXPECT_EQ(r.docs[0].doc.source, "x.example");
  EXPECT_EQ(r.docs[0].doc.published, "2020-01-02");
  EXPECT_EQ(r.docs[0].doc.url, "l");

  // The default names read the other fields of the same line.
  ReadResult d = ReadAll({path});
  ASSERT_TRUE(d.status.ok()) << d.status;
  EXPECT_EQ(d.docs[0].doc.id, "wrong");
  EXPECT_EQ(d.docs[0].doc.text, "no");

  // A custom text field that is absent is reported under its own name.
  CorpusOptions missing;
  missing.text_field = "content";
  ReadResult m = ReadAll({path}, missing);
  EXPECT_FALSE(m.status.ok());
  EXPECT_THAT(m.status.message(), HasSubstr("missing field \"content\""));
}

TEST_F(CorpusTest, JsonlOptionalFieldOfWrongTypeIsAnError) {
  std::string path = Write("a.jsonl",
                           "{\"id\": \"a\", \"text\": \"t\"}\n"
                           "{\"id\": \"b\", \"text\": \"t\", \"published\": 20230320}\n");
  ReadResult r = ReadAll({path});
  EXPECT_EQ(r.docs.size(), 1u);
  ASSERT_FALSE(r.status.ok());
  EXPECT_THAT(r.status.message(), HasSubstr(path + ":2:"));
  EXPECT_THAT(r.status.message(), HasSubstr("\"published\" is a number"));
}

// Numbers out of range (a double's or a 64-bit integer's) in fields dedup does not read
// are no reason to reject the line; malformed numbers still are, and a number where a
// string is read is still named.
TEST_F(CorpusTest, JsonlNumbersOutOfRangeInUnusedFieldsAreAccepted) {
  std::string path = Write("a.jsonl",
                           "{\"id\": \"a\", \"text\": \"1e5000 \\\" 9\", \"x\": 1e5000}\n"
                           "{\"id\": \"b\", \"text\": \"t\", \"x\": [-1E+400, 123456789012345678901234567890, {\"y\": 2e-99999}]}\n");
  ReadResult r = ReadAll({path});
  ASSERT_TRUE(r.status.ok()) << r.status;
  ASSERT_EQ(r.ids(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r.docs[0].doc.text, "1e5000 \" 9");
  for (const char* line : {"{\"id\": \"c\", \"text\": \"t\", \"x\": 1e}", "{\"id\": \"c\", \"text\": \"t\", \"x\": 01}",
                           "{\"id\": \"c\", \"text\": \"t\", \"x\": 1e5000,}"}) {
    ReadResult bad = ReadAll({Write("bad.jsonl", std::string(line) + "\n")});
    EXPECT_THAT(bad.status.message(), HasSubstr("invalid JSON")) << line;
  }
  ReadResult id = ReadAll({Write("id.jsonl", "{\"id\": 1e5000, \"text\": \"t\"}\n")});
  EXPECT_THAT(id.status.message(), HasSubstr("field \"id\" is a number"));
}

// CorpusOptions::spooled_inputs: the copy is read, the input's name is kept (its kind,
// ids and messages).
TEST_F(CorpusTest, SpooledInputsAreReadUnderTheirOwnNames) {
  const std::string copy = Write("copy", "{\"id\": \"a\", \"text\": \"x\"}\n{\"id\": \"b\"}\n");
  const std::string text_copy = Write("text_copy", "one document");
  CorpusOptions options;
  options.spooled_inputs["/dev/fd/63.jsonl"] = copy;
  options.spooled_inputs["/dev/fd/62"] = text_copy;
  options.spooled_inputs["-"] = copy;
  ReadResult r = ReadAll({"/dev/fd/62", "/dev/fd/63.jsonl"}, options);
  ASSERT_EQ(r.ids(), (std::vector<std::string>{"/dev/fd/62", "a"}));
  EXPECT_EQ(r.docs[0].doc.text, "one document");
  EXPECT_THAT(r.status.message(), HasSubstr("/dev/fd/63.jsonl:2: missing field \"text\""));
  ReadResult in = ReadAll({"-"}, options);
  EXPECT_THAT(in.status.message(), HasSubstr("<stdin>:2: missing field \"text\""));
}

// A regular file whose name does not say what it holds is JSONL when its first line is a
// JSON object naming the text field: the parts `split` makes (xaa, part-0001). A name that
// says text keeps its content as one document.
TEST_F(CorpusTest, UnnamedJsonlIsRecognizedByItsFirstLine) {
  const std::string jsonl = "\n  {\"id\": \"a\", \"text\" : \"x\"}\n{\"id\": \"b\", \"text\": \"y\"}\n";
  ReadResult parts = ReadAll({Write("xaa", jsonl), Write("part-0001.json", "{\"id\": \"c\", \"text\": \"z\"}\n")});
  EXPECT_TRUE(parts.status.ok()) << parts.status;
  EXPECT_EQ(parts.ids(), (std::vector<std::string>{"a", "b", "c"}));
  // Named as text, or not naming the text field, or not an object first: one document.
  const std::string txt = Write("notes.txt", jsonl);
  const std::string other = Write("other", "{\"id\": \"a\", \"body\": \"x\"}\n");
  const std::string prose = Write("prose", "Some text {\"text\": 1}\n");
  const std::string quoted = Write("quoted", "{\"title\": \"the \\\"text\\\" field\"}\n");
  ReadResult texts = ReadAll({txt, other, prose, quoted});
  EXPECT_EQ(texts.ids(), (std::vector<std::string>{txt, other, prose, quoted}));
  // The configured field name counts.
  CorpusOptions options;
  options.text_field = "body";
  EXPECT_EQ(ReadAll({other}, options).ids(), (std::vector<std::string>{"a"}));
  // A pipe keeps its name's kind, spooled or not (looking would consume it when not).
  options = {};
  options.spooled_inputs["/dev/fd/63"] = Write("copy", jsonl);
  EXPECT_EQ(ReadAll({"/dev/fd/63"}, options).ids(), (std::vector<std::string>{"/dev/fd/63"}));
}

TEST_F(CorpusTest, JsonlBlankLinesSkippedAndLineNumbersCountThem) {
  std::string path = Write("a.jsonl",
                           "\n"
                           "{\"id\": \"a\", \"text\": \"x\"}\n"
                           "   \t \n"
                           "\r\n"
                           "{\"id\": \"b\", \"text\": \"y\"}\n"
                           "\n");
  ReadResult r = ReadAll({path});
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(r.ids(), ElementsAre("a", "b"));
  EXPECT_EQ(r.docs[0].where.line, 2);
  EXPECT_EQ(r.docs[1].where.line, 5);
  EXPECT_EQ(r.docs[1].where.ToString(), path + ":5");
}

// Documents over max_document_bytes: a JSONL line is not kept in memory but reported
// with its line number (or skipped under skip_bad_lines, the next lines read as usual);
// a line of exactly the limit is accepted; a whole file over it is an error naming it.
TEST_F(CorpusTest, DocumentsOverTheSizeLimitAreRefusedByLine) {
  const std::string at_limit = "{\"id\": \"c\", \"text\": \"" + std::string(40, 'z') + "\"}";
  const std::string over = "{\"id\": \"big\", \"text\": \"" + std::string(5000, 'x') + "\"}";
  const std::string path = Write("a.jsonl", "{\"id\": \"a\", \"text\": \"x\"}\n" + over + "\n" + at_limit + "\n" + over +
                                                "\r\n{\"id\": \"b\", \"text\": \"y\"}\n" + over);
  CorpusOptions options;
  options.max_document_bytes = static_cast<int64_t>(at_limit.size());
  ReadResult r = ReadAll({path}, options);
  ASSERT_FALSE(r.status.ok());
  EXPECT_THAT(std::string(r.status.message()), HasSubstr(path + ":2: the line is " + std::to_string(over.size()) + " bytes"));
  options.skip_bad_lines = true;
  r = ReadAll({path}, options);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(r.ids(), ElementsAre("a", "c", "b"));
  EXPECT_EQ(r.docs[2].where.line, 5);
  ASSERT_EQ(r.warnings.size(), 3u);
  EXPECT_THAT(r.warnings[2], HasSubstr(":6: the line is"));  // The last line, without a newline.
  const std::string file = Write("page.txt", std::string(100, 'w'));
  options.max_document_bytes = 99;
  r = ReadAll({file}, options);
  ASSERT_FALSE(r.status.ok());
  EXPECT_THAT(std::string(r.status.message()), HasSubstr(file + ": the document is"));
  EXPECT_THAT(std::string(r.status.message()), HasSubstr("over --max-document-bytes 99"));
  options.max_document_bytes = 100;
  EXPECT_TRUE(ReadAll({file}, options).status.ok());
}

// LineReader with blocks far smaller than the lines: over-long lines are read past in
// pieces (never buffered whole) and reported with their full length; the lines around
// them come out intact, whatever the block size.
TEST_F(CorpusTest, LineReaderSkipsOverLongLinesInPieces) {
  const std::string text = "short\n" + std::string(1000, 'a') + "\n" + std::string(20, 'b') + "\r\n" +
                           std::string(21, 'c') + "\nend";
  const std::string path = Write("lines.txt", text);
  for (size_t block : {1, 3, 16, 4096}) {
    const int fd = ::open(path.c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    internal::LineReader reader(fd, path, block, /*max_line=*/21);
    std::vector<std::pair<std::string, size_t>> got;
    std::string_view line;
    size_t too_long = 0;
    while (true) {
      absl::StatusOr<bool> more = reader.Next(&line, &too_long);
      ASSERT_TRUE(more.ok()) << more.status();
      if (!*more) break;
      got.emplace_back(std::string(line), too_long);
    }
    ::close(fd);
    // "bbb…\r" is 21 bytes with its \r: within the limit; 21 c's too; 1000 a's are not.
    const std::vector<std::pair<std::string, size_t>> want = {
        {"short", 0}, {"", 1000}, {std::string(20, 'b'), 0}, {std::string(21, 'c'), 0}, {"end", 0}};
    EXPECT_EQ(got, want) << "block " << block;
  }
}

TEST_F(CorpusTest, JsonlEmptyFileHasNoDocuments) {
  ReadResult r = ReadAll({Write("empty.jsonl", "")});
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_TRUE(r.docs.empty());
}

TEST_F(CorpusTest, JsonlCrlfLineEndings) {
  std::string path = Write("a.jsonl",
                           "{\"id\": \"a\", \"text\": \"line one\\r\\nline two\"}\r\n"
                           "{\"id\": \"b\", \"text\": \"y\"}\r\n");
  ReadResult r = ReadAll({path});
  ASSERT_TRUE(r.status.ok()) << r.status;
  ASSERT_THAT(r.ids(), ElementsAre("a", "b"));
  // Escaped CR/LF inside the string are kept; the line's own CRLF is not part of it.
  EXPECT_EQ(r.docs[0].doc.text, "line one\r\nline two");
  EXPECT_EQ(r.docs[1].doc.text, "y");
}

TEST_F(CorpusTest, JsonlLastLineWithoutNewline) {
  std::string path = Write("a.jsonl",
                           "{\"id\": \"a\", \"text\": \"x\"}\n"
                           "{\"id\": \"b\", \"text\": \"last\"}");
  ReadResult r = ReadAll({path});
  ASSERT_TRUE(r.status.ok()) << r.status;
  ASSERT_THAT(r.ids(), ElementsAre("a", "b"));
  EXPECT_EQ(r.docs[1].doc.text, "last");
  EXPECT_EQ(r.docs[1].where.line, 2);

  // Same with a final CR and no LF.
  ReadResult cr = ReadAll({Write("b.jsonl", "{\"id\": \"c\", \"text\": \"z\"}\r")});
  ASSERT_TRUE(cr.status.ok()) << cr.status;
  EXPECT_THAT(cr.ids(), ElementsAre("c"));
}

TEST_F(CorpusTest, JsonlUtf8BomOnFirstLineIsStripped) {
  std::string path = Write("bom.jsonl",
                           "\xEF\xBB\xBF{\"id\": \"a\", \"text\": \"x\"}\n"
                           "{\"id\": \"b\", \"text\": \"y\"}\n");
  ReadResult r = ReadAll({path});
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(r.ids(), ElementsAre("a", "b"));
}

TEST_F(CorpusTest, JsonlLineLongerThanTheReaderBlock) {
  // The reader's block is 1 MiB; a 3 MiB line must come through intact, between
  // short lines on both sides.
  std::string big(3 * (1 << 20) + 17, 'x');
  for (size_t i = 0; i < big.size(); i += 97) big[i] = ' ';
  std::string data = "{\"id\": \"before\", \"text\": \"short\"}\n{\"id\": \"big\", \"text\": \"" + big +
                     "\"}\n{\"id\": \"after\", \"text\": \"short too\"}\n";
  ReadResult r = ReadAll({Write("big.jsonl", data)});
  ASSERT_TRUE(r.status.ok()) << r.status;
  ASSERT_THAT(r.ids(), ElementsAre("before", "big", "after"));
  EXPECT_EQ(r.docs[1].doc.text, big);
  EXPECT_EQ(r.docs[2].doc.text, "short too");
  EXPECT_EQ(r.docs[2].where.line, 3);
}

TEST_F(CorpusTest, NewsJsonlMatchesNewsFolder) {
  // fixtures/README.md: news.jsonl holds the folder's documents, same ids, same order,
  // text = the file's bytes.
  ReadResult jsonl = ReadAll({(FixturesDir() / "news.jsonl").string()});
  ReadResult folder = ReadAll({(FixturesDir() / "news").string()});
  ASSERT_TRUE(jsonl.status.ok()) << jsonl.status;
  ASSERT_TRUE(folder.status.ok()) << folder.status;
  ASSERT_EQ(jsonl.docs.size(), 48u);
  ASSERT_EQ(jsonl.ids(), folder.ids());
  for (size_t i = 0; i < jsonl.docs.size(); ++i) {
    EXPECT_EQ(jsonl.docs[i].doc.text, folder.docs[i].doc.text) << jsonl.docs[i].doc.id;
    EXPECT_EQ(folder.docs[i].doc.text, ReadFileBytes(FixturesDir() / "news" / folder.docs[i].doc.id));
    EXPECT_FALSE(jsonl.docs[i].doc.source.empty());
    EXPECT_FALSE(jsonl.docs[i].doc.published.empty());
  }
  // The truth file lists the same ids.
  std::ifstream truth(FixturesDir() / "news_truth.tsv");
  std::string line;
  std::getline(truth, line);
  std::vector<std::string> truth_ids;
  while (std::getline(truth, line)) truth_ids.push_back(line.substr(0, line.find('\t')));
  EXPECT_EQ(truth_ids, jsonl.ids());
}

// ---------------------------------------------------------------------------
// Randomized JSONL round trip.

// Appends code point `cp` as UTF-8.
void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// A random string of code points from several ranges (ASCII with quotes, backslashes
// and control characters; Latin; CJK; emoji), as decoded text plus the code points.
std::vector<uint32_t> RandomCodePoints(std::mt19937_64& rng, size_t max_len) {
  std::uniform_int_distribution<size_t> len_dist(0, max_len);
  std::uniform_int_distribution<int> kind(0, 9);
  std::vector<uint32_t> cps(len_dist(rng));
  for (uint32_t& cp : cps) {
    switch (kind(rng)) {
      case 0: cp = std::uniform_int_distribution<uint32_t>(0, 0x1F)(rng); break;  // Controls.
      case 1: cp = std::array<uint32_t, 4>{'"', '\\', '/', 0x7F}[rng() % 4]; break;
      case 2: cp = std::uniform_int_distribution<uint32_t>(0x80, 0x7FF)(rng); break;
      case 3: cp = std::uniform_int_distribution<uint32_t>(0x4E00, 0x9FFF)(rng); break;
      case 4: cp = std::uniform_int_distribution<uint32_t>(0x1F300, 0x1FAFF)(rng); break;
      case 5: cp = std::uniform_int_distribution<uint32_t>(0xE000, 0xFFFD)(rng); break;
      default: cp = std::uniform_int_distribution<uint32_t>(0x20, 0x7E)(rng); break;
    }
  }
  return cps;
}

// JSON string literal for `cps`, choosing randomly between raw UTF-8 and the various
// escapes (short escapes, \u with either case of hex digits, surrogate pairs).
std::string RandomJsonString(const std::vector<uint32_t>& cps, std::mt19937_64& rng) {
  auto hex4 = [&](uint32_t v) {
    const char* digits = (rng() % 2) ? "0123456789abcdef" : "0123456789ABCDEF";
    std::string s = "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) s.push_back(digits[(v >> shift) & 0xF]);
    return s;
  };
  std::string out = "\"";
  for (uint32_t cp : cps) {
    const bool escape = rng() % 3 == 0;
    if (cp == '"') {
      out += escape ? hex4(cp) : "\\\"";
    } else if (cp == '\\') {
      out += escape ? hex4(cp) : "\\\\";
    } else if (cp < 0x20) {
      const char* short_form = nullptr;
      switch (cp) {
        case '\b': short_form = "\\b"; break;
        case '\f': short_form = "\\f"; break;
        case '\n': short_form = "\\n"; break;
        case '\r': short_form = "\\r"; break;
        case '\t': short_form = "\\t"; break;
      }
      out += (short_form != nullptr && !escape) ? std::string(short_form) : hex4(cp);
    } else if (cp == '/' && escape) {
      out += "\\/";
    } else if (!escape) {
      AppendUtf8(cp, &out);
    } else if (cp < 0x10000) {
      out += hex4(cp);
    } else {
      uint32_t v = cp - 0x10000;
      out += hex4(0xD800 + (v >> 10));
      out += hex4(0xDC00 + (v & 0x3FF));
    }
  }
  out.push_back('"');
  return out;
}

TEST_F(CorpusTest, RandomizedJsonlRoundTrip) {
  std::mt19937_64 rng(20240601);
  for (int round = 0; round < 20; ++round) {
    std::vector<std::pair<std::string, std::string>> expected;  // (id, text)
    std::vector<std::string> expected_sources;
    std::string data;
    const int n = 1 + static_cast<int>(rng() % 60);
    for (int i = 0; i < n; ++i) {
      std::vector<uint32_t> id_cps = RandomCodePoints(rng, 12);
      // Ids must be non-empty and unique: prefix the line number.
      std::vector<uint32_t> prefix;
      for (char c : std::to_string(i) + ":") prefix.push_back(static_cast<uint32_t>(c));
      id_cps.insert(id_cps.begin(), prefix.begin(), prefix.end());
      std::vector<uint32_t> text_cps = RandomCodePoints(rng, 300);
      std::vector<uint32_t> source_cps = RandomCodePoints(rng, 8);
      std::string id, text, source;
      for (uint32_t cp : id_cps) AppendUtf8(cp, &id);
      for (uint32_t cp : text_cps) AppendUtf8(cp, &text);
      for (uint32_t cp : source_cps) AppendUtf8(cp, &source);
      expected.emplace_back(id, text);
      expected_sources.push_back(source);

      std::vector<std::string> members = {"\"id\":" + RandomJsonString(id_cps, rng),
                                          "\"text\":" + RandomJsonString(text_cps, rng),
                                          "\"source\":" + RandomJsonString(source_cps, rng),
                                          "\"n\": " + std::to_string(rng() % 1000)};
      std::shuffle(members.begin(), members.end(), rng);
      const char* spaces[] = {"", " ", "  ", "\t"};
      std::string line = std::string(spaces[rng() % 4]) + "{";
      for (size_t m = 0; m < members.size(); ++m) {
        line += (m ? "," : "") + std::string(spaces[rng() % 4]) + members[m];
      }
      line += std::string(spaces[rng() % 4]) + "}" + spaces[rng() % 4];
      data += line + ((rng() % 4 == 0) ? "\r\n" : "\n");
      if (rng() % 8 == 0) data += "\n";  // Blank lines in between.
    }
    if (rng() % 2 == 0 && !data.empty()) data.pop_back();  // Sometimes no final newline.

    ReadResult r = ReadAll({Write("random_" + std::to_string(round) + ".jsonl", data)});
    ASSERT_TRUE(r.status.ok()) << "round " << round << ": " << r.status;
    ASSERT_EQ(r.docs.size(), expected.size()) << "round " << round;
    int64_t bytes = 0;
    for (size_t i = 0; i < expected.size(); ++i) {
      EXPECT_EQ(r.docs[i].doc.id, expected[i].first) << "round " << round << " doc " << i;
      EXPECT_EQ(r.docs[i].doc.text, expected[i].second) << "round " << round << " doc " << i;
      EXPECT_EQ(r.docs[i].doc.source, expected_sources[i]) << "round " << round << " doc " << i;
      bytes += static_cast<int64_t>(expected[i].second.size());
    }
    EXPECT_EQ(r.text_bytes, bytes);
  }
}

// ---------------------------------------------------------------------------
// Folders and text files.

TEST_F(CorpusTest, FolderIsRecursiveSortedRelativeAndSkipsHiddenFiles) {
  fs::path root = dir_ / "corpus";
  WriteFileBytes(root / "b.txt", "bee");
  WriteFileBytes(root / "a/c.txt", "sea");
  WriteFileBytes(root / "a/b/d.txt", "dee");
  WriteFileBytes(root / "a-b.txt", "dash");  // '-' sorts before '/' and '.'
  WriteFileBytes(root / "a.txt", "dot");
  WriteFileBytes(root / "empty", "");
  WriteFileBytes(root / "z.jsonl", "{\"id\": \"not\", \"text\": \"parsed\"}\n");  // Just a file here.
  WriteFileBytes(root / ".hidden.txt", "hidden");
  WriteFileBytes(root / ".git/config", "hidden");
  WriteFileBytes(root / "a/.DS_Store", "hidden");
  WriteFileBytes(root / "a/.cache/x.txt", "hidden");
  fs::create_directories(root / "emptydir");

  ReadResult r = ReadAll({root.string()});
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(r.ids(), ElementsAre("a-b.txt", "a.txt", "a/b/d.txt", "a/c.txt", "b.txt", "empty", "z.jsonl"));
  std::vector<std::string> texts;
  for (const Read& d : r.docs) texts.push_back(d.doc.text);
  EXPECT_THAT(texts, ElementsAre("dash", "dot", "dee", "sea", "bee", "",
                                 "{\"id\": \"not\", \"text\": \"parsed\"}\n"));
  // The location names the file (folder + id); whole-file documents have line 0.
  EXPECT_EQ(fs::path(r.docs[2].where.file), root / "a/b/d.txt");
  EXPECT_EQ(r.docs[2].where.line, 0);
  int64_t bytes = 0;
  for (const std::string& t : texts) bytes += static_cast<int64_t>(t.size());
  EXPECT_EQ(bytes, 4 + 3 + 3 + 3 + 3 + 0 + 32);
  EXPECT_EQ(r.text_bytes, bytes);
}

TEST_F(CorpusTest, FolderDocumentsClearMetadataOfThePreviousDocument) {
  std::string jsonl = Write("a.jsonl", "{\"id\": \"j\", \"text\": \"t\", \"source\": \"s\", \"url\": \"u\"}\n");
  WriteFileBytes(dir_ / "f" / "x.txt", "x");
  auto reader = CorpusReader::Open({jsonl, (dir_ / "f").string()}, {});
  ASSERT_TRUE(reader.ok()) << reader.status();
  Document doc;  // Reused, as the pipeline does not, but callers may.
  ASSERT_TRUE(*(*reader)->Next(&doc));
  EXPECT_EQ(doc.source, "s");
  ASSERT_TRUE(*(*reader)->Next(&doc));
  EXPECT_EQ(doc.id, "x.txt");
  EXPECT_EQ(doc.source, "");
  EXPECT_EQ(doc.url, "");
}

TEST_F(CorpusTest, SingleTextFileIdIsThePathAsGiven) {
  std::string bytes = "Line one.\r\nLine two\twith a tab.\n\nLast line without newline";
  std::string path = Write("article.txt", bytes);
  ReadResult r = ReadAll({path});
  ASSERT_TRUE(r.status.ok()) << r.status;
  ASSERT_EQ(r.docs.size(), 1u);
  EXPECT_EQ(r.docs[0].doc.id, path);
  EXPECT_EQ(r.docs[0].doc.text, bytes);  // Byte for byte, CRLF included.
  EXPECT_EQ(r.docs[0].where.file, path);
  EXPECT_EQ(r.docs[0].where.line, 0);
}

TEST_F(CorpusTest, Utf8BomStrippedFromTextFiles) {
  std::string path = Write("bom.txt", "\xEF\xBB\xBFHello \xC3\xA9t\xC3\xA9");
  WriteFileBytes(dir_ / "folder" / "bom.md", "\xEF\xBB\xBF\xEF\xBB\xBFtwo boms");
  ReadResult r = ReadAll({path, (dir_ / "folder").string()});
  ASSERT_TRUE(r.status.ok()) << r.status;
  ASSERT_EQ(r.docs.size(), 2u);
  EXPECT_EQ(r.docs[0].doc.text, "Hello \xC3\xA9t\xC3\xA9");
  // Only one leading BOM is a byte order mark; a second is text (U+FEFF).
  EXPECT_EQ(r.docs[1].doc.text, "\xEF\xBB\xBFtwo boms");
}

TEST_F(CorpusTest, SeveralInputsAreReadInOrder) {
  std::string a = Write("a.jsonl", "{\"id\": \"j1\", \"text\": \"x\"}\n{\"id\": \"j2\", \"text\": \"y\"}\n");
  WriteFileBytes(dir_ / "f" / "2.txt", "two");
  WriteFileBytes(dir_ / "f" / "1.txt", "one");
  std::string t = Write("t.txt", "tee");
  std::string e = Write("e.jsonl", "");
  ReadResult r = ReadAll({t, e, (dir_ / "f").string(), a});
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(r.ids(), ElementsAre(t, "1.txt", "2.txt", "j1", "j2"));
}

// ---------------------------------------------------------------------------
// Errors.

TEST_F(CorpusTest, OpenErrors) {
  auto none = CorpusReader::Open({}, {});
  EXPECT_FALSE(none.ok());

  std::string missing = (dir_ / "no_such.jsonl").string();
  auto r = CorpusReader::Open({missing}, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr(missing));

  // A missing input fails even with skip_bad_lines, and even after a good input.
  CorpusOptions skip;
  skip.skip_bad_lines = true;
  std::string good = Write("good.jsonl", "{\"id\": \"a\", \"text\": \"x\"}\n");
  auto r2 = CorpusReader::Open({good, missing}, skip);
  ASSERT_FALSE(r2.ok());
  EXPECT_THAT(r2.status().message(), HasSubstr(missing));

  auto twice = CorpusReader::Open({"-", "-"}, {});
  EXPECT_FALSE(twice.ok());

  CorpusOptions empty_field;
  empty_field.id_field = "";
  EXPECT_FALSE(CorpusReader::Open({good}, empty_field).ok());
  empty_field.id_field = "id";
  empty_field.text_field = "";
  EXPECT_FALSE(CorpusReader::Open({good}, empty_field).ok());
}

TEST_F(CorpusTest, FileRemovedAfterOpenIsAnErrorNamingIt) {
  std::string path = Write("gone.jsonl", "{\"id\": \"a\", \"text\": \"x\"}\n");
  std::string txt = Write("gone.txt", "text");
  for (const std::string& p : {path, txt}) {
    auto reader = CorpusReader::Open({p}, {});
    ASSERT_TRUE(reader.ok()) << reader.status();
    fs::remove(p);
    Document doc;
    absl::StatusOr<bool> more = (*reader)->Next(&doc);
    ASSERT_FALSE(more.ok()) << p;
    EXPECT_THAT(more.status().message(), HasSubstr(p));
  }
}

TEST_F(CorpusTest, MalformedJsonNamesFileAndLine) {
  std::string path = (FixturesDir() / "bad" / "malformed.jsonl").string();
  ReadResult r = ReadAll({path});
  ASSERT_FALSE(r.status.ok());
  EXPECT_THAT(r.status.message(), HasSubstr("malformed.jsonl:3:"));
  EXPECT_THAT(r.status.message(), HasSubstr("invalid JSON"));
  EXPECT_THAT(r.ids(), ElementsAre("a", "b"));  // Lines 1 and 2 came first.
}

TEST_F(CorpusTest, MissingTextNamesFieldAndLine) {
  ReadResult r = ReadAll({(FixturesDir() / "bad" / "missing_text.jsonl").string()});
  ASSERT_FALSE(r.status.ok());
  EXPECT_THAT(r.status.message(), HasSubstr("missing_text.jsonl:2:"));
  EXPECT_THAT(r.status.message(), HasSubstr("missing field \"text\""));

  ReadResult no_id = ReadAll({Write("a.jsonl", "{\"text\": \"x\"}\n")});
  ASSERT_FALSE(no_id.status.ok());
  EXPECT_THAT(no_id.status.message(), HasSubstr("a.jsonl:1: missing field \"id\""));
}

TEST_F(CorpusTest, NonStringIdIsAnError) {
  ReadResult r = ReadAll({(FixturesDir() / "bad" / "nonstring_id.jsonl").string()});
  ASSERT_FALSE(r.status.ok());
  EXPECT_THAT(r.status.message(), HasSubstr("nonstring_id.jsonl:1:"));
  EXPECT_THAT(r.status.message(), HasSubstr("field \"id\" is a number, expected a string"));

  // Other types, and a non-string text.
  const std::pair<const char*, const char*> cases[] = {
      {"{\"id\": null, \"text\": \"x\"}", "field \"id\" is null"},
      {"{\"id\": [\"a\"], \"text\": \"x\"}", "field \"id\" is an array"},
      {"{\"id\": {}, \"text\": \"x\"}", "field \"id\" is an object"},
      {"{\"id\": true, \"text\": \"x\"}", "field \"id\" is a boolean"},
      {"{\"id\": 1.5, \"text\": \"x\"}", "field \"id\" is a number"},
      {"{\"id\": \"a\", \"text\": 7}", "field \"text\" is a number"},
      {"{\"id\": \"a\", \"text\": null}", "field \"text\" is null"},
  };
  for (const auto& [line, message] : cases) {
    ReadResult c = ReadAll({Write("c.jsonl", std::string("{\"id\": \"ok\", \"text\": \"x\"}\n") + line + "\n")});
    ASSERT_FALSE(c.status.ok()) << line;
    EXPECT_THAT(c.status.message(), HasSubstr("c.jsonl:2: " + std::string(message))) << line;
  }
}

TEST_F(CorpusTest, EmptyIdIsAnError) {
  ReadResult r = ReadAll({Write("e.jsonl", "{\"id\": \"a\", \"text\": \"x\"}\n{\"id\": \"\", \"text\": \"x\"}\n")});
  ASSERT_FALSE(r.status.ok());
  EXPECT_THAT(r.status.message(), HasSubstr("e.jsonl:2: field \"id\" is empty"));
}

TEST_F(CorpusTest, NotAnObjectIsAnError) {
  const std::pair<const char*, const char*> cases[] = {
      {"[1, 2]", "found an array"},
      {"\"a string\"", "found a string"},
      {"42", "found a number"},
      {"null", "found null"},
  };
  for (const auto& [line, what] : cases) {
    ReadResult r = ReadAll({Write("n.jsonl", std::string(line) + "\n")});
    ASSERT_FALSE(r.status.ok()) << line;
    EXPECT_THAT(r.status.message(), HasSubstr("n.jsonl:1: expected a JSON object")) << line;
    EXPECT_THAT(r.status.message(), HasSubstr(what)) << line;
  }
  // Trailing garbage after the object, or two objects on one line, is not one object.
  for (const char* line : {"{\"id\": \"a\", \"text\": \"x\"} junk",
                           "{\"id\": \"a\", \"text\": \"x\"}{\"id\": \"b\", \"text\": \"y\"}"}) {
    ReadResult r = ReadAll({Write("g.jsonl", std::string(line) + "\n")});
    EXPECT_FALSE(r.status.ok()) << line;
    EXPECT_THAT(r.status.message(), HasSubstr("g.jsonl:1:")) << line;
  }
}

TEST_F(CorpusTest, DuplicateIdsNameBothLocations) {
  ReadResult r = ReadAll({(FixturesDir() / "bad" / "duplicate_ids.jsonl").string()});
  ASSERT_FALSE(r.status.ok());
  EXPECT_THAT(r.status.message(), HasSubstr("duplicate_ids.jsonl:4:"));
  EXPECT_THAT(r.status.message(), HasSubstr("duplicate id \"b\""));
  EXPECT_THAT(r.status.message(), HasSubstr("duplicate_ids.jsonl:2"));
  EXPECT_THAT(r.ids(), ElementsAre("a", "b", "c"));

  // Still fatal with skip_bad_lines.
  CorpusOptions skip;
  skip.skip_bad_lines = true;
  ReadResult s = ReadAll({(FixturesDir() / "bad" / "duplicate_ids.jsonl").string()}, skip);
  EXPECT_FALSE(s.status.ok());
  EXPECT_THAT(s.status.message(), HasSubstr("duplicate id \"b\""));

  // Allowed when not rejected.
  CorpusOptions allow;
  allow.reject_duplicate_ids = false;
  ReadResult a = ReadAll({(FixturesDir() / "bad" / "duplicate_ids.jsonl").string()}, allow);
  ASSERT_TRUE(a.status.ok()) << a.status;
  EXPECT_THAT(a.ids(), ElementsAre("a", "b", "c", "b"));
}

TEST_F(CorpusTest, DuplicateIdsAcrossInputsNameBothFiles) {
  std::string a = Write("a.jsonl", "{\"id\": \"x.txt\", \"text\": \"x\"}\n");
  WriteFileBytes(dir_ / "f1" / "y.txt", "y");
  WriteFileBytes(dir_ / "f2" / "y.txt", "y");
  WriteFileBytes(dir_ / "f3" / "x.txt", "x");

  // JSONL first, then a folder holding the same id.
  ReadResult r = ReadAll({a, (dir_ / "f3").string()});
  ASSERT_FALSE(r.status.ok());
  EXPECT_THAT(r.status.message(), HasSubstr((dir_ / "f3" / "x.txt").string()));
  EXPECT_THAT(r.status.message(), HasSubstr(a + ":1"));

  // Two folders: both files are named, not just the first folder.
  ReadResult f = ReadAll({(dir_ / "f1").string(), (dir_ / "f2").string()});
  ASSERT_FALSE(f.status.ok());
  EXPECT_THAT(f.status.message(), HasSubstr("duplicate id \"y.txt\""));
  EXPECT_THAT(f.status.message(), HasSubstr((dir_ / "f2" / "y.txt").string()));
  EXPECT_THAT(f.status.message(), HasSubstr("first seen at " + (dir_ / "f1" / "y.txt").string()));
}

TEST_F(CorpusTest, InvalidUtf8InJsonlNamesLineAndByte) {
  fs::path path = FixturesDir() / "bad" / "bad_utf8.jsonl";
  // The byte offset within line 2, found independently.
  std::string data = ReadFileBytes(path);
  size_t line2 = data.find('\n') + 1;
  size_t bad = data.find('\xE9');
  ASSERT_NE(bad, std::string::npos);
  ASSERT_LT(line2, bad);
  ReadResult r = ReadAll({path.string()});
  ASSERT_FALSE(r.status.ok());
  EXPECT_THAT(r.status.message(), HasSubstr("bad_utf8.jsonl:2:"));
  EXPECT_THAT(r.status.message(), HasSubstr("invalid UTF-8 at byte " + std::to_string(bad - line2) + " "));
  EXPECT_THAT(r.ids(), ElementsAre("a"));

  // Invalid sequences of every kind, at a known offset.
  const std::string kinds[] = {"\xFF", "\xC0\xAF" /* overlong */, "\xED\xA0\x80" /* surrogate */,
                               "\xF4\x90\x80\x80" /* > U+10FFFF */, "\xE2\x82" /* truncated */,
                               "\x80" /* lone continuation */};
  for (const std::string& k : kinds) {
    std::string prefix = "{\"id\": \"a\", \"text\": \"ok \xC3\xA9 ";  // Valid 2-byte char first.
    ReadResult b = ReadAll({Write("k.jsonl", prefix + k + " end\"}\n")});
    ASSERT_FALSE(b.status.ok());
    EXPECT_THAT(b.status.message(), HasSubstr("k.jsonl:1: invalid UTF-8 at byte " +
                                              std::to_string(prefix.size()) + " "));
  }
}

TEST_F(CorpusTest, InvalidUtf8InTextFileNamesFileLineAndByte) {
  fs::path path = FixturesDir() / "bad" / "bad_utf8.txt";
  std::string data = ReadFileBytes(path);
  size_t bad = data.find("\xFF\xFE");
  ASSERT_NE(bad, std::string::npos);
  int64_t line = 1 + std::count(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(bad), '\n');
  ASSERT_EQ(line, 2);  // fixtures/README.md
  ReadResult r = ReadAll({path.string()});
  ASSERT_FALSE(r.status.ok());
  EXPECT_THAT(r.status.message(), HasSubstr("bad_utf8.txt:2:"));
  EXPECT_THAT(r.status.message(), HasSubstr("invalid UTF-8 at byte " + std::to_string(bad)));

  // In a folder, the message names the file inside it. The offset counts the BOM.
  WriteFileBytes(dir_ / "f" / "sub" / "x.txt", "\xEF\xBB\xBF" "abc\ndef\xC3");
  ReadResult f = ReadAll({(dir_ / "f").string()});
  ASSERT_FALSE(f.status.ok());
  EXPECT_THAT(f.status.message(), HasSubstr((dir_ / "f" / "sub" / "x.txt").string() + ":2:"));
  EXPECT_THAT(f.status.message(), HasSubstr("invalid UTF-8 at byte 10"));

  // skip_bad_lines applies to JSONL lines only: a bad text file still fails.
  CorpusOptions skip;
  skip.skip_bad_lines = true;
  EXPECT_FALSE(ReadAll({path.string()}, skip).status.ok());
}

// ---------------------------------------------------------------------------
// skip_bad_lines.

TEST_F(CorpusTest, SkipBadLinesWarnsCountsAndKeepsGoodDocuments) {
  CorpusOptions skip;
  skip.skip_bad_lines = true;
  ReadResult r = ReadAll({(FixturesDir() / "bad" / "malformed.jsonl").string()}, skip);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(r.ids(), ElementsAre("a", "b", "d"));
  EXPECT_EQ(r.skipped_lines, 1);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_THAT(r.warnings[0], HasSubstr("malformed.jsonl:3:"));
  EXPECT_THAT(r.warnings[0], HasSubstr("invalid JSON"));

  // Every kind of bad line, several per file, and across two files.
  std::string mixed = Write("mixed.jsonl",
                            "{\"id\": \"1\", \"text\": \"x\"}\n"
                            "not json\n"
                            "{\"id\": 2, \"text\": \"x\"}\n"
                            "{\"id\": \"3\"}\n"
                            "{\"id\": \"4\", \"text\": \"bad \xFF\"}\n"
                            "[\"5\"]\n"
                            "{\"id\": \"\", \"text\": \"x\"}\n"
                            "{\"id\": \"8\", \"text\": \"y\"}\n");
  ReadResult m1 = ReadAll({mixed}, skip);
  ASSERT_TRUE(m1.status.ok()) << m1.status;
  EXPECT_THAT(m1.ids(), ElementsAre("1", "8"));
  EXPECT_EQ(m1.docs[1].where.line, 8);
  EXPECT_EQ(m1.skipped_lines, 6);
  ASSERT_EQ(m1.warnings.size(), 6u);
  for (int i = 0; i < 6; ++i) {
    EXPECT_THAT(m1.warnings[i], HasSubstr("mixed.jsonl:" + std::to_string(i + 2) + ":")) << i;
  }
  EXPECT_THAT(m1.warnings[3], HasSubstr("invalid UTF-8"));

  ReadResult m2 = ReadAll({(FixturesDir() / "bad" / "bad_utf8.jsonl").string()}, skip);
  ASSERT_TRUE(m2.status.ok()) << m2.status;
  EXPECT_THAT(m2.ids(), ElementsAre("a", "c"));
  EXPECT_EQ(m2.skipped_lines, 1);
}

TEST_F(CorpusTest, WithoutSkipTheFirstBadLineStopsReading) {
  ReadResult r = ReadAll({(FixturesDir() / "bad" / "malformed.jsonl").string()});
  EXPECT_FALSE(r.status.ok());
  EXPECT_EQ(r.skipped_lines, 0);
  EXPECT_TRUE(r.warnings.empty());
}

// ---------------------------------------------------------------------------
// IsValidUtf8.

TEST(IsValidUtf8Test, AcceptsValidAndRejectsInvalid) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80"));  // é 中 😀
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));                      // U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xFF"));
  EXPECT_FALSE(IsValidUtf8("\xC3"));
  EXPECT_FALSE(IsValidUtf8("\xC0\x80"));
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));
  // Long inputs (the SIMD path) with the bad byte at every position of a block.
  std::string base(200, 'a');
  for (size_t i = 0; i < base.size(); ++i) {
    std::string s = base;
    s[i] = '\x80';
    EXPECT_FALSE(IsValidUtf8(s)) << i;
  }
  EXPECT_TRUE(IsValidUtf8(base));
}

// ---------------------------------------------------------------------------
// LineReader, with block sizes small enough to split lines everywhere.

std::vector<std::string> ReadLines(const std::string& path, size_t block_size, absl::Status* status) {
  int fd = ::open(path.c_str(), O_RDONLY);
  EXPECT_GE(fd, 0);
  internal::LineReader reader(fd, path, block_size);
  std::vector<std::string> lines;
  std::string_view line;
  while (true) {
    absl::StatusOr<bool> more = reader.Next(&line);
    if (!more.ok()) {
      *status = more.status();
      break;
    }
    if (!*more) break;
    lines.emplace_back(line);
  }
  ::close(fd);
  return lines;
}

// Reference split: on "\n", dropping one "\r" before it; no line after a final "\n".
std::vector<std::string> SplitLines(const std::string& data) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < data.size()) {
    size_t nl = data.find('\n', start);
    size_t end = nl == std::string::npos ? data.size() : nl;
    std::string line = data.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
    start = nl == std::string::npos ? data.size() : nl + 1;
  }
  return lines;
}

TEST_F(CorpusTest, LineReaderSplitsLikeTheReferenceForEveryBlockSize) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 30; ++round) {
    std::string data;
    const int lines = static_cast<int>(rng() % 40);
    for (int i = 0; i < lines; ++i) {
      size_t len = (rng() % 5 == 0) ? rng() % 300 : rng() % 12;
      for (size_t k = 0; k < len; ++k) data.push_back("ab\r x\t"[rng() % 6]);
      data += (rng() % 3 == 0) ? "\r\n" : "\n";
    }
    if (rng() % 2) data += "tail without newline";
    std::string path = Write("lines_" + std::to_string(round) + ".txt", data);
    for (size_t block : {1, 2, 3, 4, 5, 8, 13, 64, 4096}) {
      absl::Status status;
      std::vector<std::string> got = ReadLines(path, block, &status);
      ASSERT_TRUE(status.ok()) << status;
      EXPECT_EQ(got, SplitLines(data)) << "round " << round << " block " << block;
    }
  }
}

TEST_F(CorpusTest, LineReaderEdgeCases) {
  const std::pair<std::string, std::vector<std::string>> cases[] = {
      {"", {}},
      {"\n", {""}},
      {"\n\n", {"", ""}},
      {"a", {"a"}},
      {"a\n", {"a"}},
      {"a\r\n", {"a"}},
      {"a\r", {"a"}},
      {"a\r\r\n", {"a\r"}},
      {"a\rb\n", {"a\rb"}},
      {"\r\n\r\n", {"", ""}},
  };
  for (const auto& [data, expected] : cases) {
    std::string path = Write("edge.txt", data);
    for (size_t block : {1, 2, 16}) {
      absl::Status status;
      EXPECT_EQ(ReadLines(path, block, &status), expected) << "block " << block;
      EXPECT_TRUE(status.ok());
    }
  }
}

TEST_F(CorpusTest, LineReaderReadErrorNamesTheInput) {
  // Reading a folder's descriptor fails with EISDIR.
  int fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  internal::LineReader reader(fd, "the-name", 16);
  std::string_view line;
  absl::StatusOr<bool> more = reader.Next(&line);
  ::close(fd);
  ASSERT_FALSE(more.ok());
  EXPECT_THAT(more.status().message(), HasSubstr("the-name"));
}

}  // namespace
}  // namespace dedup
