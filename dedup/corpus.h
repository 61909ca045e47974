// CorpusReader: streams Documents from JSONL files, folders, text files and stdin.
//
// Inputs, as the CLI takes them:
//   - a `.jsonl` / `.ndjson` file: one JSON object per line, `{"id": ..., "text": ...}`
//     (field names configurable; blank lines are ignored);
//   - a folder: every regular file below it (recursively, sorted by relative path)
//     is one document whose id is the path relative to the folder;
//   - any other file: one document whose id is the path as given;
//   - `-`: JSONL on standard input.
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
#ifndef DEDUP_CORPUS_H_
#define DEDUP_CORPUS_H_

#include <cstdint>
#include <functional>
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
  // HTML handling: kAuto converts files named *.html / *.htm and texts that look like
  // HTML (html.h: LooksLikeHtml), kOn converts every text, kOff none. Converted text
  // (HtmlToText) replaces the markup in Document::text.
  enum class Html { kAuto, kOn, kOff } html = Html::kAuto;
  // Read the input "-" from this file instead of standard input (messages still say
  // "<stdin>"): lets a two-pass reader spool stdin once.
  std::string stdin_path;
  // Receives one message per skipped line; defaults to stderr.
  std::function<void(const std::string&)> on_warning;
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

  // JSONL lines skipped so far under `skip_bad_lines`.
  virtual int64_t skipped_lines() const = 0;
  // Bytes of document text yielded so far.
  virtual int64_t text_bytes() const = 0;
};

// Unix seconds of an RFC 3339 time ("2023-03-20T06:40:00Z", "…+01:00", fractions
// allowed), "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS" (UTC). InvalidArgument otherwise.
absl::StatusOr<int64_t> ParsePublishedTime(std::string_view text);

// True if the bytes are valid UTF-8 (SIMD-accelerated).
bool IsValidUtf8(std::string_view bytes);

}  // namespace dedup

#endif  // DEDUP_CORPUS_H_
