// Candidate indexes: LSH banding over MinHash signatures, and its brute-force oracle.
//
// LSH banding splits a K-slot signature into b bands of r rows (b * r <= K). Two
// documents become candidates when all r slots of at least one band agree; for a pair
// of Jaccard similarity s that happens with probability
//   P(s) = 1 - (1 - s^r)^b                        (the "S-curve").
// OptimalLshParams() picks (b, r) for a threshold t the way datasketch does: it
// minimises  w_fp * ∫_0^t P(s) ds  +  w_fn * ∫_t^1 (1 - P(s)) ds  over all b * r <= K,
// i.e. the weighted areas of false positives below t and false negatives above it.
// With K = 128 and equal weights: t = 0.7 -> 14 bands x 9 rows, 0.8 -> 9 x 13,
// 0.85 -> 8 x 16, 0.9 -> 5 x 25 -- the same choices as datasketch's MinHashLSH
// (checked in lsh_index_test.cc against values datasketch computed).
//
// Both indexes implement CandidateIndex so that tests can measure LSH recall against
// exact brute force, and `dedup cluster --exact` can run the oracle on small inputs.
//
// Call order: Insert() and Query() may be interleaved freely. Not thread-safe for
// concurrent Insert(); concurrent Query() calls with no Insert() running are safe.
//
// Example:
//   auto params = dedup::OptimalLshParams(0.8, 128);            // {bands, rows}
//   auto index = dedup::LshIndex::Create(*params, 128);
//   (*index)->Insert(0, sketch0);
//   std::vector<dedup::DocIndex> candidates;
//   (*index)->Query(sketch1, &candidates);
#ifndef DEDUP_LSH_INDEX_H_
#define DEDUP_LSH_INDEX_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dedup/sketch.h"

namespace dedup {

// Dense document number: position in input order, 0-based.
using DocIndex = uint32_t;

struct LshParams {
  int bands = 0;
  int rows = 0;
  friend bool operator==(const LshParams&, const LshParams&) = default;
};

// P(s) = 1 - (1 - s^r)^b.
double CandidateProbability(double s, const LshParams& params);

// True if the K-slot signatures a and b agree in all r slots of at least one of the b
// bands: the exact LSH candidate relation, which LshIndex answers up to its rare
// 31-bit key collisions (see below). Cost: at most b * r slot comparisons.
bool SharesBand(const uint32_t* a, const uint32_t* b, const LshParams& params);

// OK if bands, rows >= 1 and bands * rows <= num_perm; otherwise InvalidArgument
// naming the values.
absl::Status ValidateLshParams(const LshParams& params, int num_perm);

// The (b, r) minimising the weighted false-positive and false-negative areas (see
// above). threshold in (0, 1); weights >= 0, not both 0. Cost O(K log K) integrals.
absl::StatusOr<LshParams> OptimalLshParams(double threshold, int num_perm,
                                           double false_positive_weight = 0.5,
                                           double false_negative_weight = 0.5);

class CandidateIndex {
 public:
  virtual ~CandidateIndex() = default;
  // Adds a document. `doc` must not be in the index yet.
  virtual void Insert(DocIndex doc, const SketchedDocument& sketch) = 0;
  // Appends to *out the indexed documents that are candidates for `sketch`, each once,
  // in increasing order. Documents with no shingles have no candidates.
  virtual void Query(const SketchedDocument& sketch, std::vector<DocIndex>* out) const = 0;
  virtual size_t size() const = 0;
};

// LshIndex stores, for each band, one compact open-addressing table of 8-byte slots
// {tag, value}, kept in ORDERED linear probing (Amble & Knuth's ordered hash table):
//
//  - tag = the top 31 bits of the 64-bit band key, shifted left by one, with the low bit
//    marking an overflow slot (below). A slot's home is the fast-range map
//    home(k) = k * capacity / 2^31, which is monotone in k, and tables never wrap
//    around (a small tail of spare slots follows the last home), so the occupied slots
//    of a table are sorted by key and every slot sits at or after its home. A lookup
//    walks from home(k), skips smaller keys, collects equal ones and stops at the first
//    larger key or empty slot: an absent key costs about as much as a present one
//    (≈ (1 + 1/(1 - α)) / 2 slots at load α, ~3.8 at the maximum load 0.85), unlike
//    plain linear probing where a miss walks to the end of the run (~23 slots at 0.85).
//  - value = the document (inline slot), or the number of an overflow bucket. The first
//    kInlinePerKey documents of a key take inline slots next to each other; further
//    ones go to one overflow bucket (a vector of documents) reached through a single
//    overflow slot after them. So no key occupies more than kInlinePerKey + 1 slots:
//    a 50-copy cluster, or thousands of pages sharing site chrome in a band, cannot
//    build a long run that lookups of unrelated keys must walk across, and inserting
//    the 10,000th copy of a key costs what inserting the 10th does.
//  - An empty slot holds value 0xFFFFFFFF, so that DocIndex cannot be inserted (every
//    other value, 0xFFFFFFFE included, can).
//  - Insert finds the key's place and shifts the slots up to the next empty one by one
//    (≈ (1 + 1/(1 - α)^2) / 2 slots, a short memmove). Past the maximum load 0.85 a band
//    grows by 1.25x; the rehash is one sequential merge (the slots are already in key
//    order), and only the growing band exists twice (old and new array) meanwhile, so
//    growth adds ~2% of the index to the peak at 42 bands, not a doubling.
//
// Memory: 8 bytes per (document, band) slot divided by the load, which cycles between
// 0.85 / 1.25 = 0.68 and 0.85 as a table grows: 9.4 to 11.8 bytes per document per band,
// ~10.5 on average over a growth cycle -- at 42 bands ~395 to ~494 bytes per document
// (~440 typical), at 14 bands 132 to 165; a document held in an overflow bucket costs
// 4 bytes there instead of a slot (plus, per overflowing key, one vector and its
// slack). The previous layout (absl::flat_hash_map per band and a chained entry list)
// took 1,300 to 2,000 bytes per document at 42 bands. MemoryBytes() reports the exact
// figure.
//
// False candidates: with 31-bit keys, two different band keys collide with probability
// 2^-31, so a query gets ≈ n / 2^31 extra candidates per band (n documents indexed):
// ~0.02 per query at 1M documents and 42 bands, ~0.2 at 10M. Callers that hold the
// signatures drop them with SharesBand() (IngestIndex does, so that it counts and
// verifies exactly the candidates a batch run's band join finds).
class LshIndex final : public CandidateIndex {
 public:
  static absl::StatusOr<std::unique_ptr<LshIndex>> Create(const LshParams& params, int num_perm);

