#include "dedup/corpus.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <system_error>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "dedup/html.h"
#include "dedup/internal/json_type_name.h"
#include "dedup/internal/line_reader.h"
#include "simdjson.h"

namespace dedup {
namespace {

using internal::JsonTypeName;

namespace fs = std::filesystem;

// Byte offset of the first invalid UTF-8 sequence (only called on the error path).
size_t FirstInvalidUtf8Offset(std::string_view s) {
  size_t i = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  while (i < s.size()) {
    unsigned char c = p[i];
    size_t len;
    uint32_t min_cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2, min_cp = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, min_cp = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, min_cp = 0x10000;
    } else {
      return i;
    }
    if (i + len > s.size()) return i;
    uint32_t cp = c & (0x7F >> len);
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if (cp < min_cp || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += len;
  }
  return s.size();
}

bool IsJsonlPath(const std::string& path) {
  auto ends_with = [&](std::string_view suffix) {
    return path.size() >= suffix.size() &&
           path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return ends_with(".jsonl") || ends_with(".ndjson");
}

// A name that says "one text document" (kept so, whatever the content).
bool IsTextPath(const std::string& path) {
  for (std::string_view suffix : {".txt", ".text", ".md", ".html", ".htm", ".xml"}) {
    if (path.size() >= suffix.size() && path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return true;
    }
  }
  return false;
}

// Whether a file whose name does not say what it holds is JSONL: its first non-blank
// line starts with '{' and names the text field ("text": ...) within its first 64 KiB.
// The parts `split` makes of a .jsonl file, and process substitutions of one, are.
bool LooksLikeJsonl(const std::string& open_path, const std::string& text_field) {
  std::ifstream in(open_path, std::ios::binary);
  if (!in) return false;
  std::string head(64 * 1024, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  size_t i = head.find_first_not_of(" \t\r\n");
  if (i == std::string::npos || head[i] != '{') return false;
  const size_t end = head.find('\n', i);
  const std::string_view line = std::string_view(head).substr(i, end == std::string::npos ? head.size() - i : end - i);
  const std::string key = "\"" + text_field + "\"";
  for (size_t at = line.find(key); at != std::string_view::npos; at = line.find(key, at + 1)) {
    const size_t colon = line.find_first_not_of(" \t", at + key.size());
    if (colon != std::string_view::npos && line[colon] == ':') return true;
  }
  return false;
}

// Whether an explicitly named regular file (not one found in a folder) whose name does
// not say JSONL holds it.
bool IsUnnamedJsonl(const std::string& path, const std::string& text_field) {
  return !IsTextPath(path) && LooksLikeJsonl(path, text_field);
}

bool IsBlank(std::string_view line) {
  return std::all_of(line.begin(), line.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

// Reads `path` whole; `name` is how messages call it. A file over `max_bytes` is an
// error (checked as it is read, so a pipe or a growing file is bounded too).
absl::StatusOr<std::string> ReadWholeFile(const std::string& path, int64_t max_bytes, const std::string& name) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::NotFoundError(absl::StrFormat("%s: cannot open: %s", name, std::strerror(errno)));
  }
  std::string data;
  char buf[1 << 16];
  while (true) {
    if (static_cast<int64_t>(data.size()) > max_bytes) {
      ::close(fd);
      return absl::ResourceExhaustedError(absl::StrFormat(
          "%s: the document is over --max-document-bytes %d", name, max_bytes));
    }
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return absl::DataLossError(absl::StrFormat("%s: read failed: %s", name, std::strerror(err)));
    }
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  if (static_cast<int64_t>(data.size()) > max_bytes) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "%s: the document is %d bytes, over --max-document-bytes %d", name, data.size(), max_bytes));
  }
  return data;
}

// Appends the regular files below `dir` (paths relative to the input folder, prefixed
// by `prefix`), skipping hidden entries (.git, .DS_Store) and not following symbolic
// links to folders. An error names the folder that could not be listed.
absl::Status ListFolder(const fs::path& dir, const std::string& prefix, std::vector<std::string>* files) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    const std::string rel = prefix.empty() ? name : prefix + "/" + name;
    std::error_code type_ec;
    if (it->is_directory(type_ec) && !it->is_symlink(type_ec)) {
      absl::Status st = ListFolder(it->path(), rel, files);
      if (!st.ok()) return st;
    } else if (it->is_regular_file(type_ec)) {
      files->push_back(rel);
    }
  }
  if (ec) return absl::NotFoundError(absl::StrFormat("%s: cannot list: %s", dir.string(), ec.message()));
  return absl::OkStatus();
}

