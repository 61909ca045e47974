#include "dedup/cluster.h"
#include "dedup/progress.h"

#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_format.h"
#include "dedup/internal/radix_sort.h"
#include "dedup/status_macros.h"
#include "oneapi/tbb/blocked_range.h"
#include "oneapi/tbb/parallel_for.h"

namespace dedup {
namespace {

// Signature blocks hold up to this many bytes: small enough that the last block's spare
// room is negligible past a few thousand documents, and that malloc serves them from
// its heap rather than with an mmap each (below glibc's 128 KiB threshold: a million
// documents make ~7,800 blocks at 32-bit signatures); large enough that the block list
// costs next to nothing (8 bytes per block).
constexpr size_t kSignatureBlockBytes = size_t{1} << 16;

template <typename T>
void Release(std::vector<T>& v) {
  std::vector<T>().swap(v);
}

template <typename T>
size_t CapacityBytes(const std::vector<T>& v) {
  return v.capacity() * sizeof(T);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Clusterer>> Clusterer::Create(const ClusterOptions& options,
                                                             int num_perm) {
  if (!(options.threshold >= 0.0 && options.threshold <= 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("threshold %g is out of range [0, 1]", options.threshold));
  }
  if (num_perm < 1) return absl::InvalidArgumentError(absl::StrFormat("num_perm %d < 1", num_perm));
  if (!ValidSignatureBits(options.signature_bits)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("signature bits %d: expected 8, 16 or 32", options.signature_bits));
  }
  if (!(options.containment_threshold >= 0.0 && options.containment_threshold <= 1.0)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "containment threshold %g is out of range [0, 1]", options.containment_threshold));
  }
  if (!(options.min_containment_ratio > 0.0 && options.min_containment_ratio <= 1.0)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "minimum containment size ratio %g is out of range (0, 1]", options.min_containment_ratio));
  }
  if (!(options.opening_min_ratio > 0.0 && options.opening_min_ratio <= 1.0) ||
      !(options.opening_threshold >= 0.0 && options.opening_threshold <= 1.0) ||
      !(options.opening_containment >= 0.0 && options.opening_containment <= 1.0) || options.opening.num_perm < 0 ||
      options.opening.num_perm > kMaxNumPerm) {
    return absl::InvalidArgumentError("opening excerpt options out of range");
  }
  LshParams lsh;
  std::unique_ptr<CandidateIndex> index;
  const MatchOptions m = MatchOptionsOf(options);
  if (options.exact) {
    // Every pair the rules can accept has Jaccard >= CandidateThreshold (verify.h).
    index = std::make_unique<BruteForceIndex>(CandidateThreshold(m));
  } else {
    if (options.lsh.has_value()) {
      lsh = *options.lsh;
    } else {
      // The S-curve optimiser needs an open interval; at the extremes, use its limits.
      double t = std::clamp(CandidateThreshold(m), 0.01, 0.99);
      DEDUP_ASSIGN_OR_RETURN(lsh, OptimalLshParams(t, num_perm, 1.0 - kCandidateFalseNegativeWeight,
                                                    kCandidateFalseNegativeWeight));
    }
    DEDUP_RETURN_IF_ERROR(ValidateLshParams(lsh, num_perm));
    if (options.signature_bits * lsh.rows < kMinBandBits) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%d-bit signatures with %d rows per band compare only %d bits per band: unrelated documents "
          "would agree in a band by chance once in %d pairs; use at least %d rows, or wider signatures",
          options.signature_bits, lsh.rows, options.signature_bits * lsh.rows,
          1 << (options.signature_bits * lsh.rows), (kMinBandBits + options.signature_bits - 1) / options.signature_bits));
    }
  }
  return std::unique_ptr<Clusterer>(new Clusterer(options, num_perm, lsh, std::move(index)));
}

Clusterer::Clusterer(ClusterOptions options, int num_perm, LshParams lsh,
                     std::unique_ptr<CandidateIndex> index)
    : options_(options),
      num_perm_(num_perm),
      lsh_params_(lsh),
      index_(std::move(index)),
      signature_bytes_(PackedSignatureBytes(num_perm, options.signature_bits)) {
  match_ = MatchOptionsOf(options);
  // A power of two of documents per block, so that finding a signature is a shift and
  // a mask: the largest whose block fits kSignatureBlockBytes, at least 1.
  signature_block_shift_ = 0;
  while ((signature_bytes_ << (signature_block_shift_ + 1)) <= kSignatureBlockBytes) {
    ++signature_block_shift_;
  }
  if (!options_.exact && options_.opening_threshold > 0.0 && options_.opening.num_perm >= kOpeningRows) {
    opening_perm_ = options_.opening.num_perm;
    const size_t bytes = static_cast<size_t>(opening_perm_) * sizeof(uint32_t);
    while ((bytes << (opening_block_shift_ + 1)) <= kSignatureBlockBytes) ++opening_block_shift_;
  }
}

