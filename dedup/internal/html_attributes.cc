#include "dedup/internal/html_attributes.h"

#include <algorithm>

namespace dedup::internal {
namespace {

// libxml2's IS_BLANK_CH and the characters of htmlParseHTMLName.
bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsNameStart(char c) { return IsLetter(c) || c == '_' || c == ':' || c == '.'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9') || c == '-'; }

// libxml2 reads at most this many bytes of a name (HTML_PARSER_BUFFER_SIZE); the rest
// starts the next attribute.
constexpr size_t kMaxNameBytes = 100;

// Case-insensitive search for `needle` (lower case) in html[from, end); end if absent.
size_t FindNoCase(std::string_view html, size_t from, std::string_view needle) {
  if (needle.size() > html.size()) return html.size();
  for (size_t i = from; i + needle.size() <= html.size(); ++i) {
    i = html.find('<', i);  // Every needle starts with '<'.
    if (i == std::string_view::npos || i + needle.size() > html.size()) return html.size();
    bool match = true;
    for (size_t k = 1; k < needle.size() && match; ++k) {
      char c = html[i + k];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      match = c == needle[k];
    }
    if (match) return i;
  }
  return html.size();
}

bool EqualsNoCase(std::string_view a, std::string_view lower) {
  return a.size() == lower.size() &&
         std::equal(a.begin(), a.end(), lower.begin(), [](char x, char y) {
           return (x >= 'A' && x <= 'Z' ? static_cast<char>(x - 'A' + 'a') : x) == y;
         });
}

}  // namespace

std::string_view LimitHtmlAttributes(std::string_view html, size_t max_attributes, std::string* storage,
                                     HtmlAttributeStats* stats) {
  const size_t n = html.size();
  HtmlAttributeStats local;
  bool copying = false;  // *storage holds html[0, copied) minus what was dropped.
  size_t copied = 0;
  auto at = [&](size_t i) { return i < n ? html[i] : '\0'; };  // NUL: libxml2's end.
  size_t i = 0;
  while (i < n) {
    const size_t lt = html.find('<', i);
    if (lt == std::string_view::npos) break;
    if (html.compare(lt, 4, "<!--") == 0) {  // A comment: nothing inside is a tag.
      const size_t end = html.find("-->", lt + 4);
      i = end == std::string_view::npos ? n : end + 3;
      continue;
    }
    // End tags, processing instructions and doctypes: libxml2 skips to the next '>'
    // (so "</a<p x>" is one end tag, not a start tag). A bare "</" or "<?" is skipped.
    const bool end_tag = at(lt + 1) == '/' && IsNameStart(at(lt + 2));
    const bool pi = at(lt + 1) == '?' && (IsNameStart(at(lt + 2)) || static_cast<unsigned char>(at(lt + 2)) >= 0x80);
    const bool doctype = at(lt + 1) == '!' && n - lt >= 9 && EqualsNoCase(html.substr(lt + 2, 7), "doctype");
    if (end_tag || pi || doctype) {
      i = lt + 2;
      while (at(i) != '\0' && at(i) != '>') ++i;
      continue;
    }
    if (!IsLetter(at(lt + 1))) {
      i = at(lt + 1) == '/' || at(lt + 1) == '?' ? lt + 2 : lt + 1;
      continue;
    }
    // A start tag: its name, then attributes until '>', "/>", NUL or the end.
    ++local.start_tags;
    size_t p = lt + 1;
    const size_t name_begin = p;
    while (p < n && p - name_begin < kMaxNameBytes && IsNameChar(html[p])) ++p;
    const std::string_view name = html.substr(name_begin, p - name_begin);
    while (IsBlank(at(p))) ++p;
    size_t attributes = 0;
    size_t keep_end = 0;  // Where the kept attributes end, once max_attributes is reached.
    while (at(p) != '\0' && at(p) != '>' && !(at(p) == '/' && at(p + 1) == '>')) {
      if (IsNameStart(at(p))) {
        const size_t attr_begin = p;
        while (p < n && p - attr_begin < kMaxNameBytes && IsNameChar(html[p])) ++p;
        while (IsBlank(at(p))) ++p;
        if (at(p) == '=') {
          ++p;
          while (IsBlank(at(p))) ++p;
          const char quote = at(p);
          if (quote == '"' || quote == '\'') {
            ++p;
            while (at(p) != '\0' && at(p) != quote) ++p;
            if (at(p) == quote) ++p;
          } else {
            while (at(p) != '\0' && at(p) != '>' && !IsBlank(at(p))) ++p;
          }
        }
      } else {  // Bogus: libxml2 skips to white space or the tag's end.
        while (at(p) != '\0' && !IsBlank(at(p)) && at(p) != '>' && !(at(p) == '/' && at(p + 1) == '>')) ++p;
      }
      while (IsBlank(at(p))) ++p;
      if (++attributes == max_attributes) keep_end = p;
    }
    if (attributes > max_attributes) {
      ++local.truncated_tags;
      local.dropped_attributes += attributes - max_attributes;
      if (!copying) {
        storage->clear();
        storage->reserve(n);
        copying = true;
      }
      // max_attributes == 0 keeps none: the cut starts right after the name's blanks.
      if (max_attributes == 0) keep_end = lt + 1 + name.size();
      storage->append(html.substr(copied, keep_end - copied));
      copied = p;
    }
    i = std::max(p, lt + 1);
    // The raw text of script and style ends only at their end tag ("<script/>" has none).
    // libxml2 stops the raw text at any "</style..." but an end tag with a longer name
    // ("</stylex>") closes nothing, and the raw text goes on after it.
    if (at(p) == '>' && (EqualsNoCase(name, "script") || EqualsNoCase(name, "style"))) {
      const std::string_view end = EqualsNoCase(name, "script") ? "</script" : "</style";
      do {
        i = FindNoCase(html, i + 1, end);
      } while (i < n && IsNameChar(at(i + end.size())));
    }
  }
  if (stats != nullptr) {
    stats->start_tags += local.start_tags;
    stats->truncated_tags += local.truncated_tags;
    stats->dropped_attributes += local.dropped_attributes;
  }
  if (!copying) return html;
  storage->append(html.substr(copied));
  return *storage;
}

}  // namespace dedup::internal
