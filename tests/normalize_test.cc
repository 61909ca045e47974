#include "dedup/normalize.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "dedup/internal/ascii_simd.h"
#include "tests/normalize_reference.h"
#include "utf8proc.h"

namespace dedup {
namespace {

using test::kRefOptions;
using test::RefClass;
using test::RefClassify;
using test::ReferenceTokenize;

std::vector<std::string> Tokens(std::string_view text) {
  TokenizedText t;
  absl::Status st = Tokenize(text, &t);
  EXPECT_TRUE(st.ok()) << st;
  std::vector<std::string> out;
  for (size_t i = 0; i < t.size(); ++i) out.emplace_back(t.token(i));
  return out;
}

using V = std::vector<std::string>;

TEST(Tokenize, LowercasesAndSplitsOnPunctuation) {
  EXPECT_EQ(Tokens("Xi arrives in MOSCOW, on Monday."), (V{"xi", "arrives", "in", "moscow", "on", "monday"}));
}

TEST(Tokenize, TypographicQuotesDashesAndSpacesDoNotChangeTokens) {
  // Quote style, dash style, non-breaking and double spaces, CRLF: the same tokens.
  const V expected = Tokens("Xi's visit - \"a friend\" ... said Putin");
  EXPECT_EQ(Tokens("Xi’s visit – “a friend” … said\u00A0Putin"), expected);
  EXPECT_EQ(Tokens("Xi's  visit —\r\n«a friend»\tsaid Putin"), expected);
}

TEST(Tokenize, NfkcAndCaseFolding) {
  EXPECT_EQ(Tokens("ＸＩ Ｊｉｎｐｉｎｇ"), (V{"xi", "jinping"}));   // Fullwidth forms.
  EXPECT_EQ(Tokens("ﬁnance"), (V{"finance"}));                 // Ligature.
  EXPECT_EQ(Tokens("STRASSE Straße"), (V{"strasse", "strasse"}));  // Full case folding.
  EXPECT_EQ(Tokens("ΠΟΥΤΙΝ Путин ПУТИН"), (V{"πουτιν", "путин", "путин"}));
}

TEST(Tokenize, CombiningMarksComposeAndStayInTheToken) {
  // "e" + combining acute == precomposed "é" after NFC composition.
  EXPECT_EQ(Tokens("Cafe\u0301 Zürich"), Tokens("Café Zu\u0308rich"));
  EXPECT_EQ(Tokens("Café"), (V{"café"}));
}

TEST(Tokenize, DefaultIgnorablesAreRemoved) {
  EXPECT_EQ(Tokens("Pu\u00ADtin"), (V{"putin"}));       // Soft hyphen.
  EXPECT_EQ(Tokens("Mos\u200Bcow"), (V{"moscow"}));     // Zero-width space.
}

TEST(Tokenize, UnspacedScriptsGiveOneTokenPerCharacter) {
  EXPECT_EQ(Tokens("习近平访问莫斯科"), (V{"习", "近", "平", "访", "问", "莫", "斯", "科"}));
  EXPECT_EQ(Tokens("カタカナ"), (V{"カ", "タ", "カ", "ナ"}));
  // Mixed: Latin words stay words next to ideographs.
  EXPECT_EQ(Tokens("Xi访问Moscow 2023年"), (V{"xi", "访", "问", "moscow", "2023", "年"}));
  // Thai: the combining vowel mark stays with its base character.
  EXPECT_EQ(Tokens("กิน"), (V{"กิ", "น"}));
}

TEST(Tokenize, EmptyAndPunctuationOnly) {
  EXPECT_TRUE(Tokens("").empty());
  EXPECT_TRUE(Tokens("  \n\t ").empty());
  EXPECT_TRUE(Tokens("— … “” !?").empty());
}

TEST(Tokenize, InvalidUtf8IsAnError) {
  TokenizedText t;
  EXPECT_EQ(Tokenize("abc \xFF\xFE def", &t).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Tokenize("\xC3", &t).code(), absl::StatusCode::kInvalidArgument);  // Truncated sequence.
}

TEST(Tokenize, TokensAreJoinedBySingleSpaces) {
  TokenizedText t;
  ASSERT_TRUE(Tokenize("  A,b;;C  ", &t).ok());
  EXPECT_EQ(t.text, "a b c");
  EXPECT_EQ(t.span(1, 2), "b c");
  ASSERT_TRUE(Tokenize("Ä, b", &t).ok());
  EXPECT_EQ(t.text, "ä b");
}

// ---------------------------------------------------------------------------------
// The oracle, ReferenceTokenize, is in normalize_reference.h (the normalize fuzzer
// compares with it too).

std::string Utf8(int32_t cp) {
  utf8proc_uint8_t buf[4];
  utf8proc_ssize_t n = utf8proc_encode_char(cp, buf);
  return std::string(reinterpret_cast<const char*>(buf), static_cast<size_t>(n));
}

// Shows bytes >= 0x80 and control bytes as \xNN, so failures are readable.
std::string Escaped(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7F) {
      out.push_back(static_cast<char>(c));
    } else {
      out += absl::StrFormat("\\x%02X", c);
    }
  }
  return out;
}