DocIndex Clusterer::Find(DocIndex x) {
  while (parent_[x] != x) {
    parent_[x] = parent_[parent_[x]];  // Path halving.
    x = parent_[x];
  }
  return x;
}

std::string_view RelationName(Relation r) {
  switch (r) {
    case Relation::kRepresentative: return "representative";
    case Relation::kSimilar: return "similar";
    case Relation::kExcerpt: return "excerpt";
    case Relation::kExtends: return "extends";
    case Relation::kLinked: return "linked";
  }
  return "linked";
}

namespace {
// a[0, n) == b[0, n), inlined for the few bytes of one band (rows * bits / 8: 12 at the
// defaults), where a call to memcmp cost more than the comparison.
inline bool BytesEqual(const uint8_t* a, const uint8_t* b, size_t n) {
  auto load64 = [](const uint8_t* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
  };
  if (n >= 8) {
    for (size_t i = 0; i + 8 < n; i += 8) {
      if (load64(a + i) != load64(b + i)) return false;
    }
    return load64(a + n - 8) == load64(b + n - 8);  // The last 8, overlapping the loop's.
  }
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}
}  // namespace

PairEstimate Clusterer::Estimate(DocIndex a, DocIndex b, bool with_opening) const {
  if (options_.exact) return ExactPair(shingles_[a], shingles_[b]);
  PairEstimate e =
      options_.ordered_slots && options_.signature_bits == 32
          ? EstimateOrderedPackedPair(PackedSignature(a), num_shingles_[a], PackedSignature(b), num_shingles_[b],
                                      num_perm_)
          : EstimatePackedPair(PackedSignature(a), num_shingles_[a], PackedSignature(b), num_shingles_[b], num_perm_,
                               options_.signature_bits);
  if (with_opening) e.opening = OpeningContainment(a, b);
  return e;
}

double Clusterer::OpeningContainment(DocIndex a, DocIndex b) const {
  if (opening_blocks_.empty()) return -1;
  if (num_shingles_[b] < num_shingles_[a]) std::swap(a, b);  // a: the smaller document.
  const uint32_t* oa = OpeningSignature(a);
  const uint32_t* ob = OpeningSignature(b);
  if (oa[0] == kEmptySlot || ob[0] == kEmptySlot) return -1;  // No opening.
  return dedup::OpeningContainment(oa, ob, opening_perm_);
}

bool Clusterer::Better(DocIndex a, DocIndex b) const {
  return CanonicalBefore({published_[a], a, num_shingles_[a]}, {published_[b], b, num_shingles_[b]},
                         options_.canonical);
}

bool Clusterer::Verify(DocIndex a, DocIndex b) const {
  // The opening is looked at only when the main rules reject the pair: without it
  // (opening -1), Classify() applies them alone.
  PairEstimate e = Estimate(a, b, /*with_opening=*/false);
  if (Classify(e, num_shingles_[a], num_shingles_[b], match_) != MatchKind::kNone) return true;
  if (opening_blocks_.empty()) return false;
  // The opening rule's cheap conditions first (most rejected candidates fail them).
  const bool a_smaller = num_shingles_[a] <= num_shingles_[b];
  const double small = a_smaller ? num_shingles_[a] : num_shingles_[b];
  const double large = a_smaller ? num_shingles_[b] : num_shingles_[a];
  if (small < match_.opening_min_ratio * large || small < match_.min_containment_shingles ||
      ContainmentLowerBound(e, num_shingles_[a], num_shingles_[b], a_smaller, match_.containment_z) <
          match_.opening_containment) {
    return false;
  }
  e.opening = OpeningContainment(a, b);
  return e.opening >= 0 && Classify(e, num_shingles_[a], num_shingles_[b], match_) != MatchKind::kNone;
}

void Clusterer::Union(DocIndex a, DocIndex b) {
  DocIndex ra = Find(a), rb = Find(b);
  if (ra == rb) return;
  // The smaller input position becomes the root, so a root is its cluster's first
  // document (the representative under kFirst), whatever order the pairs come in.
  if (ra < rb) std::swap(ra, rb);
  parent_[ra] = rb;
}

