// MinHash: fixed-size signatures whose slot agreement estimates Jaccard similarity.
//
// Three engines (MinHashEngine), which give different signatures of the same set; the
// engine is part of the parameter fingerprint, so their signatures are never compared.
//
// kClassic ("mas32"): K independent hash functions, O(n * K) per set.
// A MinHasher holds K hash functions h_i(x) = ((a_i * x + b_i) mod 2^64) >> 32, with
// a_i odd and b_i drawn from SplitMix64(seed). Slot i of a signature is min over the
// document's shingle hashes x of h_i(x). For two sets A and B,
//   P[slot i agrees] = J(A, B) = |A ∩ B| / |A ∪ B|   (up to 32-bit collisions, ~2^-32),
// so the fraction of agreeing slots is an unbiased estimate of J with standard error
//   sqrt(J (1 - J) / K)              (e.g. 0.0354 at J = 0.8 and 0.0265 at J = 0.9, K = 128).
// Estimates within ±3 standard errors of the exact value occur with ~99.7% probability.
//
// Every signature carries the 64-bit fingerprint of the parameters that made it
// (see sketch.h); EstimateJaccard() refuses to compare signatures whose fingerprints
// differ, since their slots mean different things.
//
// kOph ("oph32"): one permutation hashing with optimal densification (Li, Owen & Zhang,
// NIPS 2012; Shrivastava, ICML 2017), O(n + K) per set. Each shingle hash x is mixed by
// a seeded 64-bit bijection y = Mix64(x + key) (SplitMix64's output function, below;
// key from SplitMix64(seed)); its high 32 bits choose one of K bins
// (bin = (hi32(y) * K) >> 32), its low 32 bits are the value, and slot i is the least
// value in bin i. Bins no shingle fell into are then filled by densification: empty bin
// i tries bins j_1, j_2, ... drawn by a seeded hash of (i, attempt) -- the same sequence
// for every set -- and copies the value of the first non-empty one. Shrivastava proves
// that for every slot P[slot agrees] = J again (unbiased). The variance: for sets much
// larger than K (no empty bins) it is the classic J (1 - J) / K times about
// (|A u B| - K) / (|A u B| - 1), since the bins partition the set as sampling without
// replacement does (0.94 at |A u B| = 4000, K = 256); for sets not much larger than K,
// where densification copies values, it is higher than that, and for sets smaller than
// K up to ~1.3x the classic variance (tested in minhash_test.cc, measured by
// bench/minhash_accuracy.cc). The bins of one signature partition the shingles, so the slots are
// not independent; LSH banding stays close to the S-curve for sets much larger than K.
//
// kFss ("fss32"): fast similarity sketching (Dahlgaard, Knudsen & Thorup, FOCS 2017),
// O(n + K log K) per set. In round t = 0, 1, ... every shingle x is mixed with the
// round's key, y = Mix64(x + key + t * 0x9E3779B97F4A7C15), and offers the value
// (t << 24) | (lo32(y) >> 8) (for K = 128; the round takes bit_width(2K - 1) bits) to one
// bin: bin (hi32(y) * K) >> 32 in rounds t < K, bin (b0(x) + t - K) mod K in rounds
// t >= K, where b0(x) is x's round-0 bin -- a rotation, so that every element reaches
// every bin and the loop ends. Slot i is the least value offered to bin i. A later round
// never beats an earlier one, so the loop stops after the first round that leaves no bin
// empty (two rounds for a 500-shingle document at K = 128). Slot i is therefore the
// least over the set of a value v_i(x) that each element has independently of the
// others: P[slot agrees] = J exactly (up to equal 24-bit values in one round, ~2^-24),
// and the estimate's variance is at most the classic J (1 - J) / K at every set size --
// lower for sets smaller than a few K, where each element reaches several bins and the
// slots sample the set without replacement (tested in minhash_test.cc, measured by
// bench/minhash_accuracy.cc).
//
// The signature of an empty shingle set has every slot = kEmptySlot; it agrees with
// nothing (EstimateJaccard returns 0 when either side is empty).
//
// Example:
//   auto hasher = dedup::MinHasher::Create({.num_perm = 128, .seed = 1}, fingerprint);
//   dedup::Signature sig = hasher->Sign(shingle_hashes);
//   absl::StatusOr<double> j = dedup::EstimateJaccard(sig, other);
//
// MinHasher is immutable after Create(); Sign() is thread-safe.
//
// Speed: SignInto evaluates n * K hash functions. On x86-64 CPUs with AVX-512F or AVX2
// (checked at run time; the build needs no -march flag) it uses a kernel computing 16 or
// 8 functions per instruction sequence; elsewhere a portable loop that the compiler
// vectorizes for the baseline target. All compute exactly the function above (tested),
// so signatures do not depend on the machine that made them.
#ifndef DEDUP_MINHASH_H_
#define DEDUP_MINHASH_H_

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace dedup {

inline constexpr int kDefaultNumPerm = 128;
inline constexpr int kMaxNumPerm = 4096;
inline constexpr uint32_t kEmptySlot = std::numeric_limits<uint32_t>::max();

enum class MinHashEngine {
  kClassic,  // K hash functions: "mas32".
  kOph,      // One permutation hashing with optimal densification: "oph32".
  kFss,      // Fast similarity sketching: "fss32".
};
// The engine's name in the parameter fingerprint: "mas32", "oph32" or "fss32".
const char* MinHashEngineName(MinHashEngine engine);
// The engine's name on the command line: "classic", "oph" or "fss".
const char* MinHashEngineFlag(MinHashEngine engine);
// Parses a command-line name; InvalidArgument naming the accepted values otherwise.
absl::StatusOr<MinHashEngine> ParseMinHashEngine(std::string_view name);

struct MinHashOptions {
  int num_perm = kDefaultNumPerm;  // K, number of hash functions / slots; 1..4096.
  uint64_t seed = 1;               // Seeds the hash functions' parameters.
  MinHashEngine engine = MinHashEngine::kClassic;  // Sketcher's default is kFss (sketch.h).
};

// An immutable MinHash signature: K 32-bit slots plus the parameter fingerprint.
class Signature {
 public:
  Signature() = default;
  Signature(std::vector<uint32_t> values, uint64_t fingerprint)
      : values_(std::move(values)), fingerprint_(fingerprint) {}

  absl::Span<const uint32_t> values() const { return values_; }
  uint64_t fingerprint() const { return fingerprint_; }
  int size() const { return static_cast<int>(values_.size()); }
  // True for the signature of an empty shingle set. Cost O(K).
  bool empty() const;

  friend bool operator==(const Signature& a, const Signature& b) {
    return a.fingerprint_ == b.fingerprint_ && a.values_ == b.values_;
  }

 private:
  std::vector<uint32_t> values_;
  uint64_t fingerprint_ = 0;
};

// SignInto's implementations of the classic engine ("kernels"). All compute the same signatures; the choice
// only changes speed. Exposed for tests and benchmarks.
enum class MinHashKernel {
  kPortable,  // Plain C++ (auto-vectorized for the build's target).
  kAvx2,      // x86-64 AVX2 intrinsics; only where MinHashKernelSupported().
  kAvx512,    // x86-64 AVX-512F, 16 functions per instruction (AVX2 for an odd last 8).
};
// Whether this CPU (and build) can run `kernel`.
bool MinHashKernelSupported(MinHashKernel kernel);
// The kernel SignInto uses on this CPU: the fastest supported one.
MinHashKernel DefaultMinHashKernel();
const char* MinHashKernelName(MinHashKernel kernel);  // "portable", "avx2", "avx512".

class MinHasher {
 public:
  // Fails with InvalidArgument if num_perm is outside [1, kMaxNumPerm].
  static absl::StatusOr<MinHasher> Create(const MinHashOptions& options, uint64_t fingerprint);

  // Signature of the set of `shingle_hashes` (duplicates allowed). Cost O(n * K) with
  // the classic engine, O(n + K) (plus densification, O(K^2 / n) expected for n < K)
  // with kOph.
  Signature Sign(absl::Span<const uint64_t> shingle_hashes) const;
  // Same, into out[0..K); for callers that store signatures contiguously.
  void SignInto(absl::Span<const uint64_t> shingle_hashes, uint32_t* out) const;
  // Same, with a given kernel (which must be supported) for the classic engine; the
  // kernel is ignored by kOph. For tests and benchmarks.
  void SignIntoWithKernel(MinHashKernel kernel, absl::Span<const uint64_t> shingle_hashes, uint32_t* out) const;

  int num_perm() const { return static_cast<int>(a_.size()); }
  uint64_t fingerprint() const { return fingerprint_; }
  MinHashEngine engine() const { return engine_; }

 private:
  MinHasher(std::vector<uint64_t> a, std::vector<uint64_t> b, uint64_t fingerprint);
  void SignOph(absl::Span<const uint64_t> shingle_hashes, uint32_t* out) const;
  void SignFss(absl::Span<const uint64_t> shingle_hashes, uint32_t* out) const;

  MinHashEngine engine_ = MinHashEngine::kClassic;
  uint64_t oph_key_ = 0;      // kOph: added to x before mixing.
  uint64_t densify_key_ = 0;  // kOph: seeds the densification sequence.
  uint64_t fss_key_ = 0;      // kFss: seeds the rounds' hashes.
  std::vector<uint64_t> a_;  // Odd multipliers.
  std::vector<uint64_t> b_;  // Additive offsets.
  // a_ and b_ of each block of 8 functions, laid out for the AVX2 kernel (minhash.cc).
  std::vector<uint32_t> blocks_;
  uint64_t fingerprint_;
};

// Fraction of equal slots of two K-slot arrays; 0 if either is empty (all kEmptySlot).
double SignatureSimilarity(const uint32_t* a, const uint32_t* b, int k);

// b-bit slots (Li & König, "b-Bit Minwise Hashing", WWW 2010): keeping only the low b
// bits of each slot shrinks a K = 128 signature from 512 to 256 (b = 16) or 128 (b = 8)
// bytes. Two slots whose minima differ then still agree with probability ~2^-b, so the
// fraction P of agreeing b-bit slots estimates P = J + (1 - J) 2^-b and
//   J = (P - 2^-b) / (1 - 2^-b)          (clamped to [0, 1])
// is the corrected, unbiased estimate, with standard error
//   sqrt(P (1 - P) / K) / (1 - 2^-b)     (0.0406 vs 0.0405 for J = 0.7, K = 128, b = 8).
// kSignatureBits lists the supported b; 32 means the slots as they are.
inline constexpr int kSignatureBits[] = {8, 16, 32};
bool ValidSignatureBits(int bits);
// Bytes one packed signature of K slots takes: K * bits / 8.
inline size_t PackedSignatureBytes(int k, int bits) { return static_cast<size_t>(k) * bits / 8; }
// Writes the low `bits` bits of each of the K slots to out[0 .. PackedSignatureBytes).
void PackSignature(const uint32_t* slots, int k, int bits, uint8_t* out);
// The corrected estimate above from two packed signatures (empty documents are the
// caller's to exclude: verify.h checks the shingle counts).
double PackedSimilarity(const uint8_t* a, const uint8_t* b, int k, int bits);
// How many of the K (<= kMaxNumPerm) slots of two packed signatures agree in their
// `bits` bits, one of kSignatureBits (SSE2 compares, 16 bytes per instruction).
int CountEqualSlots(const uint8_t* a, const uint8_t* b, int k, int bits);
// Standard error of PackedSimilarity at true similarity j.
double PackedStandardError(double j, int k, int bits);

// Estimated Jaccard similarity. FailedPrecondition if the fingerprints differ.
absl::StatusOr<double> EstimateJaccard(const Signature& a, const Signature& b);

// Standard error of the MinHash estimate at true similarity j with k slots.
inline double MinHashStandardError(double j, int k) { return std::sqrt(j * (1.0 - j) / k); }

// SplitMix64's output function: a bijection of 64-bit values with full avalanche.
inline uint64_t Mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// SplitMix64: the deterministic, portable generator used to derive parameters.
inline uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace dedup

#endif  // DEDUP_MINHASH_H_
