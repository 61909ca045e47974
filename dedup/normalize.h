// Text normalization and tokenization: the first stage of every comparison.
//
// Tokenize() turns UTF-8 text into a sequence of word tokens, written into one
// string separated by single spaces:
//   1. Unicode NFKC with case folding (utf8proc), and default-ignorable code points
//      (soft hyphens, zero-width spaces) removed. "Ｘｉ’s ﬁrst" -> "xi's first".
//   2. Tokens are maximal runs of letters, marks and digits (Unicode categories
//      L*, M*, N*). Everything else -- punctuation, typographic quotes, dashes,
//      ellipses, symbols, all kinds of white space -- separates tokens, so quote
//      style and spacing never change the tokens: "Xi’s — visit" and "Xi's - visit"
//      both give "xi s visit".
//   3. Scripts written without spaces between words (Han, Hiragana, Katakana,
//      Thai, Lao, Khmer, Myanmar) give one token per character (with any combining
//      marks that follow it), so Chinese text shingles as character n-grams.
// The result is defined as if the whole text were normalized at once, but only words
// holding non-ASCII letters, digits or marks go through utf8proc, one word at a time;
// ASCII text goes through a loop over 64-byte blocks (SSE2 classification, one copy per
// token), and typographic quotes, dashes and other boundary code points end a block run
// (normalize.cc says why that gives the same tokens; normalize_test compares it with the
// whole-text algorithm on random and exhaustive inputs).
//
// The rules are versioned: kNormalizationVersion is part of every signature's
// parameter fingerprint, so signatures made under different rules are never compared.
//
// Example:
//   dedup::TokenizedText t;
//   absl::Status s = dedup::Tokenize("Xi’s visit to MOSCOW", &t);
//   // t.text == "xi s visit to moscow", t.size() == 5, t.token(3) == "to"
#ifndef DEDUP_NORMALIZE_H_
#define DEDUP_NORMALIZE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace dedup {

// Bump when any rule above changes the tokens of some text.
inline constexpr int kNormalizationVersion = 1;

// Tokens of a text, stored as one string "tok1 tok2 ..." plus token start offsets,
// and where the text's lines begin (line breaks: LF, CR, VT, FF, U+0085, U+2028, U+2029;
// lines without tokens are not recorded). Lines are the units of boilerplate removal.
struct TokenizedText {
  std::string text;              // Tokens joined by single ASCII spaces.
  std::vector<uint32_t> starts;  // Byte offset of each token in `text`.
  std::vector<uint32_t> lines;   // Index of the first token of each line with tokens.

  size_t size() const { return starts.size(); }
  bool empty() const { return starts.empty(); }
  // Byte offset one past the end of token i.
  size_t end(size_t i) const { return i + 1 < starts.size() ? starts[i + 1] - 1 : text.size(); }
  std::string_view token(size_t i) const {
    return std::string_view(text).substr(starts[i], end(i) - starts[i]);
  }
  // Tokens [first, first + count) as one view, separated by single spaces.
  std::string_view span(size_t first, size_t count) const {
    return std::string_view(text).substr(starts[first], end(first + count - 1) - starts[first]);
  }
  // Tokens of line i: [lines[i], line_end(i)).
  size_t line_end(size_t i) const { return i + 1 < lines.size() ? lines[i + 1] : starts.size(); }
  void clear() {
    text.clear();
    starts.clear();
    lines.clear();
  }
};

// Normalizes and tokenizes `utf8` into *out (cleared first). Cost: O(bytes); no heap
// allocation but growing *out's buffers (reuse *out to avoid even that), rarely one
// for a word longer than 256 code points, and a process-wide cache of which code points
// are boundaries, filled 256 code points at a time on first use. Thread-safe.
// Returns InvalidArgument (and an empty *out) if `utf8` is not valid UTF-8.
absl::Status Tokenize(std::string_view utf8, TokenizedText* out);

// Whether code point `cp` belongs to a script written without spaces between words
// (rule 3 above: Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar), whose characters
// are tokens of their own. The one definition the story tier (story_terms.h) shares.
bool IsUnspacedCodePoint(int32_t cp);

}  // namespace dedup

#endif  // DEDUP_NORMALIZE_H_
