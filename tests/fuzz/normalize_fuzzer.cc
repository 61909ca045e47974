// Fuzzes normalization and tokenization (dedup/normalize.h) and shingling
// (dedup/shingle.h). Invariants, on every input:
//   - Tokenize fails exactly when the input is not valid UTF-8 (InvalidArgument, empty
//     output), and its output is valid UTF-8: tokens of one or more bytes joined by single
//     spaces, token starts and line starts increasing;
//   - the word-by-word fast path agrees with the whole-text algorithm
//     (tests/normalize_reference.h): same status, text, token and line starts;
//   - normalization is idempotent: tokenizing the tokenized text gives it back, with the
//     same token starts (one line);
//   - HashShingles gives max(n - k + 1, 1) hashes for n >= 1 tokens (code points for
//     character shingles), none for n = 0, and the same hashes for the tokenized text
//     and for its re-tokenization; SortUnique sorts and dedups; a non-empty set has
//     Jaccard 1 with itself.
//   - Sketcher::Sketch counts distinct shingles two ways -- a hash table (keep_shingles
//     false) and the sorted set (true) -- and both give the same count, token count and
//     signature (every MinHash engine), and the set equals Sketcher::Shingles.
// The input also goes to ParseShingleSpec, whose successes must round-trip.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dedup/corpus.h"
#include "dedup/normalize.h"
#include "dedup/shingle.h"
#include "dedup/sketch.h"
#include "tests/fuzz/fuzz_util.h"
#include "tests/normalize_reference.h"