void Clusterer::Accept(const RunPairs& found) {
  stats_.candidate_pairs += found.candidates;
  stats_.verified_pairs += found.verified;
  for (const auto& [a, b] : found.pairs) {
    if (options_.record_pairs) verified_pairs_.emplace_back(a, b);
    Union(a, b);
  }
}

void Clusterer::JoinRun(const uint64_t* docs, size_t count, int band, JoinScratch* scratch, RunPairs* out) const {
  if (!options_.record_pairs && count > kMaxPairwiseClasses) {
    JoinRunByClasses(docs, count, band, scratch, out);
    return;
  }
  // Without record_pairs, a union-find over the run's positions keeps only the pairs that
  // join two groups: at most count - 1.
  std::vector<uint32_t>& group = scratch->group;
  auto group_of = [&](uint32_t x) {
    while (group[x] != x) x = group[x] = group[group[x]];
    return x;
  };
  if (!options_.record_pairs) {
    group.resize(count);
    for (uint32_t i = 0; i < count; ++i) group[i] = i;
  }
  // In a long run (pages sharing a site's chrome: thousands of documents whose
  // signatures lie anywhere in memory) the pair loop below reads each signature's bands
  // up to this one `count` times: they are copied side by side first.
  const size_t band_bytes = PackedSignatureBytes(lsh_params_.rows, options_.signature_bits);
  const size_t offset = static_cast<size_t>(band) * band_bytes;
  const size_t prefix = offset + band_bytes;
  constexpr size_t kGatherFrom = 16;  // Shorter runs (most are pairs) read in place.
  const bool gather = count >= kGatherFrom;
  if (gather) {
    scratch->prefixes.resize(count * prefix);
    for (size_t i = 0; i < count; ++i) {
      std::memcpy(scratch->prefixes.data() + i * prefix, PackedSignature(static_cast<DocIndex>(docs[i])), prefix);
    }
  }
  auto bands_of = [&](size_t i) {
    return gather ? scratch->prefixes.data() + i * prefix : PackedSignature(static_cast<DocIndex>(docs[i]));
  };
  for (size_t y = 1; y < count; ++y) {
    const DocIndex b = static_cast<DocIndex>(docs[y]);
    const uint8_t* pb = bands_of(y);
    for (size_t x = 0; x < y; ++x) {
      const uint8_t* pa = bands_of(x);
      if (!BytesEqual(pa + offset, pb + offset, band_bytes)) continue;  // Key collision.
      // Agreeing in an earlier band: considered there.
      bool seen = false;
      for (size_t e = 0; e < offset && !seen; e += band_bytes) seen = BytesEqual(pa + e, pb + e, band_bytes);
      if (seen) continue;
      ++out->candidates;
      const DocIndex a = static_cast<DocIndex>(docs[x]);
      if (!Verify(a, b)) continue;
      ++out->verified;
      if (!options_.record_pairs) {
        const uint32_t gx = group_of(static_cast<uint32_t>(x)), gy = group_of(static_cast<uint32_t>(y));
        if (gx == gy) continue;  // Already connected within this run.
        group[std::max(gx, gy)] = std::min(gx, gy);
      }
      out->pairs.emplace_back(a, b);
    }
  }
}

