// Opening sketch: a small MinHash signature of a document's first shingles, the second
// candidate source and the second piece of evidence for short excerpts (verify.h,
// "Opening excerpts").
//
// Why. A truncated copy that keeps a quarter of an article (a syndicated lead, a teaser)
// has Jaccard ~0.2 with the whole article: the main LSH bands, aimed at Jaccard 0.5 and
// at excerpts of at least half the larger document, almost never offer the pair, and
// banding for Jaccard 0.2 over whole documents offers millions of unrelated pairs. But a
// truncated copy starts where the article starts: the set of its first L shingles is
// nearly contained in the article's (~0.78 with 8% of the words edited, since a word
// 3-shingle survives with probability 0.92^3 = 0.78), while two different articles'
// openings share next to nothing, whatever their sizes.
//
// What. The opening of a document is the set of its first `shingles` (L, default 80)
// distinct shingle hashes in text order, taken after boilerplate removal (the same
// hashes the main signature is made of, so a page's own chrome is not its opening); a
// document of fewer shingles is all opening. Its signature has `num_perm` (default 32)
// fss slots (minhash.h) under a seed derived from the sketch seed, so its slots are
// independent of the main signature's. The Clusterer estimates the containment of the
// smaller document's opening in the larger's from the slots' order (verify.h, "Ordered
// slots": a binomial proportion over the ~16-32 slots whose least element is in the
// smaller opening), so a short excerpt, whose opening is all of it, still scores ~0.78
// against the article's 80-shingle opening. L = 80: at 40 shingles a Chinese opening is
// about one sentence (one token per character), and formulaic Chinese originals that
// share a first sentence merged (1 merge in 4 hard corpora, deeptrunc recall 0.98); at
// 120, recall fell (deeptrunc 0.97, more unremoved chrome and edits per opening) with
// no merge either way; at 80: no merge in 8 corpora, deeptrunc 0.986 (BENCHMARKS.md).
//
// Cost: O(L) to pick the opening and one fss signature of <= L elements per document; 4 * num_perm bytes per document in
// the Clusterer (128 at the default). Not part of the sketch fingerprint: no stored
// index holds openings.
#ifndef DEDUP_OPENING_H_
#define DEDUP_OPENING_H_

#include <cstdint>
#include <vector>

#include "absl/types/span.h"

namespace dedup {

inline constexpr int kDefaultOpeningShingles = 80;
inline constexpr int kDefaultOpeningPerm = 32;

struct OpeningOptions {
  int shingles = kDefaultOpeningShingles;  // L: distinct shingles that make the opening.
  int num_perm = kDefaultOpeningPerm;      // Slots of its signature; 0 turns openings off.
};

// The opening of a document whose shingle hashes, in text order, are `hashes`: its
// first `shingles` distinct values (or all of them), in that order, into *out. *bits is
// scratch (a bitmap of 64 bits per opening shingle, by the values' top bits: a repeat is
// looked for among the values kept only when its bit is set, for ~1/64 of new values).
// Cost O(shingles) expected, whatever the text's length.
// Distinct, not the first L positions: where a text repeats itself early (formulaic
// Chinese), L positions hold fewer shingles, and such short openings matched between
// different originals (1 merge over the 8 hard corpora, none with distinct shingles).
void OpeningShingles(absl::Span<const uint64_t> hashes, int shingles, std::vector<uint64_t>* out,
                     std::vector<uint64_t>* bits);

// The containment of the smaller document's opening in the larger's, estimated from
// their opening signatures' order (verify.h, "Ordered slots"): agreeing slots over the
// slots where `small`'s value is <= `large`'s; 0 if none. `small` / `large`: k slots each.
double OpeningContainment(const uint32_t* small, const uint32_t* large, int k);

// The opening signature's seed, derived from the sketch seed.
uint64_t OpeningSeed(uint64_t sketch_seed);

}  // namespace dedup

#endif  // DEDUP_OPENING_H_
