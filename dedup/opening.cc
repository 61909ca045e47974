#include "dedup/opening.h"

#include <algorithm>

#include "dedup/minhash.h"

namespace dedup {

void OpeningShingles(absl::Span<const uint64_t> hashes, int shingles, std::vector<uint64_t>* out,
                     std::vector<uint64_t>* bits) {
  out->clear();
  if (shingles <= 0) return;
  const size_t limit = static_cast<size_t>(shingles);
  // A bitmap of 64 bits per opening shingle, indexed by the hash's top bits: a clear bit
  // proves a value new (the common case); a set one is checked against the values kept.
  size_t words = 1;
  while (words < limit) words *= 2;
  int shift = 64 - 6;  // Bit index = the top log2(64 * words) bits.
  for (size_t w = words; w > 1; w /= 2) --shift;
  bits->assign(words, 0);
  uint64_t* const bitmap = bits->data();
  for (uint64_t h : hashes) {
    if (out->size() >= limit) break;
    const uint64_t bit = h >> shift;
    uint64_t& word = bitmap[bit >> 6];
    const uint64_t mask = uint64_t{1} << (bit & 63);
    if ((word & mask) != 0 && std::find(out->begin(), out->end(), h) != out->end()) continue;
    word |= mask;
    out->push_back(h);
  }
}

double OpeningContainment(const uint32_t* small, const uint32_t* large, int k) {
  int equal = 0, small_less = 0;
  for (int i = 0; i < k; ++i) {
    equal += small[i] == large[i];
    small_less += small[i] < large[i];
  }
  return equal > 0 ? static_cast<double>(equal) / (equal + small_less) : 0.0;
}

uint64_t OpeningSeed(uint64_t sketch_seed) { return Mix64(sketch_seed ^ 0x6f70656e696e6721ull); }  // "opening!"

}  // namespace dedup