// A run of k documents in u classes of copies (equal packed signature and shingle
// count), positions 0 .. k-1 in input order. Why the components come out as with every
// pair verified:
//   - a copy's verifications are its leader's (same inputs; Verify is symmetric) and it
//     verifies with its leader (checked once per class: J^ = 1), so the class is
//     connected and linking its leader links all of it;
//   - a pair that is not verified because its documents are already in one group
//     (component) cannot change the components: every other pair is verified.
// Scratch: 7 words per position and a hash map entry per class (about 60 bytes per
// document of the run), reused by the task's later runs.
void Clusterer::JoinRunByClasses(const uint64_t* docs, size_t count, int band, JoinScratch* scratch,
                                 RunPairs* out) const {
  constexpr uint32_t kNone = UINT32_MAX;
  const size_t band_bytes = PackedSignatureBytes(lsh_params_.rows, options_.signature_bits);
  const size_t offset = static_cast<size_t>(band) * band_bytes;
  auto doc = [&](uint32_t p) { return static_cast<DocIndex>(docs[p]); };
  // The pair of leaders (x, y) is a candidate in this band: their slots agree here
  // (not a key collision) and in no earlier band (where it was considered).
  auto candidate = [&](uint32_t x, uint32_t y) {
    const uint8_t* pa = PackedSignature(doc(x));
    const uint8_t* pb = PackedSignature(doc(y));
    if (!BytesEqual(pa + offset, pb + offset, band_bytes)) return false;
    for (size_t e = 0; e < offset; e += band_bytes) {
      if (BytesEqual(pa + e, pb + e, band_bytes)) return false;
    }
    return true;
  };
  auto verify = [&](uint32_t x, uint32_t y) { return Verify(std::min(doc(x), doc(y)), std::max(doc(x), doc(y))); };

  // 1. Classes: the first position with the same signature hash, if really a copy.
  std::vector<uint32_t>& leader = scratch->leader;
  std::vector<uint32_t>& copies = scratch->copies;
  auto& first = scratch->first;
  leader.resize(count);
  copies.assign(count, 0);
  first.clear();
  size_t classes = 0;
  for (uint32_t p = 0; p < count; ++p) {
    const DocIndex d = doc(p);
    const uint8_t* sig = PackedSignature(d);
    const auto [it, inserted] = first.try_emplace(XXH3_64bits_withSeed(sig, signature_bytes_, num_shingles_[d]), p);
    uint32_t l = p;
    if (!inserted) {
      const uint32_t q = it->second;
      // A hash collision, or (never, as J^ = 1) copies that do not verify: a class of its own.
      if (num_shingles_[doc(q)] == num_shingles_[d] && std::memcmp(PackedSignature(doc(q)), sig, signature_bytes_) == 0 &&
          (copies[q] > 1 || verify(q, q))) {
        l = q;
      }
    }
    leader[p] = l;
    classes += l == p;
    ++copies[l];
  }
  // A class's own pairs are candidates in band 0 (copies agree in every band).
  std::vector<std::pair<DocIndex, DocIndex>>& pairs = out->pairs;
  if (band == 0) {
    for (uint32_t p = 0; p < count; ++p) {
      const int64_t c = copies[p];
      out->candidates += c * (c - 1) / 2;
      out->verified += c * (c - 1) / 2;
      if (leader[p] != p) pairs.emplace_back(doc(leader[p]), doc(p));
    }
  }

  std::vector<uint32_t>& group = scratch->group;
  auto find = [&](uint32_t x) {
    while (group[x] != x) x = group[x] = group[group[x]];
    return x;
  };
  if (classes <= kMaxPairwiseClasses) {
    // 2a. Every pair of classes, as JoinRun() verifies every pair of documents.
    std::vector<uint32_t>& leaders = scratch->active;
    leaders.clear();
    group.resize(count);
    for (uint32_t p = 0; p < count; ++p) {
      if (leader[p] == p) leaders.push_back(p);
      group[p] = p;
    }
    for (size_t j = 1; j < leaders.size(); ++j) {
      const uint32_t y = leaders[j];
      for (size_t i = 0; i < j; ++i) {
        const uint32_t x = leaders[i];
        if (!candidate(x, y)) continue;
        const int64_t w = int64_t{copies[x]} * copies[y];
        out->candidates += w;
        if (!verify(x, y)) continue;
        out->verified += w;
        const uint32_t gx = find(x), gy = find(y);
        if (gx == gy) continue;
        group[std::max(gx, gy)] = std::min(gx, gy);
        pairs.emplace_back(doc(x), doc(y));
      }
    }
    return;
  }

  // 2b. Groups: positions start grouped by their documents' roots (the components of
  // earlier bands' merges); each leader y, in input order, is verified against the
  // leaders visited so far of every other active group, one after another until one
  // verifies (then the groups merge), and joins its group's list.
  first.clear();
  group.resize(count);
  for (uint32_t p = 0; p < count; ++p) group[p] = first.try_emplace(parent_[doc(p)], p).first->second;
  for (uint32_t p = 0; p < count; ++p) {  // Copies with their leaders (joined in band 0 already).
    const uint32_t gx = find(leader[p]), gy = find(p);
    if (gx != gy) group[std::max(gx, gy)] = std::min(gx, gy);
  }
  std::vector<uint32_t>& head = scratch->head;
  std::vector<uint32_t>& tail = scratch->tail;
  std::vector<uint32_t>& next = scratch->next;
  std::vector<uint32_t>& stamp = scratch->stamp;
  std::vector<uint32_t>& active = scratch->active;
  head.assign(count, kNone);
  tail.resize(count);
  next.resize(count);
  stamp.assign(count, kNone);
  active.clear();
  // Merges the groups of roots a and b (the smaller position becomes the root) and their lists.
  auto link = [&](uint32_t a, uint32_t b) {
    if (a > b) std::swap(a, b);
    group[b] = a;
    if (head[b] == kNone) return a;
    if (head[a] == kNone) {
      head[a] = head[b];
    } else {
      next[tail[a]] = head[b];
    }
    tail[a] = tail[b];
    head[b] = kNone;
    return a;
  };
  for (uint32_t y = 0; y < count; ++y) {
    if (leader[y] != y) continue;
    uint32_t gy = find(y);
    size_t kept = 0;
    for (size_t i = 0; i < active.size(); ++i) {
      const uint32_t g = active[i];
      if (group[g] != g || stamp[g] == y) continue;  // Merged into another group, or kept already.
      if (g != gy) {
        for (uint32_t x = head[g]; x != kNone; x = next[x]) {
          if (!candidate(x, y)) continue;
          const int64_t w = int64_t{copies[x]} * copies[y];
          out->candidates += w;
          if (!verify(x, y)) continue;
          out->verified += w;
          gy = link(g, gy);
          pairs.emplace_back(doc(x), doc(y));
          break;
        }
        if (group[g] != g) continue;  // Merged: its root is gy, kept below.
      }
      stamp[g] = y;
      active[kept++] = g;
    }
    active.resize(kept);
    // y joins its group's list.
    next[y] = kNone;
    if (head[gy] == kNone) {
      head[gy] = y;
    } else {
      next[tail[gy]] = y;
    }
    tail[gy] = y;
    if (stamp[gy] != y) {
      stamp[gy] = y;
      active.push_back(gy);
    }
  }
}

