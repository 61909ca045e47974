#include "dedup/sketch.h"

#include "absl/strings/str_format.h"
#include "dedup/status_macros.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace dedup {

std::string DescribeSketchOptions(const SketchOptions& options) {
  return absl::StrFormat("dedup-sketch/1 norm=%d shingle=%s hash=xxh3_64 minhash=%s k=%d seed=%d",
                         kNormalizationVersion, ShingleSpec(options.shingle),
                         MinHashEngineName(options.engine), options.num_perm, options.seed);
}

uint64_t SketchFingerprint(const SketchOptions& options) {
  std::string d = DescribeSketchOptions(options);
  return XXH3_64bits(d.data(), d.size());
}

uint32_t CountDistinct(const std::vector<uint64_t>& hashes, std::vector<uint64_t>* table) {
  if (hashes.size() < 2) return static_cast<uint32_t>(hashes.size());
  // Load <= 1/4: most inserts touch one slot, so the loop's branches are predictable.
  size_t capacity = 64;
  while (capacity < 4 * hashes.size()) capacity *= 2;
  table->assign(capacity, 0);
  uint64_t* const slots = table->data();
  const size_t mask = capacity - 1;
  uint32_t distinct = 0;
  bool seen_zero = false;  // 0 marks an empty slot, so the value 0 is tracked apart.
  for (uint64_t h : hashes) {
    if (h == 0) [[unlikely]] {
      distinct += !seen_zero;
      seen_zero = true;
      continue;
    }
    // The values are already uniform hashes: their low bits pick the home slot.
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const uint64_t slot = slots[i];
      if (slot == 0) {
        slots[i] = h;
        ++distinct;
        break;
      }
      if (slot == h) break;
    }
  }
  return distinct;
}

absl::StatusOr<Sketcher> Sketcher::Create(const SketchOptions& options) {
  DEDUP_RETURN_IF_ERROR(ValidateShingleOptions(options.shingle));
  DEDUP_ASSIGN_OR_RETURN(MinHasher hasher,
                         MinHasher::Create({.num_perm = options.num_perm, .seed = options.seed, .engine = options.engine},
                                           SketchFingerprint(options)));
  std::optional<MinHasher> opening;
  if (options.opening.num_perm > 0) {
    if (options.opening.shingles < 1) return absl::InvalidArgumentError("opening shingles must be >= 1");
    DEDUP_ASSIGN_OR_RETURN(opening, MinHasher::Create({.num_perm = options.opening.num_perm,
                                                       .seed = OpeningSeed(options.seed),
                                                       .engine = MinHashEngine::kFss},
                                                      SketchFingerprint(options)));
  }
  return Sketcher(options, std::move(hasher), std::move(opening));
}

namespace {
// Tokenizes `text` and returns the tokens to shingle: all, or those left after
// boilerplate removal.
absl::StatusOr<const TokenizedText*> TokensToShingle(std::string_view text, SketchScratch* scratch,
                                                     const BoilerplateModel* boilerplate, uint64_t source_key) {
  DEDUP_RETURN_IF_ERROR(Tokenize(text, &scratch->tokens));
  if (boilerplate == nullptr || boilerplate->empty()) return &scratch->tokens;
  if (StripBoilerplate(scratch->tokens, *boilerplate, source_key, &scratch->kept) == 0) return &scratch->tokens;
  return &scratch->kept;
}
}  // namespace

absl::Status Sketcher::Shingles(std::string_view text, SketchScratch* scratch, std::vector<uint64_t>* out,
                                const BoilerplateModel* boilerplate, uint64_t source_key) const {
  DEDUP_ASSIGN_OR_RETURN(const TokenizedText* tokens, TokensToShingle(text, scratch, boilerplate, source_key));
  out->clear();
  HashShingles(*tokens, options_.shingle, options_.seed, out);
  SortUnique(out);
  return absl::OkStatus();
}

absl::Status Sketcher::Sketch(std::string_view text, bool keep_shingles, SketchScratch* scratch,
                              SketchedDocument* out, const BoilerplateModel* boilerplate,
                              uint64_t source_key) const {
  DEDUP_ASSIGN_OR_RETURN(const TokenizedText* tokens, TokensToShingle(text, scratch, boilerplate, source_key));
  SketchTokens(*tokens, keep_shingles, scratch, out);
  return absl::OkStatus();
}

void Sketcher::SketchTokens(const TokenizedText& tokens, bool keep_shingles, SketchScratch* scratch,
                            SketchedDocument* out) const {
  std::vector<uint64_t>& hashes = keep_shingles ? out->shingles : scratch->hashes;
  hashes.clear();
  HashShingles(tokens, options_.shingle, options_.seed, &hashes);
  if (opening_hasher_.has_value()) {  // Before SortUnique: the opening is in text order.
    OpeningShingles(hashes, options_.opening.shingles, &scratch->opening, &scratch->opening_bits);
    out->opening.resize(static_cast<size_t>(options_.opening.num_perm));
    opening_hasher_->SignInto(scratch->opening, out->opening.data());
  } else {
    out->opening.clear();
  }
  // MinHash ignores duplicates, so the sorted set is only materialized when asked for;
  // otherwise the distinct count comes from a linear-time hash table.
  if (keep_shingles) {
    SortUnique(&hashes);
    out->num_shingles = static_cast<uint32_t>(hashes.size());
  } else {
    out->num_shingles = CountDistinct(hashes, &scratch->table);
  }
  out->num_tokens = static_cast<uint32_t>(tokens.size());
  out->signature = hasher_.Sign(hashes);
  if (!keep_shingles) out->shingles.clear();
}

}  // namespace dedup
