#include "dedup/minhash.h"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>  // CountEqualSlots on 32-bit x86.
#endif

#include "absl/strings/str_format.h"

namespace dedup {

bool Signature::empty() const {
  return std::all_of(values_.begin(), values_.end(), [](uint32_t v) { return v == kEmptySlot; });
}

namespace {

// The kernels. SignInto evaluates h_i(x) = ((a_i * x + b_i) mod 2^64) >> 32 for every
// function i and shingle hash x: K * n multiply-shifts, the cost of the whole stage.
//
// Portable: for each x, a loop over the K functions that the compiler vectorizes for
// the baseline target. Without -march that is SSE2, which has no 64-bit multiply, so
// each a_i * x is emulated with three 32 x 32 -> 64-bit multiplies and the gain over
// scalar code is small.
//
// AVX2: the same arithmetic, split so that each step is one AVX2 instruction on 8
// functions at once. With a = 2^32 a_hi + a_lo and x = 2^32 x_hi + x_lo,
//   (a x + b) mod 2^64 = (a_lo x_lo + b) + 2^32 (a_hi x_lo + a_lo x_hi)   (mod 2^64),
// so the top 32 bits are
//   h = hi32(a_lo x_lo + b) + lo32(a_hi x_lo + a_lo x_hi)   (mod 2^32):
// two 32 x 32 -> 64-bit multiplies (vpmuludq, 4 functions each) with 64-bit adds give
// the first term for 8 functions, two 32-bit multiplies (vpmulld) the second, and the
// running minimum is one vpminud. The loops are ordered so that the 8 minima stay in a
// register while the shingle hashes stream past (in chunks that fit in L1).

void SignPortable(const uint64_t* a, const uint64_t* b, size_t first, size_t last, const uint64_t* xs, size_t n,
                  uint32_t* out) {
  // Inner loop over the functions: contiguous and branch-free, so the compiler
  // vectorizes it.
  for (size_t j = 0; j < n; ++j) {
    const uint64_t x = xs[j];
    for (size_t i = first; i < last; ++i) {
      uint32_t h = static_cast<uint32_t>((a[i] * x + b[i]) >> 32);
      out[i] = std::min(out[i], h);
    }
  }
}

// Layout of one block of 8 functions in MinHasher::blocks_, as 32-bit words (six
// 256-bit vectors): a and b of the even functions 0, 2, 4, 6 as 64-bit lanes, then of
// the odd ones, then a_hi of functions 0..7, then a_lo of functions 0..7.
constexpr size_t kBlockWords = 48;

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define DEDUP_MINHASH_AVX2 1

// Shingles per pass over the blocks: 16 KB of hashes, which stay in L1.
constexpr size_t kChunk = 2048;

__attribute__((target("avx2"))) void SignAvx2(const uint32_t* blocks, size_t num_blocks, const uint64_t* xs,
                                              size_t n, uint32_t* out) {
  for (size_t chunk = 0; chunk < n; chunk += kChunk) {
    const uint64_t* x = xs + chunk;
    const size_t m = std::min(kChunk, n - chunk);
    for (size_t block = 0; block < num_blocks; ++block) {
      const auto* v = reinterpret_cast<const __m256i*>(blocks + block * kBlockWords);
      const __m256i a_even = _mm256_loadu_si256(v + 0);
      const __m256i b_even = _mm256_loadu_si256(v + 1);
      const __m256i a_odd = _mm256_loadu_si256(v + 2);
      const __m256i b_odd = _mm256_loadu_si256(v + 3);
      const __m256i a_hi = _mm256_loadu_si256(v + 4);
      const __m256i a_lo = _mm256_loadu_si256(v + 5);
      auto* mins_ptr = reinterpret_cast<__m256i*>(out + 8 * block);
      __m256i mins = _mm256_loadu_si256(mins_ptr);
      for (size_t j = 0; j < m; ++j) {
        // The halves of x[j] (little-endian), each read straight into all 8 lanes
        // (vpbroadcastd from memory is a plain load; from a register it would compete
        // with the shuffle below for the same execution port).
        int32_t lo, hi;
        std::memcpy(&lo, reinterpret_cast<const char*>(x + j), 4);
        std::memcpy(&hi, reinterpret_cast<const char*>(x + j) + 4, 4);
        const __m256i x_lo = _mm256_set1_epi32(lo);
        const __m256i x_hi = _mm256_set1_epi32(hi);
        // a_lo x_lo + b (mod 2^64) of the even and the odd functions; vpmuludq reads
        // the low half of each 64-bit lane of a.
        const __m256i p_even = _mm256_add_epi64(_mm256_mul_epu32(a_even, x_lo), b_even);
        const __m256i p_odd = _mm256_add_epi64(_mm256_mul_epu32(a_odd, x_lo), b_odd);
        // Their high halves, in function order 0..7.
        const __m256i high = _mm256_blend_epi32(_mm256_shuffle_epi32(p_even, 0xF5), p_odd, 0xAA);
        const __m256i cross = _mm256_add_epi32(_mm256_mullo_epi32(a_hi, x_lo), _mm256_mullo_epi32(a_lo, x_hi));
        mins = _mm256_min_epu32(mins, _mm256_add_epi32(high, cross));
      }
      _mm256_storeu_si256(mins_ptr, mins);
    }
  }
}

// The same computation on 16 functions per step: two consecutive 8-function blocks side
// by side in the two 256-bit halves of each 512-bit register (within a half, the lane
// order of the AVX2 kernel; so the 16 results come out as functions 0..15 in order).
// Pairs of blocks only; an odd last block is left to the caller.
// GCC 12's AVX-512 headers fill unused operands with _mm512_undefined_epi32(), which
// -Wmaybe-uninitialized reports at every use (a known false positive).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// Vector i of block v0 in the low half, of block v1 in the high half.
__attribute__((target("avx512f"))) inline __m512i Halves(const __m256i* v0, const __m256i* v1, int i) {
  return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256(v0 + i)), _mm256_loadu_si256(v1 + i), 1);
}