void Clusterer::JoinBands() {
  constexpr size_t kGrain = 4096;  // Documents (or sorted entries) per parallel task.
  const DocIndex n = static_cast<DocIndex>(parent_.size());
  const size_t band_bytes = PackedSignatureBytes(lsh_params_.rows, options_.signature_bits);
  const size_t m = nonempty_;
  auto keyed = std::make_unique_for_overwrite<uint64_t[]>(m);
  auto buffer = std::make_unique_for_overwrite<uint64_t[]>(m);
  // Where each block of kGrain documents starts among the non-empty ones.
  const size_t blocks = (static_cast<size_t>(n) + kGrain - 1) / kGrain;
  std::vector<size_t> block_start(blocks + 1, 0);
  for (size_t blk = 0; blk < blocks; ++blk) {
    size_t count = 0;
    for (size_t d = blk * kGrain; d < std::min<size_t>(n, (blk + 1) * kGrain); ++d) count += num_shingles_[d] > 0;
    block_start[blk + 1] = block_start[blk] + count;
  }
  // Per chunk of the sorted entries: what its runs found (JoinRun).
  const size_t chunks = std::max<size_t>(1, (m + kGrain - 1) / kGrain);
  std::vector<RunPairs> found(chunks);
  for (int band = 0; band < lsh_params_.bands; ++band) {
    const size_t offset = static_cast<size_t>(band) * band_bytes;
    // Every document's root in parent_, for JoinRunByClasses(), which reads them while
    // the runs are joined in parallel: a forward pass suffices, as parent_[d] <= d.
    for (DocIndex d = 0; d < n; ++d) parent_[d] = parent_[parent_[d]];
    tbb::parallel_for(tbb::blocked_range<size_t>(0, blocks, 1), [&](const tbb::blocked_range<size_t>& r) {
      for (size_t blk = r.begin(); blk != r.end(); ++blk) {
        size_t k = block_start[blk];
        for (size_t d = blk * kGrain; d < std::min<size_t>(n, (blk + 1) * kGrain); ++d) {
          if (num_shingles_[d] == 0) continue;  // Empty documents have no candidates.
          const uint64_t key =
              XXH3_64bits_withSeed(PackedSignature(static_cast<DocIndex>(d)) + offset, band_bytes, band) >> 32;
          keyed[k++] = key << 32 | d;
        }
      }
    });
    // Stable: within a run of equal keys, documents stay in input order.
    internal::RadixSortByHigh32(keyed.get(), buffer.get(), m);
    // Chunk c handles the runs of equal keys that start in [c * kGrain, (c + 1) * kGrain).
    auto key_at = [&](size_t i) { return keyed[i] >> 32; };
    tbb::parallel_for(tbb::blocked_range<size_t>(0, chunks, 1), [&](const tbb::blocked_range<size_t>& r) {
      JoinScratch scratch;
      for (size_t c = r.begin(); c != r.end(); ++c) {
        found[c] = RunPairs{};
        size_t run = c * kGrain;
        while (run < m && run > 0 && key_at(run) == key_at(run - 1)) ++run;  // Owned by an earlier chunk.
        while (run < std::min(m, (c + 1) * kGrain)) {
          size_t end = run + 1;
          while (end < m && key_at(end) == key_at(run)) ++end;
          if (end - run > 1) JoinRun(keyed.get() + run, end - run, band, &scratch, &found[c]);
          run = end;
        }
      }
    });
    for (const RunPairs& f : found) Accept(f);
  }
  // Recorded pairs in the order an incremental run finds them: by later document, then
  // by earlier one.
  std::sort(verified_pairs_.begin(), verified_pairs_.end(), [](const auto& p, const auto& q) {
    return p.second != q.second ? p.second < q.second : p.first < q.first;
  });
}