// Tokenize(text) == ReferenceTokenize(text): status, text, token and line starts.
::testing::AssertionResult SameAsReference(std::string_view text) {
  TokenizedText got, want;
  got.text = "stale";  // Tokenize must clear what was there.
  got.starts = {7};
  got.lines = {7};
  absl::Status got_status = Tokenize(text, &got);
  absl::Status want_status = ReferenceTokenize(text, &want);
  if (got_status != want_status) {
    return ::testing::AssertionFailure() << "input \"" << Escaped(text) << "\": status " << got_status
                                         << ", reference " << want_status;
  }
  if (got.text != want.text || got.starts != want.starts || got.lines != want.lines) {
    auto join = [](const std::vector<uint32_t>& v) {
      std::string s;
      for (uint32_t x : v) s += absl::StrFormat("%d ", x);
      return s;
    };
    return ::testing::AssertionFailure()
           << "input \"" << Escaped(text) << "\"\n  text   \"" << Escaped(got.text) << "\"\n  ref    \""
           << Escaped(want.text) << "\"\n  starts " << join(got.starts) << "\n  ref    " << join(want.starts)
           << "\n  lines  " << join(got.lines) << "\n  ref    " << join(want.lines);
  }
  return ::testing::AssertionSuccess();
}

// Code points that exercise every rule: separators that compose ('<' '=' '>' +
// U+0338), marks with different combining classes (reordering), compositions that
// cross a piece of ASCII letters, compatibility and case-folding expansions, default
// ignorables between a base and its mark, line breaks of both kinds, unspaced scripts,
// Hangul jamo that compose algorithmically, and typographic punctuation.
const std::vector<int32_t>& InterestingCodePoints() {
  static const auto* cps = new std::vector<int32_t>{
      // ASCII: letters, digits, the composing separators, other punctuation, controls.
      'a', 'e', 'A', 'Z', 'o', 'u', 'n', 'c', 's', 'i', 'k', '0', '7', '<', '=', '>', ' ', ' ', '.', ',', '\'',
      '-', '"', '!', '\t', '\n', '\r', '\v', '\f', 0x00, 0x7F, '_', '/',
      // Latin-1 and Latin Extended: precomposed, case-folding expansions, NBSP, µ, ª.
      0xE9, 0xC9, 0xFC, 0xDC, 0xDF, 0xC5, 0xF1, 0xE7, 0xFF, 0xA0, 0xB5, 0xAA, 0xBD, 0xB2, 0xAD, 0x130, 0x131,
      0x149, 0x17F, 0x1C5, 0x1E9E, 0x1E9B, 0x212A, 0x212B, 0x2126,
      // Combining marks: classes 230, 220, 1 (U+0338), 202, 240 (U+0345), 0 (Mc).
      0x301, 0x300, 0x308, 0x323, 0x327, 0x338, 0x345, 0x344, 0x340, 0x342, 0x20D2, 0x20E3, 0x093C, 0x0CC2,
      0x0CD5, 0x0DCA, 0x0DCF, 0x0B3E, 0x0BBE,
      // Greek and Cyrillic (final sigma, iota subscript), Indic bases.
      0x3A3, 0x3C3, 0x3C2, 0x391, 0x3B9, 0x1F80, 0x41F, 0x439, 0x0915, 0x0CC6, 0x0DD9, 0x0B47, 0x0BC6,
      // CJK, kana (with voicing marks), Thai (with its vowel marks), Hangul jamo/syllables.
      0x4E60, 0x8FD1, 0x5E73, 0x3042, 0x30AB, 0x3099, 0x309A, 0x30F3, 0x0E01, 0x0E34, 0x0E19, 0x0E48, 0x1100,
      0x1161, 0x11A7, 0x11A8, 0xAC00, 0xAC01, 0x3131, 0x20000, 0x2F800,
      // Fullwidth and halfwidth forms, ligatures, enclosed and compatibility forms.
      0xFF38, 0xFF49, 0xFF10, 0xFF01, 0xFF1D, 0xFF5E, 0xFF76, 0xFF9E, 0xFB01, 0xFB00, 0xFB03, 0xFB06, 0xFDFA,
      0x2460, 0x3250, 0x33A1, 0x2162, 0x2075, 0x2044,
      // Default ignorables: soft hyphen, zero-width space/joiners, BOM, variation selectors.
      0xAD, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0xFE0F, 0xE0001, 0x034F, 0x180B,
      // Line breaks and white space.
      0x85, 0x2028, 0x2029, 0x2003, 0x3000, 0x202F,
      // Typographic punctuation and symbols (composing ones: ≤ + U+0338, → + U+0338).
      0x2019, 0x2018, 0x201C, 0x201D, 0x2013, 0x2014, 0x2026, 0xAB, 0xBB, 0x2022, 0x20AC, 0x2264, 0x2192,
      0x2260, 0x3002, 0x300C, 0x1F600, 0x1F1E6,
  };
  return *cps;
}