__attribute__((target("avx512f"))) void SignAvx512(const uint32_t* blocks, size_t num_pairs, const uint64_t* xs,
                                                  size_t n, uint32_t* out) {
  for (size_t chunk = 0; chunk < n; chunk += kChunk) {
    const uint64_t* x = xs + chunk;
    const size_t m = std::min(kChunk, n - chunk);
    for (size_t pair = 0; pair < num_pairs; ++pair) {
      const auto* v0 = reinterpret_cast<const __m256i*>(blocks + 2 * pair * kBlockWords);
      const auto* v1 = reinterpret_cast<const __m256i*>(blocks + (2 * pair + 1) * kBlockWords);
      const __m512i a_even = Halves(v0, v1, 0), b_even = Halves(v0, v1, 1);
      const __m512i a_odd = Halves(v0, v1, 2), b_odd = Halves(v0, v1, 3);
      const __m512i a_hi = Halves(v0, v1, 4), a_lo = Halves(v0, v1, 5);
      auto* mins_ptr = out + 16 * pair;
      __m512i mins = _mm512_loadu_si512(mins_ptr);
      for (size_t j = 0; j < m; ++j) {
        int32_t lo, hi;
        std::memcpy(&lo, reinterpret_cast<const char*>(x + j), 4);
        std::memcpy(&hi, reinterpret_cast<const char*>(x + j) + 4, 4);
        const __m512i x_lo = _mm512_set1_epi32(lo);
        const __m512i x_hi = _mm512_set1_epi32(hi);
        const __m512i p_even = _mm512_add_epi64(_mm512_mul_epu32(a_even, x_lo), b_even);
        const __m512i p_odd = _mm512_add_epi64(_mm512_mul_epu32(a_odd, x_lo), b_odd);
        const __m512i high =
            _mm512_mask_blend_epi32(0xAAAA, _mm512_shuffle_epi32(p_even, _MM_PERM_DDBB), p_odd);
        const __m512i cross = _mm512_add_epi32(_mm512_mullo_epi32(a_hi, x_lo), _mm512_mullo_epi32(a_lo, x_hi));
        mins = _mm512_min_epu32(mins, _mm512_add_epi32(high, cross));
      }
      _mm512_storeu_si512(mins_ptr, mins);
    }
  }
}