void Clusterer::JoinOpenings() {
  constexpr size_t kGrain = 4096;
  const DocIndex n = static_cast<DocIndex>(parent_.size());
  const int bands = opening_perm_ / kOpeningRows;
  const size_t band_bytes = kOpeningRows * sizeof(uint32_t);
  auto has_opening = [&](size_t d) { return OpeningSignature(static_cast<DocIndex>(d))[0] != kEmptySlot; };
  // Where each block of kGrain documents starts among those with an opening.
  const size_t blocks = (static_cast<size_t>(n) + kGrain - 1) / kGrain;
  std::vector<size_t> block_start(blocks + 1, 0);
  for (size_t blk = 0; blk < blocks; ++blk) {
    size_t count = 0;
    for (size_t d = blk * kGrain; d < std::min<size_t>(n, (blk + 1) * kGrain); ++d) count += has_opening(d);
    block_start[blk + 1] = block_start[blk] + count;
  }
  const size_t m = block_start[blocks];
  auto keyed = std::make_unique_for_overwrite<uint64_t[]>(m);
  auto buffer = std::make_unique_for_overwrite<uint64_t[]>(m);
  for (int band = 0; band < bands; ++band) {
    const size_t offset = static_cast<size_t>(band) * kOpeningRows;
    for (DocIndex d = 0; d < n; ++d) parent_[d] = parent_[parent_[d]];  // Roots, as in JoinBands.
    // The band's two slots as one 64-bit value, mixed with the band: its top 32 bits key.
    static_assert(kOpeningRows == 2, "the key packs two slots");
    tbb::parallel_for(tbb::blocked_range<size_t>(0, blocks, 1), [&](const tbb::blocked_range<size_t>& r) {
      for (size_t blk = r.begin(); blk != r.end(); ++blk) {
        size_t k = block_start[blk];
        for (size_t d = blk * kGrain; d < std::min<size_t>(n, (blk + 1) * kGrain); ++d) {
          if (!has_opening(d)) continue;
          const uint32_t* o = OpeningSignature(static_cast<DocIndex>(d)) + offset;
          const uint64_t key =
              Mix64((uint64_t{o[0]} << 32 | o[1]) + static_cast<uint64_t>(band + 1) * 0x9E3779B97F4A7C15ull) >> 32;
          keyed[k++] = key << 32 | d;
        }
      }
    });
    internal::RadixSortByHigh32(keyed.get(), buffer.get(), m);
    auto key_at = [&](size_t i) { return keyed[i] >> 32; };
    const size_t chunks = std::max<size_t>(1, (m + kGrain - 1) / kGrain);
    std::vector<RunPairs> found(chunks);
    tbb::parallel_for(tbb::blocked_range<size_t>(0, chunks, 1), [&](const tbb::blocked_range<size_t>& r) {
      for (size_t c = r.begin(); c != r.end(); ++c) {
        size_t run = c * kGrain;
        while (run < m && run > 0 && key_at(run) == key_at(run - 1)) ++run;  // Owned by an earlier chunk.
        while (run < std::min(m, (c + 1) * kGrain)) {
          size_t end = run + 1;
          while (end < m && key_at(end) == key_at(run)) ++end;
          for (size_t y = run + 1; y < end; ++y) {
            const DocIndex b = static_cast<DocIndex>(keyed[y]);
            const uint32_t* ob = OpeningSignature(b);
            for (size_t x = y > run + kOpeningWindow ? y - kOpeningWindow : run; x < y; ++x) {
              const DocIndex a = static_cast<DocIndex>(keyed[x]);
              if (!options_.record_pairs && parent_[a] == parent_[b]) continue;  // Already one component.
              // Only pairs the opening rule may accept (the rest are the main join's),
              // cheapest tests first.
              const double na = num_shingles_[a], nb = num_shingles_[b];
              if (std::min(na, nb) < options_.opening_min_ratio * std::max(na, nb)) continue;
              const uint32_t* oa = OpeningSignature(a);
              if (std::memcmp(oa + offset, ob + offset, band_bytes) != 0) continue;  // Key collision.
              if (OpeningContainment(a, b) < options_.opening_threshold) continue;
              bool seen = false;  // Agreeing in an earlier band: considered there.
              for (size_t e = 0; e < offset && !seen; e += kOpeningRows) {
                seen = std::memcmp(oa + e, ob + e, band_bytes) == 0;
              }
              if (seen) continue;
              ++found[c].candidates;
              if (!Verify(a, b)) continue;
              ++found[c].verified;
              found[c].pairs.emplace_back(a, b);
            }
          }
          run = end;
        }
      }
    });
    for (const RunPairs& f : found) Accept(f);
  }
  std::sort(verified_pairs_.begin(), verified_pairs_.end(), [](const auto& p, const auto& q) {
    return p.second != q.second ? p.second < q.second : p.first < q.first;
  });
}

