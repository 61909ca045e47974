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

class LshIndex final : public CandidateIndex {
 public:
  static absl::StatusOr<std::unique_ptr<LshIndex>> Create(const LshParams& params, int num_perm);

  void Insert(DocIndex doc, const SketchedDocument& sketch) override;
  void Query(const SketchedDocument& sketch, std::vector<DocIndex>* out) const override;
  size_t size() const override { return size_; }

  const LshParams& params() const { return params_; }
  // XXH3 of band `band`'s r slots, seeded by the band number.
  uint64_t BandKey(const uint32_t* signature, int band) const;

 private:
  LshIndex(const LshParams& params, int num_perm);

  struct Entry {
    DocIndex doc;
    uint32_t next;  // Index into entries_ of the next entry with the same key, or kNone.
  };
  static constexpr uint32_t kNone = 0xFFFFFFFFu;

  LshParams params_;
  int num_perm_;
  size_t size_ = 0;
  // One table per band: band key -> head of a chain of entries in entries_.
  std::vector<absl::flat_hash_map<uint64_t, uint32_t>> tables_;
  std::vector<Entry> entries_;
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
