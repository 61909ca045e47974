// RadixSortByHigh32: a stable LSD radix sort of 64-bit values by their high 32 bits.
//
// Clusterer's band join sorts (band key << 32 | document) values by key this way: three
// counting passes of 11, 11 and 10 bits, O(n), with a caller-provided buffer. Stable, so
// values of equal key keep their order (the documents stay in input order).
//
// Example:
//   std::vector<uint64_t> v = ..., tmp(v.size());
//   dedup::internal::RadixSortByHigh32(v.data(), tmp.data(), v.size());
#ifndef DEDUP_INTERNAL_RADIX_SORT_H_
#define DEDUP_INTERNAL_RADIX_SORT_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>

namespace dedup::internal {

// Sorts keyed[0, n) by (keyed[i] >> 32), stably; tmp[0, n) is overwritten.
inline void RadixSortByHigh32(uint64_t* keyed, uint64_t* tmp, size_t n) {
  constexpr int kBits[3] = {11, 11, 10};
  uint64_t* const out = keyed;
  int shift = 32;
  for (int pass = 0; pass < 3; ++pass) {
    const uint64_t mask = (uint64_t{1} << kBits[pass]) - 1;
    size_t count[1 << 11] = {};
    for (size_t i = 0; i < n; ++i) ++count[(keyed[i] >> shift) & mask];
    size_t sum = 0;
    for (size_t& c : count) {
      const size_t here = c;
      c = sum;
      sum += here;
    }
    for (size_t i = 0; i < n; ++i) tmp[count[(keyed[i] >> shift) & mask]++] = keyed[i];
    std::swap(keyed, tmp);
    shift += kBits[pass];
  }
  // After an odd number of passes the sorted values are in the caller's buffer.
  if (n > 0) std::memcpy(out, keyed, n * sizeof(uint64_t));
}

}  // namespace dedup::internal

#endif  // DEDUP_INTERNAL_RADIX_SORT_H_