DocIndex Clusterer::Add(std::string_view id, std::string_view snippet, SketchedDocument sketch,
                        int64_t published) {
  DEDUP_CHECK(!finished_);  // Not after Finish().
  DEDUP_CHECK(parent_.size() < UINT32_MAX);  // DocIndex is 32-bit.
  DEDUP_CHECK(sketch.signature.size() == num_perm_);
  DEDUP_CHECK(id.size() <= UINT32_MAX);
  const DocIndex doc = static_cast<DocIndex>(parent_.size());
  ++stats_.documents;
  if (sketch.num_shingles == 0) ++stats_.empty_documents;
  parent_.push_back(doc);
  if ((doc >> signature_block_shift_) == signature_blocks_.size()) {
    // Uninitialised: every byte is written before it is read.
    signature_blocks_.push_back(
        std::make_unique_for_overwrite<uint8_t[]>(signature_bytes_ << signature_block_shift_));
  }
  uint8_t* packed = signature_blocks_.back().get() +
                    (doc & ((DocIndex{1} << signature_block_shift_) - 1)) * signature_bytes_;
  PackSignature(sketch.signature.values().data(), num_perm_, options_.signature_bits, packed);
  // Openings are stored from the first document that has one on (blocks for the
  // documents before it are filled with kEmptySlot): sketches without openings cost nothing.
  const bool has_opening = opening_perm_ > 0 && sketch.num_shingles > 0 &&
                           sketch.opening.size() == static_cast<size_t>(opening_perm_);
  if (has_opening || !opening_blocks_.empty()) {
    const size_t per_block = static_cast<size_t>(opening_perm_) << opening_block_shift_;
    while (opening_blocks_.size() <= (doc >> opening_block_shift_)) {
      opening_blocks_.push_back(std::make_unique_for_overwrite<uint32_t[]>(per_block));
      std::fill(opening_blocks_.back().get(), opening_blocks_.back().get() + per_block, kEmptySlot);
    }
    if (has_opening) {
      uint32_t* opening = opening_blocks_[doc >> opening_block_shift_].get() +
                          (doc & ((DocIndex{1} << opening_block_shift_) - 1)) * static_cast<size_t>(opening_perm_);
      std::memcpy(opening, sketch.opening.data(), static_cast<size_t>(opening_perm_) * sizeof(uint32_t));
      ++openings_;
    }
  }
  num_shingles_.push_back(sketch.num_shingles);
  published_.push_back(published);
  arena_.insert(arena_.end(), id.begin(), id.end());
  arena_.insert(arena_.end(), snippet.begin(), snippet.end());
  text_end_.push_back(arena_.size());
  id_size_.push_back(static_cast<uint32_t>(id.size()));
  if (options_.exact) {
    shingles_.push_back(sketch.shingles);
    shingle_bytes_ += CapacityBytes(shingles_.back());
  }

  if (sketch.num_shingles > 0) ++nonempty_;
  if (options_.exact) {
    candidates_.clear();
    index_->Query(sketch, &candidates_);
    stats_.candidate_pairs += static_cast<int64_t>(candidates_.size());
    for (DocIndex other : candidates_) {
      if (!Verify(other, doc)) continue;
      ++stats_.verified_pairs;
      if (options_.record_pairs) verified_pairs_.emplace_back(other, doc);
      Union(other, doc);
    }
    index_->Insert(doc, sketch);
  }
  return doc;
}

