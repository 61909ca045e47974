// CorpusReader: streams Documents from JSONL files, folders, text files and stdin.
//
// Inputs, as the CLI takes them:
//   - a `.jsonl` / `.ndjson` file: one JSON object per line, `{"id": ..., "text": ...}`
//     (field names configurable; blank lines are ignored);
//   - a folder: every regular file below it (recursively, sorted by relative path)
//     is one document whose id is the path relative to the folder;
//   - any other file: one document whose id is the path as given -- unless it is a
//     regular file whose name does not say it is text (.txt, .text, .md, .html, .htm,
//     .xml) and whose first non-blank line starts with '{' and names the text field
//     (`"text":`) within its first 64 KiB: then it is JSONL (the parts `split` makes of
//     a .jsonl file);
//   - `-`: JSONL on standard input.
// A pipe, FIFO or character device (e.g. a process substitution, /dev/fd/63) is read
// as a file of its name's kind; CorpusOptions::spooled_inputs redirects such inputs
// (and `-`) to copies, for readers that read their inputs twice.
//
// Documents are yielded one at a time in input order; only the current document's
// text is held in memory. Every problem is reported as an absl::Status whose message
// starts with `file:line:` and names the field, e.g.
//   "corpus.jsonl:3: field \"id\" is a number, expected a string".
// With `skip_bad_lines`, a malformed JSONL line is skipped instead: the warning
// goes to `on_warning` and is counted in skipped_lines().
//
// Example:
//   auto reader = dedup::CorpusReader::Open({"news.jsonl", "more/"}, {});
//   if (!reader.ok()) return reader.status();
//   dedup::Document doc;
//   while (true) {
//     absl::StatusOr<bool> more = (*reader)->Next(&doc);
//     if (!more.ok()) return more.status();
//     if (!*more) break;
//     Use(doc);
//   }
//
// Not thread-safe: one reader per thread.
//
// Parsing in parallel. Next() is three steps, also available one by one so that a
// caller can parse records on many threads (pipeline.h does):
//   NextRecord()        serial: the next JSONL line or whole file, unparsed (I/O, line
//                       splitting, blank lines, a JSONL file's byte-order mark);
//   RecordParser        any thread, one parser per thread, made with the reader's
//                       options: JSON, fields, UTF-8 (and a text file's byte-order mark),
//                       times, HTML -- the work that costs;
//   Accept()            serial, in input order: skips a bad line under skip_bad_lines
//                       (warning, count) or returns its error, checks the id is new,
//                       counts the text.
// Errors and warnings come out of Accept() in input order, so the first error a
// parallel reader reports is the one Next() would have returned.
#ifndef DEDUP_CORPUS_H_
#define DEDUP_CORPUS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dedup/document.h"

namespace dedup {

struct CorpusOptions {
  std::string id_field = "id";
  std::string text_field = "text";
  // Optional fields: read when present (must then be strings), ignored when absent.
  std::string source_field = "source";
  std::string published_field = "published";
  std::string url_field = "url";
  // Skip malformed JSONL lines (bad JSON, missing/non-string fields, invalid UTF-8)
  // with a warning instead of failing. Missing files and duplicate ids still fail.
  bool skip_bad_lines = false;
  // Fail on an id seen before in this run (costs one hash-set entry per document).
  bool reject_duplicate_ids = true;
  // The largest document accepted, in bytes (a JSONL line, or a whole file). Peak memory
  // is about 16 times the largest document in flight (the line, its parsed text, tokens,
  // shingle hashes; measured: a 46 MB line took 744 MB), so a service bounds it here. A
  // longer JSONL line is not read into memory: it is an error naming the line, or
  // skipped under skip_bad_lines.
  int64_t max_document_bytes = int64_t{64} << 20;
  // HTML handling: kAuto converts files named *.html / *.htm and texts that look like
  // HTML (html.h: LooksLikeHtml), kOn converts every text, kOff none. Converted text
  // (HtmlToText) replaces the markup in Document::text.
  enum class Html { kAuto, kOn, kOff } html = Html::kAuto;
  // How a file named as an input (not a folder's file, not stdin, which is JSONL) is read:
  // kAuto by its name and, for a name that says neither JSONL nor text, its first line
  // (see the top of this file; a note then says it is read as JSONL: through on_warning
  // when set, else on stderr); kJsonl always as JSONL; kText and kHtml always as one
  // document (kHtml: the CLI also sets html = kOn).
  enum class InputFormat { kAuto, kJsonl, kText, kHtml } input_format = InputFormat::kAuto;
  // Inputs read from another file: the input as given ("-" for standard input) -> the
  // file to read instead. The input's name (its kind: .jsonl or not; its ids and
  // messages) stays the one given. Filled by internal::InputSpool, so that a reader
  // that reads its inputs twice reads a pipe, a FIFO or standard input only once.
  std::map<std::string, std::string> spooled_inputs;
  // Receives one message per skipped line; defaults to stderr.
  std::function<void(const std::string&)> on_warning;
};

// A record as read from an input, not yet parsed: one JSONL line or one whole file.
struct RawRecord {
  std::string bytes;     // The JSONL line without its terminator, or the file's bytes.
  SourceLocation where;  // The line (file:line), or the file (line 0).
  std::string file_id;   // A whole file's document id: its path relative to the folder,
                         // or the path as given.
  uint32_t input = 0;    // Which input (index into Open()'s list) it came from.
  int64_t too_long = 0;  // A JSONL line over max_document_bytes: its length (bytes empty).