// One input as resolved by Open().
struct Input {
  enum class Kind { kJsonl, kStdin, kTextFile, kFolder } kind;
  std::string path;                    // As given.
  std::string open_path;               // What to open: `path`, or its spooled copy;
                                       // empty for standard input itself.
  std::vector<std::string> folder_files;  // kFolder: relative paths, sorted.
};

// True if `s` is a JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
bool IsJsonNumber(std::string_view s) {
  size_t i = 0;
  auto digits = [&] {
    const size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i > start;
  };
  if (i < s.size() && s[i] == '-') ++i;
  if (i < s.size() && s[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < s.size() && s[i] == '.' && (++i, !digits())) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == s.size();
}

// `line` with every well-formed number outside strings replaced by 0. Every field dedup
// reads is a string, so a number is never used: one too large for a double (1e5000) or
// a 64-bit integer must not make the line "invalid JSON". Malformed numbers stay, and
// fail the re-parse as before.
std::string ZeroNumbers(std::string_view line) {
  std::string out;
  out.reserve(line.size());
  for (size_t i = 0; i < line.size();) {
    const char c = line[i];
    if (c == '"') {
      const size_t start = i++;
      while (i < line.size() && line[i] != '"') i += line[i] == '\\' ? 2 : 1;
      i = std::min(i + 1, line.size());
      out.append(line.substr(start, i - start));
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      const size_t start = i;
      while (i < line.size() && std::string_view("0123456789+-.eE").find(line[i]) != std::string_view::npos) ++i;
      const std::string_view token = line.substr(start, i - start);
      if (IsJsonNumber(token)) {
        out.push_back('0');
      } else {
        out.append(token);
      }
    } else {
      out.push_back(c);
      ++i;
    }
  }
  return out;
}

// Parses one JSONL line into *doc; an error's message lacks the "file:line: " prefix.
absl::Status ParseJsonLine(std::string_view line, const CorpusOptions& options, simdjson::dom::parser& parser,
                           std::vector<char>& padded, Document* doc) {
  padded.resize(line.size() + simdjson::SIMDJSON_PADDING);
  std::memcpy(padded.data(), line.data(), line.size());
  simdjson::dom::element root;
  simdjson::error_code err = parser.parse(padded.data(), line.size(), false).get(root);
  if (err == simdjson::NUMBER_ERROR || err == simdjson::NUMBER_OUT_OF_RANGE) {
    // Perhaps a number out of range in a field dedup does not read: parse the line
    // with its numbers zeroed; any other problem still fails (with the first error).
    const std::string zeroed = ZeroNumbers(line);
    padded.resize(zeroed.size() + simdjson::SIMDJSON_PADDING);
    std::memcpy(padded.data(), zeroed.data(), zeroed.size());
    if (!parser.parse(padded.data(), zeroed.size(), false).get(root)) err = simdjson::SUCCESS;
  }
  if (err == simdjson::UTF8_ERROR) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "invalid UTF-8 at byte %d of the line", FirstInvalidUtf8Offset(line)));
  }
  if (err) {
    return absl::InvalidArgumentError(
        absl::StrFormat("invalid JSON: %s", simdjson::error_message(err)));
  }
  simdjson::dom::object obj;
  if (root.get_object().get(obj)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("expected a JSON object, found %s", JsonTypeName(root.type())));
  }
  auto get_string = [&](const std::string& field, bool required,
                        std::string* out) -> absl::Status {
    simdjson::dom::element value;
    if (obj.at_key(field).get(value)) {
      if (required) return absl::InvalidArgumentError(absl::StrFormat("missing field \"%s\"", field));
      out->clear();
      return absl::OkStatus();
    }
    std::string_view sv;
    if (value.get_string().get(sv)) {
      if (!required && value.is_null()) {
        out->clear();
        return absl::OkStatus();
      }
      return absl::InvalidArgumentError(absl::StrFormat(
          "field \"%s\" is %s, expected a string", field, JsonTypeName(value.type())));
    }
    out->assign(sv.data(), sv.size());
    return absl::OkStatus();
  };
  absl::Status st = get_string(options.id_field, true, &doc->id);
  if (!st.ok()) return st;
  if (doc->id.empty()) {
    return absl::InvalidArgumentError(absl::StrFormat("field \"%s\" is empty", options.id_field));
  }
  st = get_string(options.text_field, true, &doc->text);
  if (!st.ok()) return st;
  st = get_string(options.source_field, false, &doc->source);
  if (!st.ok()) return st;
  st = get_string(options.published_field, false, &doc->published);
  if (!st.ok()) return st;
  doc->published_time = kNoTime;
  if (!doc->published.empty()) {
    absl::StatusOr<int64_t> t = ParsePublishedTime(doc->published);
    if (!t.ok()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("field \"%s\": %s", options.published_field, t.status().message()));
    }
    doc->published_time = *t;
  }
  return get_string(options.url_field, false, &doc->url);
}

