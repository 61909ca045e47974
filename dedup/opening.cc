#include "dedup/opening.h"

#include "dedup/minhash.h"

namespace dedup {

void OpeningShingles(absl::Span<const uint64_t> hashes, int shingles, std::vector<uint64_t>* out,
                     std::vector<uint64_t>* table) {
  out->clear();
  if (shingles <= 0) return;
  const size_t limit = static_cast<size_t>(shingles);
  size_t capacity = 16;  // Load <= 1/4.
  while (capacity < 4 * limit) capacity *= 2;
  table->assign(capacity, 0);
  const size_t mask = capacity - 1;
  bool seen_zero = false;  // 0 marks an empty slot, so the value 0 is tracked apart.
  for (uint64_t h : hashes) {
    if (out->size() >= limit) break;
    if (h == 0) {
      if (!seen_zero) out->push_back(h);
      seen_zero = true;
      continue;
    }
    for (size_t i = h & mask;; i = (i + 1) & mask) {  // The values are uniform hashes.
      if ((*table)[i] == h) break;
      if ((*table)[i] == 0) {
        (*table)[i] = h;
        out->push_back(h);
        break;
      }
    }
  }
}

uint64_t OpeningSeed(uint64_t sketch_seed) { return Mix64(sketch_seed ^ 0x6f70656e696e6721ull); }  // "opening!"

}  // namespace dedup