#pragma GCC diagnostic pop

bool CpuHasAvx512() {
  static const bool has_avx512 = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") != 0;  // Also checks that the OS saves ZMM state.
  }();
  return has_avx512;
}

bool CpuHasAvx2() {
  static const bool has_avx2 = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") != 0;  // Also checks that the OS saves YMM state.
  }();
  return has_avx2;
}
#endif  // x86-64

// Each engine's command-line name and its name in the parameter fingerprint.
struct EngineNames {
  MinHashEngine engine;
  const char* flag;
  const char* fingerprint;
};
constexpr EngineNames kEngineNames[] = {
    {MinHashEngine::kClassic, "classic", "mas32"},
    {MinHashEngine::kOph, "oph", "oph32"},
    {MinHashEngine::kFss, "fss", "fss32"},
};
const EngineNames& NamesOf(MinHashEngine engine) {
  for (const EngineNames& n : kEngineNames) {
    if (n.engine == engine) return n;
  }
  return kEngineNames[0];
}
}  // namespace

const char* MinHashEngineName(MinHashEngine engine) { return NamesOf(engine).fingerprint; }

const char* MinHashEngineFlag(MinHashEngine engine) { return NamesOf(engine).flag; }

absl::StatusOr<MinHashEngine> ParseMinHashEngine(std::string_view name) {
  for (const EngineNames& n : kEngineNames) {
    if (name == n.flag) return n.engine;
  }
  return absl::InvalidArgumentError(
      absl::StrFormat("unknown MinHash engine \"%s\" (expected classic, oph or fss)", name));
}

bool MinHashKernelSupported(MinHashKernel kernel) {
  switch (kernel) {
    case MinHashKernel::kPortable:
      return true;
    case MinHashKernel::kAvx2:
#ifdef DEDUP_MINHASH_AVX2
      return CpuHasAvx2();
#else
      return false;
#endif
    case MinHashKernel::kAvx512:
#ifdef DEDUP_MINHASH_AVX2
      return CpuHasAvx512() && CpuHasAvx2();
#else
      return false;
#endif
  }
  return false;
}

MinHashKernel DefaultMinHashKernel() {
  for (MinHashKernel kernel : {MinHashKernel::kAvx512, MinHashKernel::kAvx2}) {
    if (MinHashKernelSupported(kernel)) return kernel;
  }
  return MinHashKernel::kPortable;
}

const char* MinHashKernelName(MinHashKernel kernel) {
  switch (kernel) {
    case MinHashKernel::kPortable:
      return "portable";
    case MinHashKernel::kAvx2:
      return "avx2";
    case MinHashKernel::kAvx512:
      return "avx512";
  }
  return "unknown";
}

MinHasher::MinHasher(std::vector<uint64_t> a, std::vector<uint64_t> b, uint64_t fingerprint)
    : a_(std::move(a)), b_(std::move(b)), fingerprint_(fingerprint) {
  const size_t num_blocks = a_.size() / 8;
  blocks_.resize(num_blocks * kBlockWords);
  auto lo = [](uint64_t v) { return static_cast<uint32_t>(v); };
  auto hi = [](uint64_t v) { return static_cast<uint32_t>(v >> 32); };
  for (size_t block = 0; block < num_blocks; ++block) {
    uint32_t* w = blocks_.data() + block * kBlockWords;
    const uint64_t* a = a_.data() + 8 * block;
    const uint64_t* b = b_.data() + 8 * block;
    for (size_t lane = 0; lane < 4; ++lane) {
      for (size_t parity = 0; parity < 2; ++parity) {  // Even functions, then odd ones.
        const size_t f = 2 * lane + parity;
        uint32_t* v = w + 16 * parity;
        v[2 * lane] = lo(a[f]);
        v[2 * lane + 1] = hi(a[f]);
        v[8 + 2 * lane] = lo(b[f]);
        v[8 + 2 * lane + 1] = hi(b[f]);
      }
    }
    for (size_t f = 0; f < 8; ++f) {
      w[32 + f] = hi(a[f]);
      w[40 + f] = lo(a[f]);
    }
  }
}