std::string RandomText(std::mt19937_64& rng, size_t max_code_points) {
  const auto& cps = InterestingCodePoints();
  const size_t n = rng() % (max_code_points + 1);
  std::string s;
  for (size_t i = 0; i < n; ++i) s += Utf8(cps[rng() % cps.size()]);
  return s;
}

// Random ASCII (all 128 byte values): the byte loop alone.
void CheckRandomAscii() {
  std::mt19937_64 rng(42);
  for (int trial = 0; trial < 5000; ++trial) {
    std::string s;
    const size_t len = rng() % 64;
    for (size_t i = 0; i < len; ++i) s.push_back(static_cast<char>(rng() % 128));
    ASSERT_TRUE(SameAsReference(s));
  }
}
TEST(TokenizeEquivalence, RandomAsciiMatchesWholeTextAlgorithm) { CheckRandomAscii(); }

// Longer ASCII texts: the block loop (64-byte blocks) with words and separator runs
// of every length, including words longer than a block and line breaks everywhere.
void CheckRandomLongAscii() {
  std::mt19937_64 rng(64);
  // ASCII separators, and boundary code points that end a block run (quote, dash, line
  // separator, no-break space).
  std::vector<std::string> separators;
  for (char c : std::string(" ,.;:!?-'\"()\t\n\r\v\f\x01\x7f@[`{")) separators.push_back(std::string(1, c));
  for (const char* b : {"\u2019", "\u2014", "\u2028", "\u00A0"}) separators.push_back(b);
  for (int trial = 0; trial < 3000; ++trial) {
    std::string s;
    const size_t target = rng() % 700;
    while (s.size() < target) {
      // Word lengths 1..8 mostly, sometimes up to 150 (longer than two blocks).
      const size_t word = rng() % 8 == 0 ? 1 + rng() % 150 : 1 + rng() % 8;
      for (size_t i = 0; i < word; ++i) {
        const uint64_t r = rng() % 62;
        s.push_back(static_cast<char>(r < 26 ? 'a' + r : r < 52 ? 'A' + (r - 26) : '0' + (r - 52)));
      }
      const size_t gap = rng() % 4 == 0 ? rng() % 70 : 1 + rng() % 2;
      for (size_t i = 0; i < gap; ++i) s += separators[rng() % separators.size()];
    }
    ASSERT_TRUE(SameAsReference(s));
    // The same text after a non-ASCII word, so that it starts at other offsets.
    ASSERT_TRUE(SameAsReference("Zürich " + s.substr(0, rng() % (s.size() + 1)) + " naïve"));
  }
}
TEST(TokenizeEquivalence, RandomLongAsciiMatchesWholeTextAlgorithm) { CheckRandomLongAscii(); }

// The ASCII block loop has an AVX-512 VBMI2 kernel (taken above where the CPU has it)
// and a portable one: the portable one too.
TEST(TokenizeEquivalence, PortableAsciiLoopMatchesToo) {
  internal::AllowAsciiSimd(false);
  EXPECT_FALSE(internal::AsciiSimdActive());
  CheckRandomAscii();
  CheckRandomLongAscii();
  internal::AllowAsciiSimd(true);
}

TEST(TokenizeEquivalence, RandomTextMatchesWholeTextAlgorithm) {
  std::mt19937_64 rng(20240607);
  for (int trial = 0; trial < 20000; ++trial) {
    ASSERT_TRUE(SameAsReference(RandomText(rng, trial < 15000 ? 12 : 200)));
  }
}

