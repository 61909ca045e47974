#include "dedup/normalize.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace dedup {
namespace {

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

// The ASCII fast path must give exactly what the Unicode path gives. Appending a
// non-ASCII separator (U+00A0) forces the Unicode path without changing the tokens.
TEST(Tokenize, AsciiFastPathAgreesWithUnicodePath) {
  std::mt19937_64 rng(42);
  for (int trial = 0; trial < 2000; ++trial) {
    std::string s;
    const size_t len = rng() % 64;
    for (size_t i = 0; i < len; ++i) s.push_back(static_cast<char>(rng() % 128));
    TokenizedText fast, slow;
    ASSERT_TRUE(Tokenize(s, &fast).ok());
    ASSERT_TRUE(Tokenize(s + "\u00A0", &slow).ok());
    ASSERT_EQ(fast.text, slow.text) << "input: " << s;
    ASSERT_EQ(fast.starts, slow.starts) << "input: " << s;
  }
}

}  // namespace
}  // namespace dedup