class CorpusReaderImpl final : public CorpusReader {
 public:
  CorpusReaderImpl(std::vector<Input> inputs, CorpusOptions options)
      : inputs_(std::move(inputs)), options_(std::move(options)), parser_(options_) {
    if (!options_.on_warning) {
      options_.on_warning = [](const std::string& msg) { std::cerr << "dedup: warning: " << msg << "\n"; };
    }
  }
  ~CorpusReaderImpl() override { CloseCurrent(); }

  absl::StatusOr<bool> Next(Document* doc, SourceLocation* where) override;
  absl::StatusOr<bool> NextRecord(RawRecord* record) override;
  absl::StatusOr<bool> Accept(const RawRecord& record, const absl::Status& parsed, const Document& doc,
                              SourceLocation* where) override;
  int64_t skipped_lines() const override { return skipped_lines_; }
  int64_t text_bytes() const override { return text_bytes_; }

 private:
  // Opens the current JSONL input (a file or standard input).
  absl::Status OpenJsonl(const Input& in);
  void CloseCurrent() {
    line_reader_.reset();
    if (fd_ >= 0 && fd_ != STDIN_FILENO) ::close(fd_);
    fd_ = -1;
  }

  std::vector<Input> inputs_;
  CorpusOptions options_;
  size_t input_index_ = 0;
  size_t folder_pos_ = 0;
  bool input_open_ = false;
  int fd_ = -1;
  std::unique_ptr<internal::LineReader> line_reader_;
  int64_t line_number_ = 0;
  RecordParser parser_;  // Next()'s.
  RawRecord record_;     // Next()'s.
  int64_t skipped_lines_ = 0;
  int64_t text_bytes_ = 0;
  // id -> (input index, line) of its first occurrence.
  absl::flat_hash_map<std::string, std::pair<uint32_t, int64_t>> seen_ids_;
};