absl::StatusOr<MinHasher> MinHasher::Create(const MinHashOptions& options, uint64_t fingerprint) {
  if (options.num_perm < 1 || options.num_perm > kMaxNumPerm) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "num_perm %d is out of range [1, %d]", options.num_perm, kMaxNumPerm));
  }
  std::vector<uint64_t> a(options.num_perm), b(options.num_perm);
  uint64_t state = options.seed;
  for (int i = 0; i < options.num_perm; ++i) {
    a[i] = SplitMix64(&state) | 1;  // Odd: multiplication by a_i is a bijection mod 2^64.
    b[i] = SplitMix64(&state);
  }
  MinHasher hasher(std::move(a), std::move(b), fingerprint);
  hasher.engine_ = options.engine;
  // kOph's keys come after the classic parameters in the same SplitMix64 stream.
  hasher.oph_key_ = SplitMix64(&state);
  hasher.densify_key_ = SplitMix64(&state);
  hasher.fss_key_ = SplitMix64(&state);
  return hasher;
}

// One permutation hashing with optimal densification (see minhash.h).
void MinHasher::SignOph(absl::Span<const uint64_t> shingle_hashes, uint32_t* out) const {
  const uint64_t k = a_.size();
  std::fill(out, out + k, kEmptySlot);
  if (shingle_hashes.empty()) return;
  // Which bins received a shingle (a slot may legitimately hold kEmptySlot's value).
  // One byte per bin, only ever stored to: a bit set would be a read-modify-write of a
  // few words, a dependency chain through memory from each shingle to the next.
  uint8_t filled[kMaxNumPerm];
  std::memset(filled, 0, k);
  const uint64_t key = oph_key_;
  for (uint64_t x : shingle_hashes) {
    const uint64_t y = Mix64(x + key);
    const uint64_t bin = ((y >> 32) * k) >> 32;
    const uint32_t value = static_cast<uint32_t>(y);
    out[bin] = std::min(out[bin], value);
    filled[bin] = 1;
  }
  auto is_filled = [&](uint64_t bin) { return filled[bin] != 0; };
  for (uint64_t i = 0; i < k; ++i) {
    if (is_filled(i)) continue;
    // At least one bin is filled, so this ends; expected attempts K / (filled bins).
    for (uint64_t attempt = 1;; ++attempt) {
      const uint64_t j = ((Mix64(densify_key_ + (i << 32) + attempt) >> 32) * k) >> 32;
      if (is_filled(j)) {
        out[i] = out[j];
        break;
      }
    }
  }
}

// Fast similarity sketching (see minhash.h).
void MinHasher::SignFss(absl::Span<const uint64_t> shingle_hashes, uint32_t* out) const {
  const uint64_t k = a_.size();
  std::fill(out, out + k, kEmptySlot);
  if (shingle_hashes.empty()) return;
  uint8_t filled[kMaxNumPerm];  // Stores only, as in SignOph.
  std::memset(filled, 0, k);
  uint64_t num_filled = 0;
  // A slot value is (round << value_bits) | top value_bits of the element's hash, so a
  // later round never beats an earlier one: once every bin is filled, no further round
  // can change the signature and the loop stops.
  const int round_bits = std::bit_width(2 * k - 1);
  const int value_bits = 32 - round_bits;
  // Branch-free: which bins are filled is counted once per round.
  auto offer = [&](uint64_t bin, uint32_t value) {
    out[bin] = std::min(out[bin], value);
    filled[bin] = 1;
  };
  auto count_filled = [&] {
    num_filled = 0;
    for (uint64_t i = 0; i < k; ++i) num_filled += filled[i];
  };
  for (uint64_t round = 0; round < 2 * k && num_filled < k; ++round) {
    const uint64_t key = fss_key_ + round * 0x9E3779B97F4A7C15ull;
    const uint32_t round_part = static_cast<uint32_t>(round << value_bits);
    if (round < k) {
      // Random bins: one per element and round.
      for (uint64_t x : shingle_hashes) {
        const uint64_t y = Mix64(x + key);
        offer(((y >> 32) * k) >> 32, round_part | (static_cast<uint32_t>(y) >> round_bits));
      }
    } else {
      // A rotation per element, so that after K more rounds every element has visited
      // every bin and the signature is complete.
      for (uint64_t x : shingle_hashes) {
        const uint64_t y = Mix64(x + key);
        const uint64_t start = ((Mix64(x + fss_key_) >> 32) * k) >> 32;
        offer((start + round - k) % k, round_part | (static_cast<uint32_t>(y) >> round_bits));
      }
    }
    count_filled();
  }
}

