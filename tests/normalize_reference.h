// The oracle for dedup::Tokenize: the original whole-text algorithm, kept verbatim (but
// for names) from before Tokenize learnt to normalize word by word. It maps the whole
// text with utf8proc_map and classifies the code points of the result: the definition
// of the rules in dedup/normalize.h. Tokenize must give the same text, token starts,
// line starts and errors on every input (normalize_test on random and exhaustive
// inputs, tests/fuzz/normalize_fuzzer.cc on the fuzzer's).
#ifndef DEDUP_TESTS_NORMALIZE_REFERENCE_H_
#define DEDUP_TESTS_NORMALIZE_REFERENCE_H_

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "dedup/normalize.h"
#include "utf8proc.h"

namespace dedup::test {

inline bool RefIsUnspacedScript(int32_t cp) {
  return (cp >= 0x0E00 && cp <= 0x0EFF) || (cp >= 0x1000 && cp <= 0x109F) || (cp >= 0x1780 && cp <= 0x17FF) ||
         (cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x31F0 && cp <= 0x31FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x3FFFF);
}

enum class RefClass { kSeparator, kWord, kMark, kUnspaced };

inline RefClass RefClassify(int32_t cp) {
  switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
      return RefIsUnspacedScript(cp) ? RefClass::kUnspaced : RefClass::kWord;
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
      return RefClass::kMark;
    default:
      return RefClass::kSeparator;
  }
}

inline bool RefIsLineBreak(int32_t cp) {
  return cp == '\n' || cp == '\r' || cp == '\v' || cp == '\f' || cp == 0x85 || cp == 0x2028 || cp == 0x2029;
}

inline void RefStartToken(TokenizedText* out, bool* new_line) {
  if (!out->text.empty()) out->text.push_back(' ');
  if (*new_line) {
    out->lines.push_back(static_cast<uint32_t>(out->starts.size()));
    *new_line = false;
  }
  out->starts.push_back(static_cast<uint32_t>(out->text.size()));
}

inline constexpr utf8proc_option_t kRefOptions = static_cast<utf8proc_option_t>(
    UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE);

// The old Unicode path (the old ASCII fast path was tested equal to it).
inline absl::Status ReferenceTokenize(std::string_view utf8, TokenizedText* out) {
  out->clear();
  utf8proc_uint8_t* mapped_raw = nullptr;
  utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(utf8.data()),
                                    static_cast<utf8proc_ssize_t>(utf8.size()), &mapped_raw, kRefOptions);
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> mapped(mapped_raw, &std::free);
  if (n < 0) {
    return absl::InvalidArgumentError(absl::StrFormat("text cannot be normalized: %s", utf8proc_errmsg(n)));
  }
  const utf8proc_uint8_t* p = mapped.get();
  utf8proc_ssize_t remaining = n;
  RefClass open = RefClass::kSeparator;
  bool new_line = true;
  while (remaining > 0) {
    utf8proc_int32_t cp;
    utf8proc_ssize_t len = utf8proc_iterate(p, remaining, &cp);
    if (len <= 0) return absl::InvalidArgumentError("text is not valid UTF-8");
    RefClass cls = RefClassify(cp);
    const bool start_new = cls == RefClass::kUnspaced || (cls == RefClass::kWord && open != RefClass::kWord);
    if (cls == RefClass::kSeparator) {
      open = RefClass::kSeparator;
      if (RefIsLineBreak(cp)) new_line = true;
    } else if (cls == RefClass::kMark && open == RefClass::kSeparator) {
      // A mark with no base character is dropped.
    } else {
      if (start_new) {
        RefStartToken(out, &new_line);
        open = cls;
      }
      out->text.append(reinterpret_cast<const char*>(p), static_cast<size_t>(len));
    }
    p += len;
    remaining -= len;
  }
  return absl::OkStatus();
}

}  // namespace dedup::test

#endif  // DEDUP_TESTS_NORMALIZE_REFERENCE_H_
