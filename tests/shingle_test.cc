#include "dedup/shingle.h"

#include <gtest/gtest.h>
#include <xxhash.h>

#include <random>

namespace dedup {
namespace {

TokenizedText Tok(std::string_view s) {
  TokenizedText t;
  EXPECT_TRUE(Tokenize(s, &t).ok());
  return t;
}

std::vector<uint64_t> Hashes(std::string_view text, const ShingleOptions& o, uint64_t seed = 7) {
  std::vector<uint64_t> out;
  HashShingles(Tok(text), o, seed, &out);
  return out;
}

TEST(HashShingles, WordShinglesAreXxh3OfTheJoinedTokens) {
  auto h = Hashes("Xi arrives in Moscow, on Monday!", {ShingleKind::kWord, 5}, 7);
  ASSERT_EQ(h.size(), 2u);  // 6 tokens -> 6 - 5 + 1 shingles.
  const std::string first = "xi arrives in moscow on", second = "arrives in moscow on monday";
  EXPECT_EQ(h[0], XXH3_64bits_withSeed(first.data(), first.size(), 7));
  EXPECT_EQ(h[1], XXH3_64bits_withSeed(second.data(), second.size(), 7));
}

// Pinned: stored signatures and indexes depend on these exact values. If this test
// fails, the change breaks every index on disk: bump the sketch format version.
TEST(HashShingles, GoldenValue) {
  auto h = Hashes("Xi arrives in Moscow on", {ShingleKind::kWord, 5}, 1);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0], 9208203160141300396ull);
}

TEST(HashShingles, SeedChangesHashes) {
  EXPECT_NE(Hashes("a b c d e", {}, 1), Hashes("a b c d e", {}, 2));
}

TEST(HashShingles, ShortDocumentsGiveOneShingleEmptyGiveNone) {
  const ShingleOptions word5{ShingleKind::kWord, 5};
  EXPECT_EQ(Hashes("breaking news", word5).size(), 1u);
  EXPECT_EQ(Hashes("Breaking News!", word5), Hashes("breaking news", word5));
  EXPECT_TRUE(Hashes("", word5).empty());
  EXPECT_TRUE(Hashes("...", word5).empty());
  EXPECT_EQ(Hashes("one two three four five", word5).size(), 1u);
  EXPECT_EQ(Hashes("one two three four five six", word5).size(), 2u);
  // The same rule at the default size (word:3).
  EXPECT_EQ(Hashes("breaking news", {}).size(), 1u);
  EXPECT_TRUE(Hashes("", {}).empty());
  EXPECT_EQ(Hashes("one two three", {}).size(), 1u);
  EXPECT_EQ(Hashes("one two three four", {}).size(), 2u);
}

TEST(HashShingles, CharShinglesCountCodePoints) {
  // "абв где" is 7 code points (14 + 1 bytes); char:3 gives 5 shingles.
  auto h = Hashes("абв где", {ShingleKind::kChar, 3});
  EXPECT_EQ(h.size(), 5u);
  const std::string first = "абв";
  EXPECT_EQ(h[0], XXH3_64bits_withSeed(first.data(), first.size(), 7));
  EXPECT_EQ(Hashes("ab", {ShingleKind::kChar, 3}).size(), 1u);
}

TEST(HashShingles, CjkWordShinglesAreCharacterNgrams) {
  // Seven ideographs -> seven tokens -> three word 5-shingles.
  EXPECT_EQ(Hashes("习近平访问莫斯", {ShingleKind::kWord, 5}).size(), 3u);
}

TEST(ParseShingleSpec, AcceptsAndRejects) {
  auto w = ParseShingleSpec("word:3");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->kind, ShingleKind::kWord);
  EXPECT_EQ(w->size, 3);
  auto c = ParseShingleSpec("char:7");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->kind, ShingleKind::kChar);
  EXPECT_EQ(ShingleSpec(*c), "char:7");
  EXPECT_EQ(ParseShingleSpec("word")->size, kDefaultShingleSize);
  for (const char* bad : {"foo:3", "word:0", "word:65", "word:x", "word:", "word:3x", ""}) {
    auto r = ParseShingleSpec(bad);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_NE(ParseShingleSpec("word:0").status().message().find("out of range"), std::string::npos);
}

TEST(ExactJaccard, SmallSets) {
  std::vector<uint64_t> a{1, 2, 3, 4}, b{3, 4, 5}, empty;
  EXPECT_DOUBLE_EQ(ExactJaccard(a, b), 2.0 / 5.0);
  EXPECT_EQ(IntersectionSize(a, b), 2u);
  EXPECT_DOUBLE_EQ(ExactJaccard(a, a), 1.0);
  EXPECT_DOUBLE_EQ(ExactJaccard(a, empty), 0.0);
  EXPECT_DOUBLE_EQ(ExactJaccard(empty, empty), 0.0);
}

TEST(SortUnique, MatchesASetAlgorithm) {
  std::mt19937_64 rng(5);
  std::vector<uint64_t> v;
  for (int i = 0; i < 1000; ++i) v.push_back(rng() % 300);
  std::vector<uint64_t> expected(v);
  std::sort(expected.begin(), expected.end());
  expected.erase(std::unique(expected.begin(), expected.end()), expected.end());
  SortUnique(&v);
  EXPECT_EQ(v, expected);
}

}  // namespace
}  // namespace dedup
