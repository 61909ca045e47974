#include "dedup/lsh_index.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/synchronization/mutex.h"
#include "absl/strings/str_format.h"
#include "dedup/status_macros.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace dedup {
namespace {

// ∫_lo^hi f(s) ds by composite Simpson's rule; f is smooth on [0, 1], so 512
// intervals agree with adaptive quadrature to ~1e-10, far below the gaps between
// the errors of neighbouring (b, r) choices.
template <typename F>
double Integrate(F f, double lo, double hi) {
  constexpr int kIntervals = 512;
  const double h = (hi - lo) / kIntervals;
  double sum = f(lo) + f(hi);
  for (int i = 1; i < kIntervals; ++i) sum += f(lo + i * h) * (i % 2 == 1 ? 4.0 : 2.0);
  return sum * h / 3.0;
}

absl::StatusOr<LshParams> SearchLshParams(double threshold, int num_perm, double false_positive_weight,
                                          double false_negative_weight);

bool IsEmpty(const SketchedDocument& sketch) {
  return sketch.num_shingles == 0 || sketch.signature.size() == 0;
}

}  // namespace

bool SharesBand(const uint32_t* a, const uint32_t* b, const LshParams& params) {
  for (int band = 0; band < params.bands; ++band) {
    const size_t first = static_cast<size_t>(band) * params.rows;
    if (std::equal(a + first, a + first + params.rows, b + first)) return true;
  }
  return false;
}

double CandidateProbability(double s, const LshParams& params) {
  return 1.0 - std::pow(1.0 - std::pow(s, params.rows), params.bands);
}

absl::Status ValidateLshParams(const LshParams& params, int num_perm) {
  if (params.bands < 1 || params.rows < 1) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "bands (%d) and rows (%d) must both be at least 1", params.bands, params.rows));
  }
  if (static_cast<int64_t>(params.bands) * params.rows > num_perm) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "bands x rows = %d x %d = %d exceeds num_perm %d", params.bands, params.rows,
        static_cast<int64_t>(params.bands) * params.rows, num_perm));
  }
  return absl::OkStatus();
}

absl::StatusOr<LshParams> OptimalLshParams(double threshold, int num_perm,
                                           double false_positive_weight,
                                           double false_negative_weight) {
  // The search costs ~10^6 pow() calls (tens of milliseconds); a run asks for the same
  // parameters more than once (option checks, then the run), so answers are remembered.
  using Key = std::tuple<double, int, double, double>;
  static absl::Mutex mu(absl::kConstInit);
  static auto* memo = new absl::flat_hash_map<Key, LshParams>();
  const Key key{threshold, num_perm, false_positive_weight, false_negative_weight};
  {
    absl::MutexLock lock(&mu);
    auto it = memo->find(key);
    if (it != memo->end()) return it->second;
  }
  absl::StatusOr<LshParams> found = SearchLshParams(threshold, num_perm, false_positive_weight, false_negative_weight);
  if (found.ok()) {
    absl::MutexLock lock(&mu);
    memo->emplace(key, *found);
  }
  return found;
}

namespace {

absl::StatusOr<LshParams> SearchLshParams(double threshold, int num_perm, double false_positive_weight,
                                          double false_negative_weight) {
  if (!(threshold > 0.0 && threshold < 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("threshold %g must be strictly between 0 and 1 to choose LSH bands", threshold));
  }
  if (num_perm < 1) return absl::InvalidArgumentError(absl::StrFormat("num_perm %d < 1", num_perm));
  if (!(false_positive_weight >= 0 && false_negative_weight >= 0) ||
      false_positive_weight + false_negative_weight <= 0) {
    return absl::InvalidArgumentError("LSH error weights must be >= 0 and not both 0");
  }
  LshParams best;
  double best_error = std::numeric_limits<double>::infinity();
  for (int b = 1; b <= num_perm; ++b) {
    for (int r = 1; r <= num_perm / b; ++r) {
      LshParams p{b, r};
      double fp = Integrate([&](double s) { return CandidateProbability(s, p); }, 0.0, threshold);
      double fn = Integrate([&](double s) { return 1.0 - CandidateProbability(s, p); }, threshold, 1.0);
      double error = false_positive_weight * fp + false_negative_weight * fn;
      if (error < best_error) {
        best_error = error;
        best = p;
      }
    }
  }
  return best;
}

}  // namespace

absl::StatusOr<std::unique_ptr<LshIndex>> LshIndex::Create(const LshParams& params, int num_perm) {
  DEDUP_RETURN_IF_ERROR(ValidateLshParams(params, num_perm));
  return std::unique_ptr<LshIndex>(new LshIndex(params, num_perm));
}

LshIndex::LshIndex(const LshParams& params, int num_perm)
    : params_(params), num_perm_(num_perm), bands_(params.bands) {}

