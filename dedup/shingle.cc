#include "dedup/shingle.h"

#include <algorithm>
#include <charconv>

#include "absl/strings/str_format.h"

#define XXH_INLINE_ALL  // Lets the compiler inline XXH3 for the many short shingles.
#include <xxhash.h>

namespace dedup {

absl::Status ValidateShingleOptions(const ShingleOptions& options) {
  if (options.size < 1 || options.size > kMaxShingleSize) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "shingle size %d is out of range [1, %d]", options.size, kMaxShingleSize));
  }
  return absl::OkStatus();
}

absl::StatusOr<ShingleOptions> ParseShingleSpec(std::string_view spec) {
  ShingleOptions options;
  size_t colon = spec.find(':');
  std::string_view kind = spec.substr(0, colon);
  if (kind == "word") {
    options.kind = ShingleKind::kWord;
  } else if (kind == "char") {
    options.kind = ShingleKind::kChar;
  } else {
    return absl::InvalidArgumentError(absl::StrFormat(
        "shingle spec \"%s\": kind must be \"word\" or \"char\" (e.g. word:5, char:7)", spec));
  }
  if (colon == std::string_view::npos) {
    options.size = options.kind == ShingleKind::kWord ? kDefaultShingleSize : 7;
  } else {
    std::string_view num = spec.substr(colon + 1);
    auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), options.size);
    if (ec != std::errc() || ptr != num.data() + num.size() || num.empty()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("shingle spec \"%s\": size \"%s\" is not an integer", spec, num));
    }
  }
  absl::Status st = ValidateShingleOptions(options);
  if (!st.ok()) return absl::InvalidArgumentError(absl::StrFormat("shingle spec \"%s\": %s", spec, st.message()));
  return options;
}

std::string ShingleSpec(const ShingleOptions& options) {
  return absl::StrFormat("%s:%d", options.kind == ShingleKind::kWord ? "word" : "char", options.size);
}

namespace {

inline uint64_t Hash(std::string_view s, uint64_t seed) {
  return XXH3_64bits_withSeed(s.data(), s.size(), seed);
}

void HashWordShingles(const TokenizedText& t, int k, uint64_t seed, std::vector<uint64_t>* out) {
  const size_t n = t.size();
  if (n == 0) return;
  if (n < static_cast<size_t>(k)) {
    out->push_back(Hash(t.text, seed));
    return;
  }
  out->reserve(out->size() + n - k + 1);
  for (size_t i = 0; i + k <= n; ++i) out->push_back(Hash(t.span(i, k), seed));
}

void HashCharShingles(const TokenizedText& t, int k, uint64_t seed, std::vector<uint64_t>* out) {
  if (t.text.empty()) return;
  // Offsets of code point starts (UTF-8 lead bytes), plus the end.
  std::vector<uint32_t> cps;
  cps.reserve(t.text.size() + 1);
  for (size_t i = 0; i < t.text.size(); ++i) {
    if ((static_cast<unsigned char>(t.text[i]) & 0xC0) != 0x80) cps.push_back(static_cast<uint32_t>(i));
  }
  const size_t n = cps.size();
  cps.push_back(static_cast<uint32_t>(t.text.size()));
  std::string_view text = t.text;
  if (n < static_cast<size_t>(k)) {
    out->push_back(Hash(text, seed));
    return;
  }
  out->reserve(out->size() + n - k + 1);
  for (size_t i = 0; i + k <= n; ++i) out->push_back(Hash(text.substr(cps[i], cps[i + k] - cps[i]), seed));
}

}  // namespace

void HashShingles(const TokenizedText& tokens, const ShingleOptions& options, uint64_t seed,
                  std::vector<uint64_t>* out) {
  if (options.kind == ShingleKind::kWord) {
    HashWordShingles(tokens, options.size, seed, out);
  } else {
    HashCharShingles(tokens, options.size, seed, out);
  }
}

void SortUnique(std::vector<uint64_t>* hashes) {
  std::sort(hashes->begin(), hashes->end());
  hashes->erase(std::unique(hashes->begin(), hashes->end()), hashes->end());
}

size_t IntersectionSize(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  size_t i = 0, j = 0, common = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i] < b[j]) {
      ++i;
    } else if (b[j] < a[i]) {
      ++j;
    } else {
      ++common, ++i, ++j;
    }
  }
  return common;
}

double ExactJaccard(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  if (a.empty() || b.empty()) return 0.0;
  size_t common = IntersectionSize(a, b);
  return static_cast<double>(common) / static_cast<double>(a.size() + b.size() - common);
}

}  // namespace dedup