ClusterResult Clusterer::Finish(ProgressObserver* progress) {
  DEDUP_CHECK(!finished_);
  finished_ = true;
  if (progress != nullptr) progress->StartPhase("candidate join and verification", -1);
  if (!options_.exact) JoinBands();
  if (openings_ > 1) JoinOpenings();
  // The candidate index only serves Add() (with `exact`): free it before the results
  // are built, so that they never coexist with it.
  index_.reset();
  Release(candidates_);
  const DocIndex n = static_cast<DocIndex>(parent_.size());
  if (progress != nullptr) progress->StartPhase("clustering", -1);
  // 1. While the signatures exist, each document's representative, similarity,
  // containment and relation, in columns (21 bytes per document): the result records
  // (5x that) are allocated only once the signatures are freed.
  // The union-find root is its set's smallest index, so after this loop parent_[d] is
  // the first member of d's cluster; rep[root] is the cluster's canonical member (the
  // members are visited in input order, as Better() breaks ties by it).
  std::vector<DocIndex> rep(n);
  for (DocIndex d = 0; d < n; ++d) {
    const DocIndex root = Find(d);
    parent_[d] = root;
    if (root == d || Better(d, rep[root])) rep[root] = d;
  }
  std::vector<double> similarity(n, 1.0), containment(n, 1.0);
  std::vector<Relation> relation(n, Relation::kRepresentative);
  for (DocIndex d = 0; d < n; ++d) {
    const DocIndex r = rep[parent_[d]];
    if (d == r) continue;
    ++stats_.duplicates;
    const PairEstimate e = Estimate(d, r);
    similarity[d] = e.jaccard;
    containment[d] = e.a_in_b;
    switch (Classify(e, num_shingles_[d], num_shingles_[r], match_)) {
      case MatchKind::kSimilar: relation[d] = Relation::kSimilar; break;
      case MatchKind::kAContainedInB: relation[d] = Relation::kExcerpt; break;
      case MatchKind::kBContainedInA: relation[d] = Relation::kExtends; break;
      case MatchKind::kNone: relation[d] = Relation::kLinked; break;
    }
  }
  // 2. Verification is over: free the signatures.
  Release(signature_blocks_);
  Release(opening_blocks_);
  Release(shingles_);
  shingle_bytes_ = 0;
  // 3. The records. Clusters are numbered by their first member.
  ClusterResult result;
  result.documents.resize(n);
  std::vector<uint32_t> cluster_of_root(n);
  for (DocIndex d = 0; d < n; ++d) {
    const DocIndex root = parent_[d];
    DocumentResult& r = result.documents[d];
    r.representative = rep[root];
    if (root == d) {
      cluster_of_root[d] = static_cast<uint32_t>(result.clusters.size());
      result.clusters.emplace_back();
    }
    r.cluster = cluster_of_root[root];
    result.clusters[r.cluster].push_back(d);
    r.similarity = similarity[d];
    r.containment = containment[d];
    r.relation = relation[d];
    r.published = published_[d];
    r.num_shingles = num_shingles_[d];
  }
  Release(rep);
  Release(cluster_of_root);
  Release(similarity);
  Release(containment);
  Release(relation);
  Release(parent_);
  Release(num_shingles_);
  Release(published_);
  uint64_t start = 0;
  for (DocIndex d = 0; d < n; ++d) {
    DocumentResult& r = result.documents[d];
    const char* text = arena_.data() + start;
    r.id.assign(text, id_size_[d]);
    r.snippet.assign(text + id_size_[d], text_end_[d] - start - id_size_[d]);
    start = text_end_[d];
  }
  Release(arena_);
  Release(text_end_);
  Release(id_size_);
  stats_.clusters = static_cast<int64_t>(result.clusters.size());
  for (const auto& c : result.clusters) stats_.duplicate_clusters += c.size() > 1;
  result.stats = stats_;
  result.lsh = lsh_params_;
  result.verified_pairs = std::move(verified_pairs_);
  return result;
}

ClustererMemory Clusterer::Memory() const {
  ClustererMemory m;
  // With `exact` the index is a BruteForceIndex, whose hash maps are not measured.
  if (!finished_ && !options_.exact) m.index = 2 * sizeof(uint64_t) * nonempty_;
  m.signatures = signature_blocks_.size() * (signature_bytes_ << signature_block_shift_) +
                 CapacityBytes(signature_blocks_) +
                 opening_blocks_.size() * ((static_cast<size_t>(opening_perm_) * sizeof(uint32_t)) << opening_block_shift_) +
                 CapacityBytes(opening_blocks_);
  m.ids_and_snippets = CapacityBytes(arena_) + CapacityBytes(text_end_) + CapacityBytes(id_size_);
  m.other = CapacityBytes(parent_) + CapacityBytes(num_shingles_) + CapacityBytes(published_) +
            CapacityBytes(shingles_) + shingle_bytes_ + CapacityBytes(candidates_) +
            CapacityBytes(verified_pairs_);
  return m;
}

}  // namespace dedup