absl::Status CorpusReaderImpl::OpenJsonl(const Input& in) {
  if (in.open_path.empty()) {
    fd_ = STDIN_FILENO;
  } else {
    fd_ = ::open(in.open_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      const std::string spooled = in.open_path == in.path ? "" : " (spooled to " + in.open_path + ")";
      return absl::NotFoundError(absl::StrFormat("%s%s: cannot open: %s", in.path, spooled, std::strerror(errno)));
    }
  }
  line_reader_ = std::make_unique<internal::LineReader>(fd_, in.kind == Input::Kind::kStdin ? "<stdin>" : in.path,
                                                       size_t{1} << 20,
                                                       static_cast<size_t>(options_.max_document_bytes));
  line_number_ = 0;
  input_open_ = true;
  return absl::OkStatus();
}

absl::StatusOr<bool> CorpusReaderImpl::NextRecord(RawRecord* record) {
  while (input_index_ < inputs_.size()) {
    const Input& in = inputs_[input_index_];
    switch (in.kind) {
      case Input::Kind::kJsonl:
      case Input::Kind::kStdin: {
        if (!input_open_) {
          absl::Status st = OpenJsonl(in);
          if (!st.ok()) return st;
        }
        std::string_view line;
        while (true) {
          size_t too_long = 0;
          absl::StatusOr<bool> more = line_reader_->Next(&line, &too_long);
          if (!more.ok()) return more.status();
          if (!*more) break;
          ++line_number_;
          if (too_long > 0) {  // Parse() reports it; Accept() may skip it.
            record->bytes.clear();
            record->too_long = static_cast<int64_t>(too_long);
            record->where = SourceLocation{in.path, line_number_};
            record->file_id.clear();
            record->input = static_cast<uint32_t>(input_index_);
            return true;
          }
          record->too_long = 0;
          if (line_number_ == 1 && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);  // UTF-8 BOM.
          if (IsBlank(line)) continue;
          record->bytes.assign(line.data(), line.size());
          record->where = SourceLocation{in.path, line_number_};
          record->file_id.clear();
          record->input = static_cast<uint32_t>(input_index_);
          return true;
        }
        CloseCurrent();
        break;
      }
      case Input::Kind::kTextFile:
      case Input::Kind::kFolder: {
        const bool is_folder = in.kind == Input::Kind::kFolder;
        if (is_folder ? folder_pos_ < in.folder_files.size() : !input_open_) {
          std::string rel = is_folder ? in.folder_files[folder_pos_++] : in.path;
          std::string path = is_folder ? (fs::path(in.path) / rel).string() : in.path;
          input_open_ = true;
          absl::StatusOr<std::string> data =
              ReadWholeFile(is_folder ? path : in.open_path, options_.max_document_bytes, path);
          if (!data.ok()) return data.status();
          record->too_long = 0;
          record->bytes = std::move(*data);
          record->where = SourceLocation{std::move(path), 0};
          record->file_id = std::move(rel);
          record->input = static_cast<uint32_t>(input_index_);
          return true;
        }
        break;
      }
    }
    ++input_index_;
    folder_pos_ = 0;
    input_open_ = false;
  }
  return false;
}

absl::StatusOr<bool> CorpusReaderImpl::Accept(const RawRecord& record, const absl::Status& parsed,
                                              const Document& doc, SourceLocation* where) {
  if (!parsed.ok()) {
    if (!options_.skip_bad_lines || !record.is_jsonl_line()) return parsed;
    ++skipped_lines_;
    options_.on_warning(std::string(parsed.message()) + " (line skipped)");
    return false;
  }
  if (options_.reject_duplicate_ids) {
    auto [it, inserted] = seen_ids_.try_emplace(doc.id, std::make_pair(record.input, record.where.line));
    if (!inserted) {
      // A folder's document came from the file folder/id, not from the folder.
      const Input& first_input = inputs_[it->second.first];
      SourceLocation first{first_input.kind == Input::Kind::kFolder
                               ? (fs::path(first_input.path) / doc.id).string()
                               : first_input.path,
                           it->second.second};
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: duplicate id \"%s\" (first seen at %s)", record.where.ToString(), doc.id, first.ToString()));
    }
  }
  text_bytes_ += static_cast<int64_t>(doc.text.size());
  if (where != nullptr) *where = record.where;
  return true;
}

