#include "dedup/normalize.h"

#include <cstdlib>
#include <cstring>
#include <memory>

#include "absl/strings/str_format.h"
#include "utf8proc.h"

namespace dedup {
namespace {

// Scripts written without spaces between words: one token per character.
bool IsUnspacedScript(int32_t cp) {
  return (cp >= 0x0E00 && cp <= 0x0EFF) ||    // Thai, Lao
         (cp >= 0x1000 && cp <= 0x109F) ||    // Myanmar
         (cp >= 0x1780 && cp <= 0x17FF) ||    // Khmer
         (cp >= 0x3040 && cp <= 0x30FF) ||    // Hiragana, Katakana
         (cp >= 0x31F0 && cp <= 0x31FF) ||    // Katakana phonetic extensions
         (cp >= 0x3400 && cp <= 0x4DBF) ||    // CJK extension A
         (cp >= 0x4E00 && cp <= 0x9FFF) ||    // CJK unified ideographs
         (cp >= 0xF900 && cp <= 0xFAFF) ||    // CJK compatibility ideographs
         (cp >= 0x20000 && cp <= 0x3FFFF);    // CJK extensions B..H
}

enum class CharClass { kSeparator, kWord, kMark, kUnspaced };

CharClass Classify(int32_t cp) {
  switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
      return IsUnspacedScript(cp) ? CharClass::kUnspaced : CharClass::kWord;
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
      return CharClass::kMark;
    default:
      return CharClass::kSeparator;
  }
}

// Appends tokens of pure-ASCII text: [A-Za-z0-9]+ lower-cased. Must agree with the
// Unicode path on ASCII input (tested).
bool IsLineBreak(int32_t cp) {
  return cp == '\n' || cp == '\r' || cp == '\v' || cp == '\f' || cp == 0x85 || cp == 0x2028 || cp == 0x2029;
}

// Starts a token, and a line if a line break came before it.
inline void StartToken(TokenizedText* out, bool* new_line) {
  if (!out->text.empty()) out->text.push_back(' ');
  if (*new_line) {
    out->lines.push_back(static_cast<uint32_t>(out->starts.size()));
    *new_line = false;
  }
  out->starts.push_back(static_cast<uint32_t>(out->text.size()));
}

void TokenizeAscii(std::string_view s, TokenizedText* out) {
  bool in_token = false;
  bool new_line = true;
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
    if (alnum) {
      if (!in_token) {
        StartToken(out, &new_line);
        in_token = true;
      }
      out->text.push_back(static_cast<char>(c | ((c >= 'A' && c <= 'Z') ? 0x20 : 0)));
    } else {
      in_token = false;
      if (c == '\n' || c == '\r' || c == '\v' || c == '\f') new_line = true;
    }
  }
}

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};

}  // namespace

absl::Status Tokenize(std::string_view utf8, TokenizedText* out) {
  out->clear();
  out->text.reserve(utf8.size());
  bool ascii = true;
  for (char c : utf8) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    TokenizeAscii(utf8, out);
    return absl::OkStatus();
  }

  utf8proc_uint8_t* mapped_raw = nullptr;
  utf8proc_ssize_t n = utf8proc_map(
      reinterpret_cast<const utf8proc_uint8_t*>(utf8.data()), static_cast<utf8proc_ssize_t>(utf8.size()),
      &mapped_raw,
      static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT |
                                     UTF8PROC_CASEFOLD | UTF8PROC_IGNORE));
  std::unique_ptr<utf8proc_uint8_t, FreeDeleter> mapped(mapped_raw);
  if (n < 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("text cannot be normalized: %s", utf8proc_errmsg(n)));
  }

  const utf8proc_uint8_t* p = mapped.get();
  utf8proc_ssize_t remaining = n;
  // The kind of token open at the current position: kSeparator when none.
  CharClass open = CharClass::kSeparator;
  bool new_line = true;
  while (remaining > 0) {
    utf8proc_int32_t cp;
    utf8proc_ssize_t len = utf8proc_iterate(p, remaining, &cp);
    if (len <= 0) return absl::InvalidArgumentError("text is not valid UTF-8");
    CharClass cls = Classify(cp);
    const bool start_new = cls == CharClass::kUnspaced ||
                           (cls == CharClass::kWord && open != CharClass::kWord);
    if (cls == CharClass::kSeparator) {
      open = CharClass::kSeparator;
      if (IsLineBreak(cp)) new_line = true;
    } else if (cls == CharClass::kMark && open == CharClass::kSeparator) {
      // A mark with no base character is dropped.
    } else {
      if (start_new) {
        StartToken(out, &new_line);
        open = cls;
      }
      out->text.append(reinterpret_cast<const char*>(p), static_cast<size_t>(len));
    }
    p += len;
    remaining -= len;
  }
  return absl::OkStatus();
}

}  // namespace dedup