void MinHasher::SignInto(absl::Span<const uint64_t> shingle_hashes, uint32_t* out) const {
  SignIntoWithKernel(DefaultMinHashKernel(), shingle_hashes, out);
}

void MinHasher::SignIntoWithKernel(MinHashKernel kernel, absl::Span<const uint64_t> shingle_hashes,
                                   uint32_t* out) const {
  if (engine_ == MinHashEngine::kOph) return SignOph(shingle_hashes, out);
  if (engine_ == MinHashEngine::kFss) return SignFss(shingle_hashes, out);
  const size_t k = a_.size();
  std::fill(out, out + k, kEmptySlot);
  if (!MinHashKernelSupported(kernel)) {
    std::fprintf(stderr, "MinHasher: kernel %s is not supported on this CPU\n", MinHashKernelName(kernel));
    std::abort();
  }
  [[maybe_unused]] const size_t blocks = blocks_.size() / kBlockWords;  // Of 8 functions.
  size_t done = 0;  // Functions computed by the SIMD kernel; the rest are portable.
  switch (kernel) {
    case MinHashKernel::kPortable:
      break;
#ifdef DEDUP_MINHASH_AVX2
    case MinHashKernel::kAvx2:
      SignAvx2(blocks_.data(), blocks, shingle_hashes.data(), shingle_hashes.size(), out);
      done = blocks * 8;
      break;
    case MinHashKernel::kAvx512:
      SignAvx512(blocks_.data(), blocks / 2, shingle_hashes.data(), shingle_hashes.size(), out);
      if (blocks % 2 == 1) {  // The odd last block.
        SignAvx2(blocks_.data() + (blocks - 1) * kBlockWords, 1, shingle_hashes.data(), shingle_hashes.size(),
                 out + 8 * (blocks - 1));
      }
      done = blocks * 8;
      break;
#else
    case MinHashKernel::kAvx2:
    case MinHashKernel::kAvx512:
      break;  // Unsupported without the intrinsics: refused above.
#endif
  }
  SignPortable(a_.data(), b_.data(), done, k, shingle_hashes.data(), shingle_hashes.size(), out);
}

Signature MinHasher::Sign(absl::Span<const uint64_t> shingle_hashes) const {
  std::vector<uint32_t> values(a_.size());
  SignInto(shingle_hashes, values.data());
  return Signature(std::move(values), fingerprint_);
}

double SignatureSimilarity(const uint32_t* a, const uint32_t* b, int k) {
  // An empty set's signature is all kEmptySlot; others nearly never start with it.
  auto empty = [k](const uint32_t* s) {
    return s[0] == kEmptySlot && std::all_of(s, s + k, [](uint32_t v) { return v == kEmptySlot; });
  };
  if (k == 0 || empty(a) || empty(b)) return 0.0;
  return static_cast<double>(
             CountEqualSlots(reinterpret_cast<const uint8_t*>(a), reinterpret_cast<const uint8_t*>(b), k, 32)) /
         k;
}

bool ValidSignatureBits(int bits) {
  for (int b : kSignatureBits) {
    if (b == bits) return true;
  }
  return false;
}

void PackSignature(const uint32_t* slots, int k, int bits, uint8_t* out) {
  switch (bits) {
    case 8:
      for (int i = 0; i < k; ++i) out[i] = static_cast<uint8_t>(slots[i]);
      return;
    case 16:
      for (int i = 0; i < k; ++i) {
        const uint16_t v = static_cast<uint16_t>(slots[i]);
        std::memcpy(out + 2 * i, &v, 2);
      }
      return;
    default:
      std::memcpy(out, slots, static_cast<size_t>(k) * 4);
  }
}