absl::StatusOr<bool> CorpusReaderImpl::Next(Document* doc, SourceLocation* where) {
  while (true) {
    absl::StatusOr<bool> more = NextRecord(&record_);
    if (!more.ok() || !*more) return more;
    const absl::Status parsed = parser_.Parse(&record_, doc);
    absl::StatusOr<bool> accepted = Accept(record_, parsed, *doc, where);
    if (!accepted.ok() || *accepted) return accepted;
  }
}

}  // namespace

struct RecordParser::Impl {
  CorpusOptions options;  // A copy: the parser may outlive the caller's.
  simdjson::dom::parser parser;
  std::vector<char> padded;
};

RecordParser::RecordParser(const CorpusOptions& options) : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
  impl_->options.on_warning = nullptr;  // Only Accept() warns.
}
RecordParser::~RecordParser() = default;
RecordParser::RecordParser(RecordParser&&) noexcept = default;
RecordParser& RecordParser::operator=(RecordParser&&) noexcept = default;

absl::Status RecordParser::Parse(RawRecord* record, Document* doc) {
  const CorpusOptions& options = impl_->options;
  *doc = Document{};
  const SourceLocation& loc = record->where;
  if (record->too_long > 0) {
    return absl::InvalidArgumentError(absl::StrFormat("%s:%d: the line is %d bytes, over --max-document-bytes %d",
                                                      loc.file, loc.line, record->too_long,
                                                      options.max_document_bytes));
  }
  if (record->is_jsonl_line()) {
    absl::Status st = ParseJsonLine(record->bytes, options, impl_->parser, impl_->padded, doc);
    if (!st.ok()) return absl::Status(st.code(), absl::StrFormat("%s:%d: %s", loc.file, loc.line, st.message()));
  } else {
    std::string_view text = record->bytes;
    const bool bom = text.substr(0, 3) == "\xEF\xBB\xBF";
    if (bom) text.remove_prefix(3);  // UTF-8 BOM.
    if (!IsValidUtf8(text)) {
      const std::string_view bytes = record->bytes;
      const size_t offset = FirstInvalidUtf8Offset(bytes);
      const auto line = 1 + std::count(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(offset), '\n');
      return absl::InvalidArgumentError(absl::StrFormat("%s:%d: invalid UTF-8 at byte %d", loc.file, line, offset));
    }
    doc->id = record->file_id;
    if (bom) {
      doc->text.assign(text.data(), text.size());
    } else {
      doc->text = std::move(record->bytes);
      record->bytes.clear();
    }
  }
  const bool html_name = !record->is_jsonl_line() && (loc.file.ends_with(".html") || loc.file.ends_with(".htm"));
  if (options.html == CorpusOptions::Html::kOn ||
      (options.html == CorpusOptions::Html::kAuto && (html_name || LooksLikeHtml(doc->text)))) {
    doc->text = HtmlToText(doc->text);
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> ParsePublishedTime(std::string_view text) {
  // absl::ParseTime's %Y takes any number of digits and a sign ("20202-04-29",
  // "-0001-01-01"), and years far enough out saturate to an infinite time whose Unix
  // seconds are INT64_MIN, i.e. kNoTime. RFC 3339 years have exactly four digits: check
  // that first (after the white space ParseTime skips). ParseTime also stops at a NUL
  // (JSON's \u0000): "2023-03-20\0garbage" would pass.
  if (text.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError("cannot parse time: it contains a NUL character");
  }
  size_t year = 0;
  while (year < text.size() && absl::ascii_isspace(static_cast<unsigned char>(text[year]))) ++year;
  const bool four_digit_year =
      text.size() >= year + 5 && text[year + 4] == '-' &&
      std::all_of(text.begin() + year, text.begin() + year + 4, [](char c) { return c >= '0' && c <= '9'; });
  absl::Time t;
  std::string err;
  const std::string s(text);
  if (four_digit_year &&
      (absl::ParseTime(absl::RFC3339_full, s, &t, &err) || absl::ParseTime("%Y-%m-%d", s, &t, &err) ||
       absl::ParseTime("%Y-%m-%d %H:%M:%S", s, &t, &err))) {
    return absl::ToUnixSeconds(t);
  }
  return absl::InvalidArgumentError(absl::StrFormat(
      "cannot parse time \"%s\" (expected RFC 3339, e.g. 2023-03-20T06:40:00Z, or YYYY-MM-DD)", text));
}

bool IsValidUtf8(std::string_view bytes) {
  return simdjson::validate_utf8(bytes.data(), bytes.size());
}

absl::StatusOr<std::unique_ptr<CorpusReader>> CorpusReader::Open(std::vector<std::string> inputs,
                                                                 CorpusOptions options) {
  if (inputs.empty()) return absl::InvalidArgumentError("no input given");
  if (options.id_field.empty() || options.text_field.empty()) {
    return absl::InvalidArgumentError("the id and text field names must not be empty");
  }
  std::vector<Input> resolved;
  int stdin_count = 0;
  for (std::string& path : inputs) {
    Input in;
    if (path == "-") {
      if (++stdin_count > 1) return absl::InvalidArgumentError("'-' (stdin) given more than once");
      in.kind = Input::Kind::kStdin;
      in.path = "<stdin>";
      if (auto it = options.spooled_inputs.find(path); it != options.spooled_inputs.end()) in.open_path = it->second;
      resolved.push_back(std::move(in));
      continue;
    }
    if (auto it = options.spooled_inputs.find(path); it != options.spooled_inputs.end()) {
      // Pipes and FIFOs keep their name's kind (their content is not looked at: a run
      // that reads them once, unspooled, could not look without consuming it).
      in.kind = options.input_format == CorpusOptions::InputFormat::kJsonl ||
                        (options.input_format == CorpusOptions::InputFormat::kAuto && IsJsonlPath(path))
                    ? Input::Kind::kJsonl
                    : Input::Kind::kTextFile;
      in.path = path;
      in.open_path = it->second;
      resolved.push_back(std::move(in));
      continue;
    }
    std::error_code ec;
    fs::file_status status = fs::status(path, ec);
    if (ec || !fs::exists(status)) {
      return absl::NotFoundError(absl::StrFormat("%s: no such file or folder", path));
    }
    in.path = path;
    in.open_path = path;
    if (fs::is_directory(status)) {
      in.kind = Input::Kind::kFolder;
      absl::Status listed = ListFolder(path, "", &in.folder_files);
      if (!listed.ok()) return listed;
      std::sort(in.folder_files.begin(), in.folder_files.end());
    } else if (options.input_format != CorpusOptions::InputFormat::kAuto) {
      in.kind = options.input_format == CorpusOptions::InputFormat::kJsonl ? Input::Kind::kJsonl
                                                                           : Input::Kind::kTextFile;
    } else if (IsJsonlPath(path)) {
      in.kind = Input::Kind::kJsonl;
    } else if (fs::is_regular_file(status) && IsUnnamedJsonl(path, options.text_field)) {
      in.kind = Input::Kind::kJsonl;
      const std::string note = absl::StrFormat(
          "%s: read as JSONL: its first line is a JSON object with \"%s\" (--input-format text reads it as one "
          "document)",
          path, options.text_field);
      if (options.on_warning) {
        options.on_warning(note);
      } else {
        std::cerr << "dedup: note: " << note << "\n";
      }
    } else {
      in.kind = Input::Kind::kTextFile;
    }
    resolved.push_back(std::move(in));
  }
  return std::unique_ptr<CorpusReader>(new CorpusReaderImpl(std::move(resolved), std::move(options)));
}

}  // namespace dedup