  // `doc` must not be 0xFFFFFFFF (the empty-slot marker).
  void Insert(DocIndex doc, const SketchedDocument& sketch) override;
  void Query(const SketchedDocument& sketch, std::vector<DocIndex>* out) const override;
  size_t size() const override { return size_; }

  const LshParams& params() const { return params_; }
  // XXH3 of band `band`'s r slots, seeded by the band number.
  uint64_t BandKey(const uint32_t* signature, int band) const;

  // Large keys, for callers that group them (IngestIndex's hot keys): a key is named by
  // its band and the 31 bits of its band key the tables hold.
  struct KeyRef {
    int band;
    uint32_t key31;
    friend bool operator==(const KeyRef&, const KeyRef&) = default;
  };
  KeyRef KeyRefOf(const uint32_t* signature, int band) const { return {band, KeyOf(BandKey(signature, band))}; }
  // Query() that leaves out keys holding more than max_per_key documents and appends
  // them to *large instead (each once).
  void Query(const SketchedDocument& sketch, std::vector<DocIndex>* out, size_t max_per_key,
             std::vector<KeyRef>* large) const;
  // The documents under a key, in insertion order; and their number.
  void KeyDocs(const KeyRef& key, std::vector<DocIndex>* out) const;
  size_t KeyCount(const KeyRef& key) const;
  // Every key holding more than min_docs documents (min_docs >= kInlinePerKey).
  std::vector<KeyRef> LargeKeys(size_t min_docs) const;

  // Heap bytes held by the index's tables: slot arrays at their capacity, overflow
  // buckets at their capacity, and the per-band headers.
  size_t MemoryBytes() const;

  // Tuning constants (see above); public for tests and benchmarks.
  static constexpr int kInlinePerKey = 4;
  static constexpr double kMaxLoad = 0.85;
  static constexpr double kGrowth = 1.25;

 private:
  LshIndex(const LshParams& params, int num_perm);

  struct Slot {
    uint32_t tag;    // key31 << 1 | is_overflow.
    uint32_t value;  // DocIndex, overflow bucket number, or kEmpty.
  };
  static constexpr uint32_t kEmpty = 0xFFFFFFFFu;

  struct Band {
    std::vector<Slot> slots;   // capacity homes + a tail of spare slots; last one always empty.
    uint64_t capacity = 0;     // Number of home positions.
    size_t used = 0;           // Occupied slots (inline and overflow).
    size_t max_used = 0;       // kMaxLoad * capacity: grow before exceeding it.
    std::vector<std::vector<DocIndex>> overflow;
  };

  static uint32_t KeyOf(uint64_t band_key) { return static_cast<uint32_t>(band_key >> 33); }
  static size_t Home(const Band& b, uint32_t key31) {
    return static_cast<size_t>((static_cast<uint64_t>(key31) * b.capacity) >> 31);
  }
  static void InsertInto(Band& b, uint32_t key31, DocIndex doc);
  static bool TryInsert(Band& b, uint32_t key31, DocIndex doc);
  static void Grow(Band& b);
  static void Lookup(const Band& b, uint32_t key31, std::vector<DocIndex>* out);
  // keys[band] = KeyOf(BandKey(sig, band)) for every band; prefetches their home slots.
  void PrefetchHomes(const uint32_t* sig, uint32_t* keys) const;

  LshParams params_;
  int num_perm_;
  size_t size_ = 0;
  std::vector<Band> bands_;
};

// Exact oracle: the candidates of a query are exactly the indexed documents whose
// exact Jaccard similarity with it is >= threshold. Needs sketches with shingles kept.
// It counts shared shingles through an inverted index (shingle -> documents), which
// is exact -- a pair that shares no shingle has similarity 0 -- and costs the total
// length of the query's posting lists instead of n set intersections. Still
// quadratic in the worst case: for tests, evaluation and small inputs.
class BruteForceIndex final : public CandidateIndex {
 public:
  explicit BruteForceIndex(double threshold) : threshold_(threshold) {}

  void Insert(DocIndex doc, const SketchedDocument& sketch) override;
  void Query(const SketchedDocument& sketch, std::vector<DocIndex>* out) const override;
  size_t size() const override { return sizes_.size(); }

 private:
  double threshold_;
  absl::flat_hash_map<DocIndex, uint32_t> sizes_;  // Document -> its shingle count.
  absl::flat_hash_map<uint64_t, std::vector<DocIndex>> postings_;
};

}  // namespace dedup

#endif  // DEDUP_LSH_INDEX_H_
