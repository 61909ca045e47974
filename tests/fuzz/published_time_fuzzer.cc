// Fuzzes the `published` time parser (ParsePublishedTime, dedup/corpus.h).
// Invariants:
//   - a parsed time lies within years 0000..9999 (give or take a day of UTC offset), so
//     it is never kNoTime and never saturated;
//   - formatting it back as "YYYY-MM-DDTHH:MM:SSZ" parses to the same second;
//   - for inputs in the strict forms "YYYY-MM-DD" and "YYYY-MM-DDTHH:MM:SSZ" the result
//     (and whether there is one) agrees with a calendar computed here by hand
//     (days from civil, proleptic Gregorian; second 60 counts as the next minute's 0).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "dedup/corpus.h"
#include "dedup/document.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

// -62167219200: 0000-01-01T00:00:00Z; 253402300799: 9999-12-31T23:59:59Z (date -u -d).
constexpr int64_t kMinTime = -62167219200 - 86400;
constexpr int64_t kMaxTime = 253402300799 + 86400;

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// Digits at [pos, pos + n) as a number, or -1.
int64_t Digits(std::string_view s, size_t pos, size_t n) {
  int64_t v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

struct Strict {
  bool shape = false;  // Of the form "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ" (digits).
  bool valid = false;  // And the fields name a real day and time.
  int64_t time = 0;    // Its Unix time, if valid.
};

Strict StrictTime(std::string_view s) {
  Strict r;
  if (s.size() != 10 && s.size() != 20) return r;
  if (s[4] != '-' || s[7] != '-') return r;
  const int64_t y = Digits(s, 0, 4), mo = Digits(s, 5, 2), d = Digits(s, 8, 2);
  if (y < 0 || mo < 0 || d < 0) return r;
  int64_t h = 0, mi = 0, sec = 0;
  if (s.size() == 20) {
    if (s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z') return r;
    h = Digits(s, 11, 2), mi = Digits(s, 14, 2), sec = Digits(s, 17, 2);
    if (h < 0 || mi < 0 || sec < 0) return r;
  }
  r.shape = true;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1) return r;
  if (d > kDays[mo - 1] + (mo == 2 && IsLeap(y) ? 1 : 0)) return r;
  if (h > 23 || mi > 59 || sec > 60) return r;
  r.valid = true;
  r.time = DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
  return r;
}

// The UTC calendar fields of a Unix time (H. Hinnant's civil_from_days), formatted.
std::string FormatUtc(int64_t t) {
  int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
  const int64_t secs = t - days * 86400;
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = yoe + era * 400 + (m <= 2);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ", static_cast<long long>(y),
                static_cast<long long>(m), static_cast<long long>(d), static_cast<long long>(secs / 3600),
                static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60));
  return buf;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const absl::StatusOr<int64_t> t = dedup::ParsePublishedTime(input);
  if (t.ok()) {
    FUZZ_CHECK(*t != dedup::kNoTime);
    FUZZ_CHECK(*t >= kMinTime && *t <= kMaxTime);
    if (*t >= -62167219200 && *t <= 253402300799) {
      const std::string formatted = FormatUtc(*t);
      const absl::StatusOr<int64_t> back = dedup::ParsePublishedTime(formatted);
      FUZZ_CHECK(back.ok() && *back == *t);
      const Strict strict = StrictTime(formatted);
      FUZZ_CHECK(strict.valid && strict.time == *t);
    }
  } else {
    FUZZ_CHECK(t.status().code() == absl::StatusCode::kInvalidArgument);
  }
  const Strict strict = StrictTime(input);
  if (strict.shape) FUZZ_CHECK(t.ok() == strict.valid);
  if (strict.valid) FUZZ_CHECK(*t == strict.time);
  return 0;
}
