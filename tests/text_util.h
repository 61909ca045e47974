// Made-up texts for the chrome tests: words of an invented language drawn from a seed, so
// that texts from different seeds share almost no word 3-grams (as different articles).
#ifndef DEDUP_TESTS_TEXT_UTIL_H_
#define DEDUP_TESTS_TEXT_UTIL_H_

#include <cstdint>
#include <string>

#include <gtest/gtest.h>

#include "dedup/normalize.h"

namespace dedup::testing {

// n words drawn from `seed`: different seeds, different texts.
inline std::string Words(uint64_t seed, int n) {
  static const char* kSyllables[] = {"ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "be", "du", "fe", "go", "hu", "ji"};
  std::string out;
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 12345;
  for (int w = 0; w < n; ++w) {
    if (w > 0) out += ' ';
    x ^= x >> 29, x *= 0xBF58476D1CE4E5B9ull, x ^= x >> 32;
    const int syllables = 2 + static_cast<int>(x % 3);
    for (int k = 0; k < syllables; ++k) out += kSyllables[(x >> (8 + 4 * k)) % 14];
  }
  return out;
}

// A distinct article body of two lines.
inline std::string Body(int i) {
  return Words(1000 + 2 * static_cast<uint64_t>(i), 14) + ".\n" + Words(1001 + 2 * static_cast<uint64_t>(i), 12) +
         ".\n";
}

// `text` tokenized (a failure of the test if it is not valid UTF-8).
inline TokenizedText Tok(const std::string& text) {
  TokenizedText t;
  EXPECT_TRUE(Tokenize(text, &t).ok());
  return t;
}

}  // namespace dedup::testing

#endif  // DEDUP_TESTS_TEXT_UTIL_H_