namespace {

size_t CodePoints(std::string_view utf8) {
  return static_cast<size_t>(
      std::count_if(utf8.begin(), utf8.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

void CheckShingles(const dedup::TokenizedText& t, dedup::ShingleKind kind, int k, uint64_t seed) {
  const dedup::ShingleOptions options{kind, k};
  std::vector<uint64_t> hashes;
  dedup::HashShingles(t, options, seed, &hashes);
  const size_t n = kind == dedup::ShingleKind::kWord ? t.size() : CodePoints(t.text);
  const size_t want = n == 0 ? 0 : (n >= static_cast<size_t>(k) ? n - static_cast<size_t>(k) + 1 : 1);
  FUZZ_CHECK(hashes.size() == want);
  // The same shingles from the tokenized text tokenized again.
  dedup::TokenizedText again;
  FUZZ_CHECK(dedup::Tokenize(t.text, &again).ok());
  std::vector<uint64_t> hashes_again;
  dedup::HashShingles(again, options, seed, &hashes_again);
  FUZZ_CHECK(hashes_again == hashes);
  dedup::SortUnique(&hashes);
  FUZZ_CHECK(std::adjacent_find(hashes.begin(), hashes.end(), std::greater_equal<uint64_t>()) == hashes.end());
  FUZZ_CHECK(dedup::IntersectionSize(hashes, hashes) == hashes.size());
  FUZZ_CHECK(dedup::ExactJaccard(hashes, hashes) == (hashes.empty() ? 0.0 : 1.0));
}

void CheckSketchPaths(std::string_view text, const dedup::ShingleOptions& shingle, dedup::MinHashEngine engine) {
  dedup::SketchOptions options;
  options.shingle = shingle;
  options.num_perm = 32;
  options.engine = engine;
  absl::StatusOr<dedup::Sketcher> sketcher = dedup::Sketcher::Create(options);
  FUZZ_CHECK(sketcher.ok());
  dedup::SketchScratch scratch;
  dedup::SketchedDocument counted, kept;
  FUZZ_CHECK(sketcher->Sketch(text, /*keep_shingles=*/false, &scratch, &counted).ok());
  FUZZ_CHECK(sketcher->Sketch(text, /*keep_shingles=*/true, &scratch, &kept).ok());
  FUZZ_CHECK(counted.num_shingles == kept.num_shingles);
  FUZZ_CHECK(counted.num_shingles == kept.shingles.size());
  FUZZ_CHECK(counted.num_tokens == kept.num_tokens);
  FUZZ_CHECK(counted.signature == kept.signature);
  std::vector<uint64_t> shingles;
  FUZZ_CHECK(sketcher->Shingles(text, &scratch, &shingles).ok());
  FUZZ_CHECK(shingles == kept.shingles);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  absl::StatusOr<dedup::ShingleOptions> spec = dedup::ParseShingleSpec(input);
  if (spec.ok()) {
    FUZZ_CHECK(dedup::ValidateShingleOptions(*spec).ok());
    absl::StatusOr<dedup::ShingleOptions> back = dedup::ParseShingleSpec(dedup::ShingleSpec(*spec));
    FUZZ_CHECK(back.ok() && back->kind == spec->kind && back->size == spec->size);
  }

  dedup::TokenizedText got;
  got.text = "stale";  // Tokenize must clear what was there.
  got.starts = {7};
  got.lines = {7};
  const absl::Status status = dedup::Tokenize(input, &got);
  dedup::TokenizedText want;
  const absl::Status want_status = dedup::test::ReferenceTokenize(input, &want);
  FUZZ_CHECK(status.ok() == dedup::IsValidUtf8(input));
  FUZZ_CHECK(status == want_status);
  FUZZ_CHECK(got.text == want.text);
  FUZZ_CHECK(got.starts == want.starts);
  FUZZ_CHECK(got.lines == want.lines);
  if (!status.ok()) {
    FUZZ_CHECK(status.code() == absl::StatusCode::kInvalidArgument);
    FUZZ_CHECK(got.empty() && got.text.empty() && got.lines.empty());
    return 0;
  }

  // The shape of the output.
  FUZZ_CHECK(dedup::IsValidUtf8(got.text));
  FUZZ_CHECK(got.empty() == got.text.empty());
  for (size_t i = 0; i < got.size(); ++i) {
    FUZZ_CHECK(got.starts[i] < got.end(i));  // No empty token.
    const std::string_view token = got.token(i);
    FUZZ_CHECK(token.find(' ') == std::string_view::npos);
    if (i + 1 < got.size()) FUZZ_CHECK(got.text[got.end(i)] == ' ' && got.end(i) + 1 == got.starts[i + 1]);
  }
  if (!got.empty()) FUZZ_CHECK(got.starts[0] == 0);
  FUZZ_CHECK(got.lines.empty() == got.empty());
  for (size_t i = 0; i < got.lines.size(); ++i) {
    FUZZ_CHECK(got.lines[i] < got.size());
    if (i > 0) FUZZ_CHECK(got.lines[i - 1] < got.lines[i]);
  }
  if (!got.lines.empty()) FUZZ_CHECK(got.lines[0] == 0);

  // Idempotence: the normalized text is its own normalization.
  dedup::TokenizedText twice;
  FUZZ_CHECK(dedup::Tokenize(got.text, &twice).ok());
  FUZZ_CHECK(twice.text == got.text);
  FUZZ_CHECK(twice.starts == got.starts);

  // Shingles: k and the seed from the input's first bytes, both kinds.
  const int k = size > 0 ? 1 + data[0] % dedup::kMaxShingleSize : dedup::kDefaultShingleSize;
  const uint64_t seed = size > 1 ? data[1] : 1;
  CheckShingles(got, dedup::ShingleKind::kWord, k, seed);
  CheckShingles(got, dedup::ShingleKind::kChar, k, seed);

  // The sketcher's two ways of counting shingles; the engine from the input too.
  const dedup::MinHashEngine engines[] = {dedup::MinHashEngine::kFss, dedup::MinHashEngine::kClassic,
                                          dedup::MinHashEngine::kOph};
  const dedup::MinHashEngine engine = engines[size > 2 ? data[2] % 3 : 0];
  CheckSketchPaths(input, dedup::ShingleOptions{dedup::ShingleKind::kWord, k}, engine);
  CheckSketchPaths(input, dedup::ShingleOptions{dedup::ShingleKind::kChar, k}, engine);
  return 0;
}