  bool is_jsonl_line() const { return where.line > 0; }
};

// Parses RawRecords into Documents. Not thread-safe: one per thread.
class RecordParser {
 public:
  // `options` (copied) must be those of the reader whose records it parses.
  explicit RecordParser(const CorpusOptions& options);
  ~RecordParser();
  RecordParser(RecordParser&&) noexcept;
  RecordParser& operator=(RecordParser&&) noexcept;

  // Parses *record into *doc (which it resets); may move record->bytes out. An error's
  // message starts with "file:line: " and names the field or byte, as Next()'s do.
  absl::Status Parse(RawRecord* record, Document* doc);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class CorpusReader {
 public:
  // Checks that every input exists and lists folders; reads no document yet.
  static absl::StatusOr<std::unique_ptr<CorpusReader>> Open(std::vector<std::string> inputs,
                                                            CorpusOptions options);
  virtual ~CorpusReader() = default;

  // Reads the next document into *doc (and its origin into *where, if non-null).
  // Returns false at the end of all inputs, or an error naming file, line and field.
  virtual absl::StatusOr<bool> Next(Document* doc, SourceLocation* where = nullptr) = 0;

  // The three steps of Next() (see the top of this file). NextRecord returns false at the
  // end of all inputs, or an I/O error naming the file.
  virtual absl::StatusOr<bool> NextRecord(RawRecord* record) = 0;
  // In input order, for every record NextRecord returned: `parsed` is the result of
  // RecordParser::Parse on it, `doc` what it parsed. Returns true if `doc` is a document
  // to use; false if the record is a bad JSONL line skipped under skip_bad_lines; or the
  // error (the parse error, or a duplicate id naming both places). Sets *where (if
  // non-null) on true.
  virtual absl::StatusOr<bool> Accept(const RawRecord& record, const absl::Status& parsed, const Document& doc,
                                      SourceLocation* where = nullptr) = 0;

  // JSONL lines skipped so far under `skip_bad_lines`.
  virtual int64_t skipped_lines() const = 0;
  // Bytes of document text yielded so far.
  virtual int64_t text_bytes() const = 0;
};

// Unix seconds of an RFC 3339 time ("2023-03-20T06:40:00Z", "…+01:00"; a fraction of a
// second is allowed and rounded down), "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS" (UTC).
// The year has exactly four digits (0000-9999, proleptic Gregorian calendar); the date
// must exist (2023-02-29 does not); second 60 (a leap second) counts as the next
// minute's 0. White space around the text is ignored. InvalidArgument otherwise.
absl::StatusOr<int64_t> ParsePublishedTime(std::string_view text);

// True if the bytes are valid UTF-8 (SIMD-accelerated).
bool IsValidUtf8(std::string_view bytes);

}  // namespace dedup

#endif  // DEDUP_CORPUS_H_
