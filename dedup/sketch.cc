#include "dedup/sketch.h"

#include "absl/strings/str_format.h"
#include "dedup/status_macros.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace dedup {

std::string DescribeSketchOptions(const SketchOptions& options) {
  return absl::StrFormat("dedup-sketch/1 norm=%d shingle=%s hash=xxh3_64 minhash=mas32 k=%d seed=%d",
                         kNormalizationVersion, ShingleSpec(options.shingle), options.num_perm,
                         options.seed);
}

uint64_t SketchFingerprint(const SketchOptions& options) {
  std::string d = DescribeSketchOptions(options);
  return XXH3_64bits(d.data(), d.size());
}

absl::StatusOr<Sketcher> Sketcher::Create(const SketchOptions& options) {
  DEDUP_RETURN_IF_ERROR(ValidateShingleOptions(options.shingle));
  DEDUP_ASSIGN_OR_RETURN(MinHasher hasher,
                         MinHasher::Create({.num_perm = options.num_perm, .seed = options.seed},
                                           SketchFingerprint(options)));
  return Sketcher(options, std::move(hasher));
}

absl::Status Sketcher::Shingles(std::string_view text, SketchScratch* scratch,
                                std::vector<uint64_t>* out) const {
  DEDUP_RETURN_IF_ERROR(Tokenize(text, &scratch->tokens));
  out->clear();
  HashShingles(scratch->tokens, options_.shingle, options_.seed, out);
  SortUnique(out);
  return absl::OkStatus();
}

absl::Status Sketcher::Sketch(std::string_view text, bool keep_shingles, SketchScratch* scratch,
                              SketchedDocument* out) const {
  DEDUP_RETURN_IF_ERROR(Tokenize(text, &scratch->tokens));
  std::vector<uint64_t>& hashes = keep_shingles ? out->shingles : scratch->hashes;
  hashes.clear();
  HashShingles(scratch->tokens, options_.shingle, options_.seed, &hashes);
  // MinHash ignores duplicates, so the set is only materialized when asked for.
  if (keep_shingles) SortUnique(&hashes);
  out->num_tokens = static_cast<uint32_t>(scratch->tokens.size());
  out->num_shingles = static_cast<uint32_t>(hashes.size());
  out->signature = hasher_.Sign(hashes);
  if (!keep_shingles) out->shingles.clear();
  return absl::OkStatus();
}

}  // namespace dedup
