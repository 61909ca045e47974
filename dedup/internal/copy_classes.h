// Classes of copies among an ingestion index's documents.
//
// Two documents are copies when their signatures and shingle counts are equal (and the
// documents have shingles, and such a pair matches itself: Classify() of a signature
// against itself is not kNone). Every quantity the index computes about a pair depends
// on the two signatures and shingle counts alone (EstimatePair, Classify, SharesBand),
// so a copy has exactly the candidates, verifications and matches of its class's
// representative, and two copies always match each other. The index therefore puts
// only representatives in its LSH tables and stands one for its whole class:
//  - a query that finds representative r counts 1 + CopyCount(r) candidate (and, when
//    r verifies, verified) pairs -- the counts of all-pairs verification, exactly;
//  - re-clustering a set of documents unites each copy with its class's earliest member
//    there, and looks up candidates for that member only.
// n copies of one text then cost O(n) in every path (insert, query, removal, re-examina-
// tion), where one LSH entry per document made each of them walk all n (n^2 / 2 pairs).
//
// The representative is always the class's earliest (smallest) live slot: copies join
// with increasing slots, and when the representative is removed the earliest live copy
// takes its place (the caller then inserts it into the LSH tables).
//
// Memory: nothing for documents in no class; for the others ~40 bytes per member (a
// hash-map entry and a vector slot; removed copies keep their vector slot until
// Renumber()).
//
// Not thread-safe; the index changes it under its exclusive state lock.
#ifndef DEDUP_INTERNAL_COPY_CLASSES_H_
#define DEDUP_INTERNAL_COPY_CLASSES_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/types/span.h"
#include "dedup/lsh_index.h"
#include "dedup/verify.h"

namespace dedup::internal {

// The definition of copies above: b (signature b, n_b shingles) is a copy of a. k slots.
bool IsCopyPair(const uint32_t* a, uint32_t n_a, const uint32_t* b, uint32_t n_b, int k, const MatchOptions& match);
// A hash of what copies share (the k slots and the shingle count), for grouping.
uint64_t CopyKey(const uint32_t* signature, uint32_t n, int k);

// Grouping documents offered in order into copy classes: the earliest document offered
// with the same CopyKey as document i, when i is a copy of it (IsCopyPair), else i itself
// (i is then the first of its key when no earlier document has it). `first_with_key` maps
// each key to the first document offered with it; sig_of(j) and count_of(j) give document
// j's signature (k slots) and shingle count. A document of no shingles is never a copy.
// Cost: one hash and at most one comparison of k slots per document.
template <typename Doc, typename SigOf, typename CountOf>
Doc FirstCopyOf(Doc i, absl::flat_hash_map<uint64_t, Doc>* first_with_key, int k, const MatchOptions& match,
                SigOf sig_of, CountOf count_of) {
  const uint32_t n = count_of(i);
  if (n == 0) return i;
  const uint32_t* const signature = sig_of(i);
  auto [first, is_new] = first_with_key->try_emplace(CopyKey(signature, n, k), i);
  const Doc f = first->second;
  if (is_new || !IsCopyPair(sig_of(f), count_of(f), signature, n, k, match)) return i;
  return f;
}

class CopyClasses {
 public:
  // `copy` joins the class of `rep`. rep must be a representative (not a copy) and copy
  // larger than every member of the class, and in no class.
  void Add(DocIndex rep, DocIndex copy);
  bool IsCopy(DocIndex s) const;
  // s's representative: s itself when s is a representative or in no class.
  DocIndex RepOf(DocIndex s) const;
  // The live copies of representative `rep` (0 when it has none).
  uint32_t CopyCount(DocIndex rep) const;
  // Makes the classes of representatives a and b (a != b, copies of each other) one; the
  // earlier of the two stays representative, and the other, now a copy, is returned.
  // Cost: the two classes' sizes.
  DocIndex Join(DocIndex a, DocIndex b);
  // Removes s from its class. When s was a representative with live copies, the
  // earliest becomes the representative and is returned.
  std::optional<DocIndex> Remove(DocIndex s);
  // After the index compacted its slots: new_slot[s] for every live slot s, increasing
  // in s. Every removed slot must have been Remove()d.
  void Renumber(absl::Span<const DocIndex> new_slot);
  void Clear();
  // Live copies in all classes (documents that are not representatives).
  int64_t copies() const { return copies_; }

 private:
  struct Class {
    DocIndex rep;
    std::vector<DocIndex> copies;  // Increasing; [head, end) may hold removed ones.
    size_t head = 0;
    uint32_t live = 0;             // Live copies.
  };
  bool Member(DocIndex s, uint32_t c) const;

  absl::flat_hash_map<DocIndex, uint32_t> class_of_;  // Members of live classes -> class.
  std::vector<Class> classes_;
  int64_t copies_ = 0;
};

}  // namespace dedup::internal

#endif  // DEDUP_INTERNAL_COPY_CLASSES_H_
