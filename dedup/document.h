// Document: the unit dedup compares and groups.
//
// A Document is what an input reader yields: an id unique within a run, the
// text, and optional metadata a news aggregator has (the site it came from,
// when it was published, its URL). Only `id` and `text` are required.
//
// Example:
//   dedup::Document doc{.id = "reuters-123", .text = "Xi arrives in Moscow ..."};
#ifndef DEDUP_DOCUMENT_H_
#define DEDUP_DOCUMENT_H_

#include <cstdint>
#include <string>

namespace dedup {

// "No publication time known".
inline constexpr int64_t kNoTime = INT64_MIN;

struct Document {
  std::string id;
  std::string text;
  std::string source;     // Site or feed name; empty when unknown.
  std::string published;  // Publication time as given (RFC 3339); empty when unknown.
  int64_t published_time = kNoTime;  // `published` in Unix seconds, or kNoTime.
  std::string url;        // Empty when unknown.
};

// Where a document came from, for error messages and reports.
struct SourceLocation {
  std::string file;  // Path as given on the command line, or "<stdin>".
  int64_t line = 0;  // 1-based JSONL line; 0 for a whole-file document.

  std::string ToString() const {
    return line > 0 ? file + ":" + std::to_string(line) : file;
  }
};

}  // namespace dedup

#endif  // DEDUP_DOCUMENT_H_