// Words of news text with random typographic characters mixed in.
TEST(TokenizeEquivalence, RandomNewsLikeTextMatches) {
  std::mt19937_64 rng(7);
  const std::vector<std::string> words = {
      "Xi", "MOSCOW", "Zürich", "Cafe\u0301", "naïve", "Straße", "ﬁnance", "Ｘｉ", "Pu\u00ADtin", "Mos\u200Bcow",
      "习近平", "กิน", "Путин", "ΣΟΦΟΣ", "2023年", "x=\u0338y", "a<\u0338\u0301b", "\u0338e", "e\u0301\u0323",
      "ＡＢＣ！", "½", "İstanbul", "\u1100\u1161\u11A8", "ﷺ"};
  const std::vector<std::string> gaps = {" ", "  ", "’", "’s ", " “", "” ", " – ", " — ", "…", "\u00A0", "\n",
                                         "\r\n", "\u2028", "\u0085", "\n\n", ", ", ". ", "=", "\u0301 ", ""};
  for (int trial = 0; trial < 5000; ++trial) {
    std::string s;
    const size_t n = rng() % 40;
    for (size_t i = 0; i < n; ++i) {
      s += words[rng() % words.size()];
      s += gaps[rng() % gaps.size()];
    }
    ASSERT_TRUE(SameAsReference(s));
  }
}

// Every code point in several contexts: between ASCII letters; after 'e', which
// composes with many marks; before a mark of combining class 1, which is reordered
// before most others; before combining marks; after a composing separator and after
// marks; and next to starters that compose with starters (Hangul jamo, Kannada vowel
// signs), on either side.
TEST(TokenizeEquivalence, EveryCodePointInContext) {
  auto check_range = [](int32_t first, int32_t last) {
    for (int32_t cp = first; cp <= last; ++cp) {
      if (cp >= 0xD800 && cp <= 0xDFFF) continue;  // Surrogates are not valid UTF-8.
      const std::string c = Utf8(cp);
      for (const std::string& text : {"ab" + c + "cd", "xe" + c + "k", "x" + c + "\u0334y", "=" + c + "\u0301x", c + "\u0338\u0327.",
                                      "e\u0323" + c + "k", "\u1100" + c + "\u1161\u11A7", "\u0CC6" + c + "\u0CC2"}) {
        ASSERT_TRUE(SameAsReference(text));
      }
    }
  };
  check_range(0, 0x2FFFF);
  check_range(0xE0000, 0xE01FF);
}

TEST(TokenizeEquivalence, InvalidUtf8GivesTheSameError) {
  std::mt19937_64 rng(99);
  for (int trial = 0; trial < 5000; ++trial) {
    std::string s = RandomText(rng, 8);
    // Corrupt, truncate or insert bytes.
    const size_t edits = 1 + rng() % 3;
    for (size_t e = 0; e < edits && !s.empty(); ++e) {
      const size_t pos = rng() % s.size();
      switch (rng() % 3) {
        case 0: s[pos] = static_cast<char>(0x80 + rng() % 128); break;
        case 1: s.resize(pos); break;
        default: s.insert(pos, 1, static_cast<char>(0x80 + rng() % 128)); break;
      }
    }
    ASSERT_TRUE(SameAsReference(s));
  }
  for (std::string bad : {"\xED\xA0\x80", "\xC0\xAF", "\xE0\x80\xAF", "\xF4\x90\x80\x80", "ab\xF0\x9F\x98", "\x80"}) {
    ASSERT_TRUE(SameAsReference(bad));
    ASSERT_TRUE(SameAsReference("word " + bad + " word"));
  }
}