uint64_t LshIndex::BandKey(const uint32_t* signature, int band) const {
  return XXH3_64bits_withSeed(signature + static_cast<size_t>(band) * params_.rows,
                              sizeof(uint32_t) * params_.rows, static_cast<uint64_t>(band));
}

namespace {
// Spare slots after the last home (and after the last occupied slot when a rehash
// places one past it): runs near the top of the key range spill into them.
constexpr size_t kTail = 64;
constexpr size_t kMinCapacity = 16;
}  // namespace

// Rebuilds `b` with about kGrowth times the home positions. The slots are in key order
// already, so each goes to max(its new home, the previous slot's position + 1): one
// sequential pass, and the result is what inserting them one by one would give.
void LshIndex::Grow(Band& b) {
  const uint64_t old_capacity = b.capacity;
  uint64_t capacity = std::max<uint64_t>(
      {kMinCapacity, static_cast<uint64_t>(std::ceil(static_cast<double>(old_capacity) * kGrowth)),
       static_cast<uint64_t>(static_cast<double>(b.used + 1) / kMaxLoad) + 1});
  std::vector<Slot> old = std::move(b.slots);
  b.capacity = capacity;
  b.max_used = static_cast<size_t>(kMaxLoad * static_cast<double>(capacity));
  std::vector<Slot> slots(capacity + kTail, Slot{0, kEmpty});
  size_t next = 0;
  for (const Slot& s : old) {
    if (s.value == kEmpty) continue;
    const size_t pos = std::max(Home(b, s.tag >> 1), next);
    if (pos + 1 >= slots.size()) {  // Rare: a run spilling past the whole tail.
      slots.reserve(pos + kTail);   // Exactly (a plain resize could double the array).
      slots.resize(pos + kTail, Slot{0, kEmpty});
    }
    slots[pos] = s;
    next = pos + 1;
  }
  b.slots = std::move(slots);
}

// False when the band must grow first (load above kMaxLoad, or no empty slot left
// before the array's last one to shift into); the band is then unchanged.
bool LshIndex::TryInsert(Band& b, uint32_t key31, DocIndex doc) {
  if (b.used >= b.max_used) return false;
  Slot* s = b.slots.data();
  size_t i = Home(b, key31);
  int inline_count = 0;
  for (;; ++i) {
    if (s[i].value == kEmpty) break;
    const uint32_t k = s[i].tag >> 1;
    if (k < key31) continue;
    if (k > key31) break;
    if (s[i].tag & 1) {  // The key's overflow bucket: no new slot.
      b.overflow[s[i].value].push_back(doc);
      return true;
    }
    ++inline_count;
  }
  size_t e = i;  // The first empty slot at or after the insertion point.
  while (s[e].value != kEmpty) ++e;
  if (e + 1 >= b.slots.size()) return false;  // The last slot stays empty: lookups stop there.
  std::memmove(s + i + 1, s + i, (e - i) * sizeof(Slot));
  if (inline_count < kInlinePerKey) {
    s[i] = Slot{key31 << 1, doc};
  } else {
    s[i] = Slot{(key31 << 1) | 1u, static_cast<uint32_t>(b.overflow.size())};
    b.overflow.push_back(std::vector<DocIndex>{doc});
  }
  ++b.used;
  return true;
}

void LshIndex::InsertInto(Band& b, uint32_t key31, DocIndex doc) {
  while (!TryInsert(b, key31, doc)) Grow(b);
}

void LshIndex::Lookup(const Band& b, uint32_t key31, std::vector<DocIndex>* out) {
  if (b.capacity == 0) return;
  const Slot* s = b.slots.data();
  for (size_t i = Home(b, key31);; ++i) {
    const Slot slot = s[i];
    if (slot.value == kEmpty) return;
    const uint32_t k = slot.tag >> 1;
    if (k < key31) continue;
    if (k > key31) return;
    if (slot.tag & 1) {  // The overflow slot is the key's last.
      const std::vector<DocIndex>& docs = b.overflow[slot.value];
      out->insert(out->end(), docs.begin(), docs.end());
      return;
    }
    out->push_back(slot.value);
  }
}

// Both Insert and Query hash every band first and prefetch each band's home slot, so
// the bands' cache misses overlap instead of being paid one after another.
void LshIndex::PrefetchHomes(const uint32_t* sig, uint32_t* keys) const {
  for (int band = 0; band < params_.bands; ++band) {
    keys[band] = KeyOf(BandKey(sig, band));
    const Band& b = bands_[band];
    if (b.capacity == 0) continue;
    const Slot* home = b.slots.data() + Home(b, keys[band]);
    __builtin_prefetch(home);
    __builtin_prefetch(home + 4);  // The walk often crosses into the next cache line.
  }
}

