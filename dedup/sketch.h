// Sketcher: text -> tokens -> shingle hashes -> MinHash signature, in one call.
//
// SketchOptions gathers every parameter that changes a signature: the normalization
// version, the shingle kind and size, the hash function (XXH3-64), the MinHash
// engine, K and the seed. Their canonical description, e.g.
//   "dedup-sketch/1 norm=1 shingle=word:5 hash=xxh3_64 minhash=mas32 k=128 seed=1"
// is hashed with XXH3 into the 64-bit parameter fingerprint that every Signature
// carries and every stored index records: signatures with different fingerprints are
// never compared.
//
// Example:
//   auto sketcher = dedup::Sketcher::Create({});   // word:3, K = 128, seed 1
//   dedup::SketchScratch scratch;
//   dedup::SketchedDocument sketch;
//   absl::Status s = sketcher->Sketch("Xi arrives in Moscow ...", /*keep_shingles=*/false,
//                                     &scratch, &sketch);
//
// A Sketcher is immutable after Create(); Sketch() is thread-safe given one
// SketchScratch per thread.
#ifndef DEDUP_SKETCH_H_
#define DEDUP_SKETCH_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dedup/boilerplate.h"
#include "dedup/minhash.h"
#include "dedup/normalize.h"
#include "dedup/opening.h"
#include "dedup/shingle.h"

namespace dedup {

struct SketchOptions {
  ShingleOptions shingle;                // word:3 by default.
  int num_perm = kDefaultNumPerm;        // K.
  uint64_t seed = 1;                     // Seeds shingle hashing and the MinHash functions.
  // Fast similarity sketching by default: it signs ~1.5x faster than classic, and over
  // 64 seeds it made the fewest wrong decisions of the three engines on pairs of pages that
  // share a site's chrome -- false accepts of different articles 89 vs 299 (classic) and
  // 135 (oph), and the fewest false rejects (BENCHMARKS.md, "Fourth pass").
  MinHashEngine engine = MinHashEngine::kFss;
  // The opening signature (opening.h) as well: off here (num_perm 0); the batch pipeline
  // turns it on with ClusterOptions::opening. Not part of the fingerprint.
  OpeningOptions opening{.num_perm = 0};
};

// Canonical description of the parameters (stable across releases for equal options).
std::string DescribeSketchOptions(const SketchOptions& options);
// XXH3-64 of DescribeSketchOptions().
uint64_t SketchFingerprint(const SketchOptions& options);

// What the pipeline keeps of a document.
struct SketchedDocument {
  Signature signature;
  std::vector<uint64_t> shingles;  // Sorted, unique shingle hashes; empty unless kept.
  uint32_t num_shingles = 0;       // Distinct shingles (0: the document never matches).
  uint32_t num_tokens = 0;
  // The opening signature (opening.h): SketchOptions::opening.num_perm fss slots, or
  // none when that is 0; all kEmptySlot for an empty document.
  std::vector<uint32_t> opening;
};

// Reusable buffers, one per thread.
struct SketchScratch {
  TokenizedText tokens;
  TokenizedText kept;  // Tokens left after boilerplate removal.
  std::vector<uint64_t> hashes;
  std::vector<uint64_t> table;  // CountDistinct's hash table.
  std::vector<uint64_t> opening;        // The opening's shingles (opening.h).
  std::vector<uint64_t> opening_bits;   // OpeningShingles' bitmap.
};

// Number of distinct values in `hashes` (uniformly distributed 64-bit hashes), exactly,
// in O(n) with an open-addressing table kept in *table between calls. The table is
// sized for load <= 1/4, where nearly every insert touches one slot (1.5x the speed of
// the former load-1/2 table, BENCHMARKS.md "Second pass").
uint32_t CountDistinct(const std::vector<uint64_t>& hashes, std::vector<uint64_t>* table);

class Sketcher {
 public:
  static absl::StatusOr<Sketcher> Create(const SketchOptions& options);

  // Sketches `text` into *out. With keep_shingles, out->shingles holds the sorted
  // shingle set (needed for exact Jaccard). With a boilerplate model, the document's
  // boilerplate lines (for its source key, see boilerplate.h) are left out first.
  // Fails only on invalid UTF-8.
  absl::Status Sketch(std::string_view text, bool keep_shingles, SketchScratch* scratch,
                      SketchedDocument* out, const BoilerplateModel* boilerplate = nullptr,
                      uint64_t source_key = 0) const;

  // Sketches already tokenized text (what Sketch() does after tokenizing and leaving
  // boilerplate out); for callers that apply their own line model (the ingestion index).
  void SketchTokens(const TokenizedText& tokens, bool keep_shingles, SketchScratch* scratch,
                    SketchedDocument* out) const;

  // Sorted unique shingle hashes of `text` (boilerplate left out as above), unsigned.
  absl::Status Shingles(std::string_view text, SketchScratch* scratch, std::vector<uint64_t>* out,
                        const BoilerplateModel* boilerplate = nullptr, uint64_t source_key = 0) const;

  const SketchOptions& options() const { return options_; }
  uint64_t fingerprint() const { return hasher_.fingerprint(); }
  const MinHasher& hasher() const { return hasher_; }

 private:
  Sketcher(SketchOptions options, MinHasher hasher, std::optional<MinHasher> opening_hasher)
      : options_(std::move(options)), hasher_(std::move(hasher)), opening_hasher_(std::move(opening_hasher)) {}

  SketchOptions options_;
  MinHasher hasher_;
  std::optional<MinHasher> opening_hasher_;  // With options_.opening.num_perm > 0.
};

}  // namespace dedup

#endif  // DEDUP_SKETCH_H_
