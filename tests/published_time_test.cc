// Tests of ParsePublishedTime (dedup/corpus.h), the parser of JSONL `published` fields.
// Every expected value is an independently known Unix time, computed with GNU date:
//   date -u -d "<the time>" +%s
// and written here as a literal; none is computed with the function under test.
#include <cstdint>
#include <string>

#include <gtest/gtest.h>

#include "dedup/corpus.h"
#include "dedup/document.h"

namespace dedup {
namespace {

// The time, or a sentinel that no test expects when parsing fails.
int64_t Parse(const std::string& text) {
  absl::StatusOr<int64_t> t = ParsePublishedTime(text);
  return t.ok() ? *t : kNoTime;
}

bool Rejected(const std::string& text) {
  absl::StatusOr<int64_t> t = ParsePublishedTime(text);
  return !t.ok() && t.status().code() == absl::StatusCode::kInvalidArgument;
}

TEST(ParsePublishedTime, Rfc3339Utc) {
  EXPECT_EQ(Parse("2023-03-20T06:40:00Z"), 1679294400);  // date -u -d 2023-03-20T06:40:00Z +%s
  EXPECT_EQ(Parse("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(Parse("1969-12-31T23:59:59Z"), -1);
  // RFC 3339 allows a lower-case t and z.
  EXPECT_EQ(Parse("2023-03-20t06:40:00z"), 1679294400);
}

TEST(ParsePublishedTime, Offsets) {
  EXPECT_EQ(Parse("2023-03-20T06:40:00+01:00"), 1679290800);  // 05:40 UTC
  EXPECT_EQ(Parse("2023-03-20T06:40:00-05:30"), 1679314200);  // 12:10 UTC
  EXPECT_EQ(Parse("2023-03-20T23:30:00-05:30"), 1679374800);  // 2023-03-21T05:00Z: the next day
  EXPECT_EQ(Parse("2023-03-20T06:40:00+14:00"), 1679244000);  // 2023-03-19T16:40Z
  EXPECT_EQ(Parse("2023-03-20T06:40:00-12:00"), 1679337600);
  EXPECT_EQ(Parse("2023-03-20T06:40:00+00:00"), 1679294400);
  EXPECT_TRUE(Rejected("2023-03-20T06:40:00+24:00"));  // Offset hours are 00-23.
  EXPECT_TRUE(Rejected("2023-03-20T06:40:00+01:60"));
  EXPECT_TRUE(Rejected("2023-03-20T06:40:00+0100x"));
}

TEST(ParsePublishedTime, FractionalSecondsRoundDown) {
  EXPECT_EQ(Parse("2023-03-20T06:40:00.5Z"), 1679294400);
  EXPECT_EQ(Parse("2023-03-20T06:40:00.999999999Z"), 1679294400);
  EXPECT_EQ(Parse("2023-03-20T06:40:00.123+01:00"), 1679290800);
  // Before 1970 "down" is toward the past: 1969-12-31T23:59:59.5Z is in second -1.
  EXPECT_EQ(Parse("1969-12-31T23:59:59.5Z"), -1);
  EXPECT_TRUE(Rejected("2023-03-20T06:40:00.Z"));
}

TEST(ParsePublishedTime, DatesAndSpaceSeparatedTimesAreUtc) {
  EXPECT_EQ(Parse("2023-03-01"), 1677628800);
  EXPECT_EQ(Parse("2023-03-20 06:40:00"), 1679294400);
  EXPECT_EQ(Parse("1900-02-28"), -2203977600);
}

TEST(ParsePublishedTime, LeapDays) {
  EXPECT_EQ(Parse("2024-02-29"), 1709164800);
  EXPECT_EQ(Parse("2024-02-29T12:34:56Z"), 1709210096);
  EXPECT_EQ(Parse("2000-02-29"), 951782400);  // Divisible by 400: a leap year.
  EXPECT_TRUE(Rejected("2023-02-29"));
  EXPECT_TRUE(Rejected("2023-02-29T00:00:00Z"));
  EXPECT_TRUE(Rejected("1900-02-29"));  // Divisible by 100, not by 400: not a leap year.
  EXPECT_TRUE(Rejected("2100-02-29"));
  EXPECT_TRUE(Rejected("2024-02-30"));
  EXPECT_TRUE(Rejected("2023-04-31"));
  EXPECT_TRUE(Rejected("2023-13-01"));
  EXPECT_TRUE(Rejected("2023-00-10"));
  EXPECT_TRUE(Rejected("2023-01-00"));
}

TEST(ParsePublishedTime, TimeOfDayLimits) {
  EXPECT_EQ(Parse("2023-03-20T23:59:59Z"), 1679356799);  // date -u -d 2023-03-20T23:59:59Z +%s
  // A leap second counts as the next minute's first (06:41:00Z).
  EXPECT_EQ(Parse("2023-03-20T06:40:60Z"), 1679294460);
  EXPECT_TRUE(Rejected("2023-03-20T24:00:00Z"));
  EXPECT_TRUE(Rejected("2023-03-20T06:60:00Z"));
  EXPECT_TRUE(Rejected("2023-03-20T06:40:61Z"));
}

TEST(ParsePublishedTime, YearRange) {
  EXPECT_EQ(Parse("0001-01-01T00:00:00Z"), -62135596800);
  EXPECT_EQ(Parse("0001-01-01"), -62135596800);
  EXPECT_EQ(Parse("0000-01-01"), -62167219200);  // Year 0 (1 BC), proleptic Gregorian.
  EXPECT_EQ(Parse("9999-12-31T23:59:59Z"), 253402300799);
  EXPECT_EQ(Parse("9999-12-31"), 253402214400);
  // Four-digit years only (RFC 3339): absl::ParseTime alone takes any number of digits
  // and a sign, and far-off years saturate to INT64_MIN/MAX -- INT64_MIN is kNoTime.
  EXPECT_TRUE(Rejected("10000-01-01"));
  EXPECT_TRUE(Rejected("10000-01-01T00:00:00Z"));
  EXPECT_TRUE(Rejected("20202-4-29"));  // Found by tests/fuzz/published_time_fuzzer.
  EXPECT_TRUE(Rejected("-0001-01-01"));
  EXPECT_TRUE(Rejected("+2023-01-01"));
  EXPECT_TRUE(Rejected("292277026596-12-04"));
  EXPECT_TRUE(Rejected("-292277022657-01-28"));
  EXPECT_TRUE(Rejected("999-01-01"));
  EXPECT_TRUE(Rejected("99999999999999999999-01-01"));
}

TEST(ParsePublishedTime, SurroundingWhiteSpaceIsIgnored) {
  EXPECT_EQ(Parse(" 2023-03-01"), 1677628800);
  EXPECT_EQ(Parse("2023-03-01 \n"), 1677628800);
  EXPECT_EQ(Parse("\t2023-03-20T06:40:00Z "), 1679294400);
}

TEST(ParsePublishedTime, Garbage) {
  for (const char* text : {"", " ", "yesterday", "2023", "2023-03", "2023-03-20T", "2023-03-20T06:40",
                           "2023-03-20T06:40:00", "20230320", "2023/03/20", "2023-03-20X06:40:00Z",
                           "2023-03-20T06:40:00ZZ", "2023-03-20 extra", "March 20, 2023", "1679294400",
                           "2023-03-20T06:40:00Z\x01", "２０２３-03-20", "2023-\xFF\xFE-20"}) {
    EXPECT_TRUE(Rejected(text)) << '"' << text << '"';
  }
  // absl::ParseTime stops at a NUL (JSON's \u0000); the rest must not be ignored.
  EXPECT_TRUE(Rejected(std::string("2023-03-20\0", 11)));
  EXPECT_TRUE(Rejected(std::string("2023-03-20\0garbage", 18)));
  // The message names the text and the expected forms.
  absl::StatusOr<int64_t> t = ParsePublishedTime("yesterday");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("\"yesterday\""), absl::string_view::npos);
  EXPECT_NE(t.status().message().find("RFC 3339"), absl::string_view::npos);
}

}  // namespace
}  // namespace dedup