void LshIndex::Insert(DocIndex doc, const SketchedDocument& sketch) {
  ++size_;
  if (IsEmpty(sketch)) return;
  DEDUP_CHECK(sketch.signature.size() == num_perm_);
  DEDUP_CHECK(doc != kEmpty);
  absl::InlinedVector<uint32_t, 64> keys(static_cast<size_t>(params_.bands));
  PrefetchHomes(sketch.signature.values().data(), keys.data());
  for (int band = 0; band < params_.bands; ++band) InsertInto(bands_[band], keys[band], doc);
}

void LshIndex::Query(const SketchedDocument& sketch, std::vector<DocIndex>* out) const {
  if (IsEmpty(sketch)) return;
  DEDUP_CHECK(sketch.signature.size() == num_perm_);
  absl::InlinedVector<uint32_t, 64> keys(static_cast<size_t>(params_.bands));
  PrefetchHomes(sketch.signature.values().data(), keys.data());
  const size_t first = out->size();
  for (int band = 0; band < params_.bands; ++band) Lookup(bands_[band], keys[band], out);
  std::sort(out->begin() + first, out->end());
  out->erase(std::unique(out->begin() + first, out->end()), out->end());
}

void LshIndex::Query(const SketchedDocument& sketch, std::vector<DocIndex>* out, size_t max_per_key,
                     std::vector<KeyRef>* large) const {
  if (IsEmpty(sketch)) return;
  DEDUP_CHECK(sketch.signature.size() == num_perm_);
  absl::InlinedVector<uint32_t, 64> keys(static_cast<size_t>(params_.bands));
  PrefetchHomes(sketch.signature.values().data(), keys.data());
  const size_t first = out->size();
  for (int band = 0; band < params_.bands; ++band) {
    const KeyRef key{band, keys[band]};
    if (KeyCount(key) > max_per_key) {
      large->push_back(key);
    } else {
      Lookup(bands_[band], keys[band], out);
    }
  }
  std::sort(out->begin() + first, out->end());
  out->erase(std::unique(out->begin() + first, out->end()), out->end());
}

void LshIndex::KeyDocs(const KeyRef& key, std::vector<DocIndex>* out) const {
  Lookup(bands_[key.band], key.key31, out);
}

size_t LshIndex::KeyCount(const KeyRef& key) const {
  const Band& b = bands_[key.band];
  if (b.capacity == 0) return 0;
  const Slot* s = b.slots.data();
  size_t count = 0;
  for (size_t i = Home(b, key.key31);; ++i) {
    const Slot slot = s[i];
    if (slot.value == kEmpty) return count;
    const uint32_t k = slot.tag >> 1;
    if (k < key.key31) continue;
    if (k > key.key31) return count;
    if (slot.tag & 1) return count + b.overflow[slot.value].size();
    ++count;
  }
}

std::vector<LshIndex::KeyRef> LshIndex::LargeKeys(size_t min_docs) const {
  std::vector<KeyRef> keys;
  for (int band = 0; band < params_.bands; ++band) {
    const Band& b = bands_[band];
    for (const Slot& s : b.slots) {
      if (s.value == kEmpty || !(s.tag & 1)) continue;
      if (kInlinePerKey + b.overflow[s.value].size() > min_docs) keys.push_back(KeyRef{band, s.tag >> 1});
    }
  }
  return keys;
}

size_t LshIndex::MemoryBytes() const {
  size_t bytes = bands_.capacity() * sizeof(Band);
  for (const Band& b : bands_) {
    bytes += b.slots.capacity() * sizeof(Slot);
    bytes += b.overflow.capacity() * sizeof(std::vector<DocIndex>);
    for (const std::vector<DocIndex>& docs : b.overflow) bytes += docs.capacity() * sizeof(DocIndex);
  }
  return bytes;
}

void BruteForceIndex::Insert(DocIndex doc, const SketchedDocument& sketch) {
  sizes_[doc] = static_cast<uint32_t>(sketch.shingles.size());
  for (uint64_t h : sketch.shingles) postings_[h].push_back(doc);
}

void BruteForceIndex::Query(const SketchedDocument& sketch, std::vector<DocIndex>* out) const {
  if (sketch.shingles.empty()) return;
  const size_t first = out->size();
  if (threshold_ <= 0.0) {  // Every non-empty document qualifies, sharing or not.
    for (const auto& [doc, size] : sizes_) {
      if (size > 0) out->push_back(doc);
    }
  } else {
    absl::flat_hash_map<DocIndex, uint32_t> common;
    for (uint64_t h : sketch.shingles) {
      auto it = postings_.find(h);
      if (it == postings_.end()) continue;
      for (DocIndex d : it->second) ++common[d];
    }
    const size_t q = sketch.shingles.size();
    for (const auto& [doc, c] : common) {
      // The same arithmetic as ExactJaccard(), so both agree to the last bit.
      double j = static_cast<double>(c) / static_cast<double>(q + sizes_.at(doc) - c);
      if (j >= threshold_) out->push_back(doc);
    }
  }
  std::sort(out->begin() + first, out->end());
}

}  // namespace dedup
