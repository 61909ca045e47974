#include "dedup/minhash.h"

#include <algorithm>

#include "absl/strings/str_format.h"

namespace dedup {

bool Signature::empty() const {
  return std::all_of(values_.begin(), values_.end(), [](uint32_t v) { return v == kEmptySlot; });
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
  return MinHasher(std::move(a), std::move(b), fingerprint);
}

void MinHasher::SignInto(absl::Span<const uint64_t> shingle_hashes, uint32_t* out) const {
  const size_t k = a_.size();
  const uint64_t* a = a_.data();
  const uint64_t* b = b_.data();
  std::fill(out, out + k, kEmptySlot);
  // Inner loop over the K functions: contiguous and branch-free, so the compiler
  // vectorizes it.
  for (uint64_t x : shingle_hashes) {
    for (size_t i = 0; i < k; ++i) {
      uint32_t h = static_cast<uint32_t>((a[i] * x + b[i]) >> 32);
      out[i] = std::min(out[i], h);
    }
  }
}

Signature MinHasher::Sign(absl::Span<const uint64_t> shingle_hashes) const {
  std::vector<uint32_t> values(a_.size());
  SignInto(shingle_hashes, values.data());
  return Signature(std::move(values), fingerprint_);
}

double SignatureSimilarity(const uint32_t* a, const uint32_t* b, int k) {
  int equal = 0;
  bool a_empty = true, b_empty = true;
  for (int i = 0; i < k; ++i) {
    equal += a[i] == b[i];
    a_empty &= a[i] == kEmptySlot;
    b_empty &= b[i] == kEmptySlot;
  }
  if (a_empty || b_empty || k == 0) return 0.0;
  return static_cast<double>(equal) / k;
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
