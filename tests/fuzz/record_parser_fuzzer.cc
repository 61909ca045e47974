// Fuzzes the JSONL record parser (dedup/corpus.h): the input is a JSONL file.
//
// Each line goes through RecordParser::Parse as a JSONL record, and the whole input as
// one text-file record (UTF-8 check, byte-order mark, HTML detection). Invariants:
//   - a parsed document has a non-empty id and valid UTF-8 text, and its published_time
//     is ParsePublishedTime(published) (kNoTime when there is none);
//   - a failed parse names the file and line ("in.jsonl:N: ...");
//   - CorpusReader::Next() over the same bytes (read from a memfd, as spooled standard
//     input) with skip_bad_lines yields exactly the documents of the lines whose
//     RecordParser::Parse succeeded (lines split here as LineReader splits them), in
//     order, and stops with an error at the first duplicate id.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "dedup/corpus.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

bool SameDocument(const dedup::Document& a, const dedup::Document& b) {
  return a.id == b.id && a.text == b.text && a.source == b.source && a.published == b.published &&
         a.published_time == b.published_time && a.url == b.url;
}

void CheckDocument(const dedup::Document& doc) {
  FUZZ_CHECK(dedup::IsValidUtf8(doc.text));
  FUZZ_CHECK(dedup::IsValidUtf8(doc.id));
  if (doc.published.empty()) {
    FUZZ_CHECK(doc.published_time == dedup::kNoTime);
  } else {
    absl::StatusOr<int64_t> t = dedup::ParsePublishedTime(doc.published);
    FUZZ_CHECK(t.ok() && *t == doc.published_time);
  }
}

// The input as a file named by /proc/self/fd (a memfd: no disk I/O per run).
class MemFile {
 public:
  explicit MemFile(std::string_view bytes) : fd_(memfd_create("fuzz", MFD_CLOEXEC)) {
    FUZZ_CHECK(fd_ >= 0);
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
      FUZZ_CHECK(n > 0);
      done += static_cast<size_t>(n);
    }
  }
  ~MemFile() { ::close(fd_); }
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

 private:
  int fd_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  dedup::CorpusOptions options;
  options.skip_bad_lines = true;
  options.on_warning = [](const std::string&) {};
  // The first byte picks the HTML mode, so all three are fuzzed.
  if (size > 0) {
    options.html = data[0] % 3 == 0   ? dedup::CorpusOptions::Html::kAuto
                   : data[0] % 3 == 1 ? dedup::CorpusOptions::Html::kOn
                                      : dedup::CorpusOptions::Html::kOff;
  }

  // The whole input as one text file.
  dedup::RecordParser parser(options);
  {
    dedup::RawRecord record;
    record.bytes = std::string(input);
    record.where = dedup::SourceLocation{"in.html", 0};
    record.file_id = "in.html";
    dedup::Document doc;
    const absl::Status st = parser.Parse(&record, &doc);
    if (st.ok()) {
      FUZZ_CHECK(doc.id == "in.html");
      CheckDocument(doc);
    } else {
      FUZZ_CHECK(std::string_view(st.message().data(), st.message().size()).starts_with("in.html:"));
    }
  }

  // Line by line as JSONL records, split as CorpusReader splits them (at LF, one CR
  // before it dropped; a byte-order mark at the start of line 1 dropped; blank lines
  // skipped).
  std::vector<dedup::Document> expected;
  absl::flat_hash_set<std::string> ids;
  bool duplicate = false;
  {
    std::string_view rest = input;
    int64_t line_number = 0;
    while (!rest.empty() && !duplicate) {
      const size_t nl = rest.find('\n');
      std::string_view line = rest.substr(0, nl);
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
      if (line.ends_with('\r')) line.remove_suffix(1);
      ++line_number;
      if (line_number == 1 && line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      dedup::RawRecord record;
      record.bytes = std::string(line);
      record.where = dedup::SourceLocation{"in.jsonl", line_number};
      dedup::Document doc;
      const absl::Status st = parser.Parse(&record, &doc);
      if (!st.ok()) {
        FUZZ_CHECK(std::string_view(st.message().data(), st.message().size())
                     .starts_with("in.jsonl:" + std::to_string(line_number) + ": "));
        continue;
      }
      FUZZ_CHECK(!doc.id.empty());
      CheckDocument(doc);
      duplicate = !ids.insert(doc.id).second;
      if (!duplicate) expected.push_back(std::move(doc));
    }
  }

  // The same bytes through CorpusReader, as standard input spooled to a file.
  const MemFile file(input);
  options.spooled_inputs["-"] = file.path();
  absl::StatusOr<std::unique_ptr<dedup::CorpusReader>> reader = dedup::CorpusReader::Open({"-"}, options);
  FUZZ_CHECK(reader.ok());
  size_t got = 0;
  dedup::Document doc;
  while (true) {
    absl::StatusOr<bool> more = (*reader)->Next(&doc);
    if (!more.ok()) {
      // Under skip_bad_lines only a duplicate id ends a run.
      FUZZ_CHECK(duplicate);
      break;
    }
    if (!*more) {
      FUZZ_CHECK(!duplicate);
      break;
    }
    FUZZ_CHECK(got < expected.size());
    FUZZ_CHECK(SameDocument(doc, expected[got]));
    ++got;
  }
  FUZZ_CHECK(got == expected.size());
  return 0;
}