int CountEqualSlots(const uint8_t* a, const uint8_t* b, int k, int bits) {
  const int width = bits / 8;  // Bytes per slot.
  const int total = k * width;
  int i = 0;  // Byte offset.
  int equal = 0;
#if defined(__SSE2__)
  // 16 bytes per step; each lane's counter subtracts the all-ones (-1) of an equal lane.
  auto load = [](const uint8_t* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); };
  alignas(16) int64_t sums[2];
  switch (width) {
    case 1: {  // Equal bytes as 1s, summed 8 at a time into two 64-bit lanes.
      __m128i acc = _mm_setzero_si128();
      const __m128i ones = _mm_set1_epi8(1);
      for (; i + 16 <= total; i += 16) {
        const __m128i eq = _mm_and_si128(_mm_cmpeq_epi8(load(a + i), load(b + i)), ones);
        acc = _mm_add_epi64(acc, _mm_sad_epu8(eq, _mm_setzero_si128()));
      }
      _mm_store_si128(reinterpret_cast<__m128i*>(sums), acc);
      equal = static_cast<int>(sums[0] + sums[1]);
      break;
    }
    case 2: {  // At most kMaxNumPerm / 8 = 512 per 16-bit lane.
      __m128i acc = _mm_setzero_si128();
      for (; i + 16 <= total; i += 16) acc = _mm_sub_epi16(acc, _mm_cmpeq_epi16(load(a + i), load(b + i)));
      acc = _mm_madd_epi16(acc, _mm_set1_epi16(1));  // Pairs of lanes summed into 32 bits.
      alignas(16) int32_t lanes[4];
      _mm_store_si128(reinterpret_cast<__m128i*>(lanes), acc);
      equal = lanes[0] + lanes[1] + lanes[2] + lanes[3];
      break;
    }
    default: {
      __m128i acc = _mm_setzero_si128();
      for (; i + 16 <= total; i += 16) acc = _mm_sub_epi32(acc, _mm_cmpeq_epi32(load(a + i), load(b + i)));
      alignas(16) int32_t lanes[4];
      _mm_store_si128(reinterpret_cast<__m128i*>(lanes), acc);
      equal = lanes[0] + lanes[1] + lanes[2] + lanes[3];
    }
  }
#endif
  switch (width) {  // The rest (all of it without SSE2), one slot at a time.
    case 1:
      for (; i < total; ++i) equal += a[i] == b[i];
      break;
    case 2:
      for (; i < total; i += 2) equal += a[i] == b[i] && a[i + 1] == b[i + 1];
      break;
    default:
      for (; i < total; i += 4) equal += std::memcmp(a + i, b + i, 4) == 0;
  }
  return equal;
}

double PackedSimilarity(const uint8_t* a, const uint8_t* b, int k, int bits) {
  if (k == 0) return 0.0;
  const double p = static_cast<double>(CountEqualSlots(a, b, k, bits)) / k;
  if (bits >= 32) return p;  // Chance agreement 2^-32: no correction, as SignatureSimilarity.
  const double chance = std::ldexp(1.0, -bits);
  return std::clamp((p - chance) / (1.0 - chance), 0.0, 1.0);
}

double PackedStandardError(double j, int k, int bits) {
  if (bits >= 32) return MinHashStandardError(j, k);
  const double chance = std::ldexp(1.0, -bits);
  const double p = j + (1.0 - j) * chance;
  return std::sqrt(p * (1.0 - p) / k) / (1.0 - chance);
}

absl::StatusOr<double> EstimateJaccard(const Signature& a, const Signature& b) {
  if (a.fingerprint() != b.fingerprint() || a.size() != b.size()) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "signature parameter fingerprints differ (%016x with %d slots vs %016x with %d slots): "
        "signatures made with different parameters cannot be compared",
        a.fingerprint(), a.size(), b.fingerprint(), b.size()));
  }
  return SignatureSimilarity(a.values().data(), b.values().data(), a.size());
}

}  // namespace dedup