// The facts the word-by-word normalization rests on (normalize.cc's top comment),
// checked against utf8proc's own tables: every ASCII separator has combining class 0,
// maps to itself and is never the second element of a composition; a composition
// that starts with one ('=' + U+0338 -> U+2260) gives a separator that composes no
// further; ASCII letters and digits are simple code points.
TEST(TokenizeEquivalence, AsciiSeparatorsAreBoundaries) {
  std::vector<int32_t> second_elements;
  for (int32_t cp = 0; cp < 0x110000; ++cp) {
    const utf8proc_uint16_t ci = utf8proc_get_property(cp)->comb_index;
    if (ci != UINT16_MAX && ci >= 0x8000) second_elements.push_back(cp);
  }
  ASSERT_GT(second_elements.size(), 50u);
  int composing = 0;
  for (int32_t c = 0; c < 0x80; ++c) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const utf8proc_property_t* p = utf8proc_get_property(c);
    if (alnum) {  // Simple: maps to itself lower-cased, a starter that is no second element.
      EXPECT_EQ(p->combining_class, 0) << c;
      EXPECT_TRUE(p->comb_index == UINT16_MAX || p->comb_index < 0x8000) << c;
      utf8proc_int32_t mapped[8];
      int boundclass = 0;
      ASSERT_EQ(utf8proc_decompose_char(c, mapped, 8, kRefOptions, &boundclass), 1) << c;
      EXPECT_EQ(mapped[0], (c >= 'A' && c <= 'Z') ? c + 32 : c);
      EXPECT_EQ(RefClassify(c), RefClass::kWord) << c;
      continue;
    }
    EXPECT_EQ(p->combining_class, 0) << c;
    EXPECT_TRUE(p->comb_index == UINT16_MAX || p->comb_index < 0x8000) << c;
    EXPECT_EQ(RefClassify(c), RefClass::kSeparator) << c;
    utf8proc_int32_t mapped[8];
    int boundclass = 0;
    ASSERT_EQ(utf8proc_decompose_char(c, mapped, 8, kRefOptions, &boundclass), 1) << c;
    EXPECT_EQ(mapped[0], c);
    if (p->comb_index == UINT16_MAX) continue;
    for (int32_t m : second_elements) {
      utf8proc_int32_t buf[2] = {c, m};
      if (utf8proc_normalize_utf32(buf, 2, kRefOptions) != 1) continue;
      ++composing;
      EXPECT_EQ(RefClassify(buf[0]), RefClass::kSeparator) << c << " + " << m << " -> " << buf[0];
      EXPECT_EQ(utf8proc_get_property(buf[0])->comb_index, UINT16_MAX) << buf[0];
      EXPECT_EQ(utf8proc_get_property(buf[0])->combining_class, 0) << buf[0];
    }
  }
  EXPECT_EQ(composing, 3);  // '<', '=', '>' with U+0338.
  EXPECT_TRUE(SameAsReference("a=\u0338b"));
  EXPECT_EQ(Tokens("a=\u0338\u0301b x<\u0338y"), (V{"a", "b", "x", "y"}));
}

TEST(Tokenize, LineStarts) {
  TokenizedText t;
  ASSERT_TRUE(Tokenize("\n\nHeadline here\r\n  \nBy Jane\u2028Doe\u2029— ’\u0085x y", &t).ok());
  EXPECT_EQ(t.text, "headline here by jane doe x y");
  EXPECT_EQ(t.lines, (std::vector<uint32_t>{0, 2, 4, 5}));
  ASSERT_TRUE(Tokenize("", &t).ok());
  EXPECT_TRUE(t.lines.empty());
}

// Threads that meet code points for the first time at once (the boundary cache is
// filled on first use) all get the right tokens.
TEST(TokenizeEquivalence, ConcurrentFirstUse) {
  std::string text;
  for (int32_t cp = 0x80; cp < 0x10000; cp += 97) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    absl::StrAppend(&text, "x", Utf8(cp), "y ");  // Not "x" + ...: GCC 12 -O3 warns falsely (-Wrestrict).
  }
  TokenizedText want;
  ASSERT_TRUE(ReferenceTokenize(text, &want).ok());
  std::vector<std::thread> threads;
  std::vector<TokenizedText> got(4);
  for (auto& t : got) {
    threads.emplace_back([&text, &t] { EXPECT_TRUE(Tokenize(text, &t).ok()); });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& t : got) {
    EXPECT_EQ(t.text, want.text);
    EXPECT_EQ(t.starts, want.starts);
  }
}

// Long pieces (no ASCII separator for thousands of bytes) and long expansions.
TEST(TokenizeEquivalence, LongPiecesMatch) {
  std::string cjk, arabic, mixed;
  for (int i = 0; i < 3000; ++i) cjk += Utf8(0x4E00 + i % 500) + (i % 7 == 0 ? "\u3002" : "");
  for (int i = 0; i < 500; ++i) arabic += "\uFDFA";
  for (int i = 0; i < 2000; ++i) mixed += "e\u0301\u00AD";
  for (const std::string& s : {cjk, arabic, mixed, cjk + " " + arabic + "\n" + mixed}) {
    ASSERT_TRUE(SameAsReference(s));
  }
}

}  // namespace
}  // namespace dedup
