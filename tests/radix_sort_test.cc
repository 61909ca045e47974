#include "dedup/internal/radix_sort.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "dedup/minhash.h"

namespace dedup::internal {
namespace {

// The result equals std::stable_sort by the high 32 bits, for sizes around the digit
// widths and keys that differ in any of the 32 bits (a pool of random keys, so that
// many values share a key and stability shows), plus keys differing only in their top
// or bottom bit.
TEST(RadixSortTest, MatchesStableSortByHigh32) {
  uint64_t state = 1;
  for (size_t n : {size_t{0}, size_t{1}, size_t{2}, size_t{2047}, size_t{2048}, size_t{100000}}) {
    std::vector<uint32_t> pool(1 + n / 8);
    for (uint32_t& k : pool) k = static_cast<uint32_t>(SplitMix64(&state));
    pool.push_back(0x80000000u);
    pool.push_back(0x00000001u);
    pool.push_back(0x80000001u);
    std::vector<uint64_t> v(n), tmp(n);
    for (size_t i = 0; i < n; ++i) {
      const uint64_t key = pool[SplitMix64(&state) % pool.size()];
      v[i] = key << 32 | static_cast<uint32_t>(i);  // The low half records the input order.
    }
    std::vector<uint64_t> want = v;
    std::stable_sort(want.begin(), want.end(), [](uint64_t a, uint64_t b) { return (a >> 32) < (b >> 32); });
    RadixSortByHigh32(v.data(), tmp.data(), n);
    EXPECT_EQ(v, want) << "n = " << n;
  }
}

}  // namespace
}  // namespace dedup::internal
