#include "dedup/opening.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dedup/sketch.h"

namespace dedup {
namespace {

TEST(OpeningShingles, FirstDistinctInTextOrder) {
  std::vector<uint64_t> out, bits;
  OpeningShingles(std::vector<uint64_t>{7, 3, 7, 0, 9, 3, 0, 5, 11}, 4, &out, &bits);
  EXPECT_EQ(out, (std::vector<uint64_t>{7, 3, 0, 9}));
  // Nothing carries over to the next call: 7 and 3 count again.
  OpeningShingles(std::vector<uint64_t>{7, 3, 7}, 4, &out, &bits);  // Shorter than the opening.
  EXPECT_EQ(out, (std::vector<uint64_t>{7, 3}));
  OpeningShingles(std::vector<uint64_t>{}, 40, &out, &bits);
  EXPECT_TRUE(out.empty());
  // Values sharing their top bits (one bitmap bit) are told apart.
  const uint64_t top = uint64_t{1} << 63;
  OpeningShingles(std::vector<uint64_t>{top + 1, top + 2, top + 1, top + 3, top + 2}, 80, &out, &bits);
  EXPECT_EQ(out, (std::vector<uint64_t>{top + 1, top + 2, top + 3}));
}

std::string Words(int from, int to) {
  std::string s;
  for (int i = from; i < to; ++i) s += "w" + std::to_string(i * 7919 % 100003) + (i % 12 == 11 ? ".\n" : " ");
  return s;
}

int Agreeing(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
  int n = 0;
  for (size_t i = 0; i < a.size(); ++i) n += a[i] == b[i];
  return n;
}

// The sketcher signs the opening when asked: a truncated copy (the first 30% of the
// words) has the whole text's opening signature; a text that starts elsewhere in the
// article shares none of it. Without SketchOptions::opening there is no opening.
TEST(Sketcher, OpeningSignatureOfATruncatedCopy) {
  SketchOptions options;
  options.opening = {.shingles = 80, .num_perm = 32};
  auto sketcher = *Sketcher::Create(options);
  SketchScratch scratch;
  SketchedDocument whole, truncated, later;
  ASSERT_TRUE(sketcher.Sketch(Words(0, 600), false, &scratch, &whole).ok());
  ASSERT_TRUE(sketcher.Sketch(Words(0, 180), false, &scratch, &truncated).ok());
  ASSERT_TRUE(sketcher.Sketch(Words(300, 480), false, &scratch, &later).ok());
  ASSERT_EQ(whole.opening.size(), 32u);
  EXPECT_EQ(Agreeing(whole.opening, truncated.opening), 32);
  EXPECT_EQ(Agreeing(whole.opening, later.opening), 0);
  // The main signature's slots are independent of the opening's.
  EXPECT_NE(std::vector<uint32_t>(whole.signature.values().begin(), whole.signature.values().begin() + 32),
            whole.opening);

  auto plain = *Sketcher::Create(SketchOptions{});
  SketchedDocument d;
  ASSERT_TRUE(plain.Sketch(Words(0, 600), false, &scratch, &d).ok());
  EXPECT_TRUE(d.opening.empty());
}

}  // namespace
}  // namespace dedup
