// Clusterer: finds candidate pairs, verifies them and groups documents with union-find.
//
// Documents are added one at a time, in input order; Finish() then finds the candidate
// pairs, verifies every candidate by the rules of verify.h -- Jaccard >= threshold, or
// (when enabled) one document contained in the other -- on MinHash estimates, or
// exactly with `exact`, and merges verified pairs with union-find.
//
// Candidates (LSH, the default): two non-empty documents whose signatures agree in all
// r slots of at least one of the b bands (lsh_index.h). They are found as the batch
// engines datatrove and text-dedup find them -- band by band, by sorting -- rather than
// through an index kept while documents arrive: for each band, Finish() hashes every
// document's r slots to a 32-bit key, sorts the (key, document) pairs (a radix sort,
// O(n)), and within each run of equal keys takes the pairs whose slots are really equal
// (a key collision is not a candidate) and that no earlier band already produced (so
// each candidate is verified once). Only one band's pairs exist at a time: 16 bytes
// per document (the pairs and the sort's buffer; plus, per 4,096 documents, a counter
// and a short list of verified pairs), freed when Finish() returns, instead
// of an index of ~10.5 bytes per document per band (~440 at 42 bands) held throughout.
// With 32-bit signatures the candidates are exactly those an LSH index (LshIndex,
// which IngestIndex keeps) gives a document against the ones before it, minus that
// index's rare false candidates from 31-bit key collisions, which verification rejects
// anyway; with 16- or 8-bit signatures bands compare the kept bits (see
// signature_bits). Union-find's result does not depend on the order in which verified
// pairs arrive, and a run of k equal keys hands at most k - 1 pairs to it (a spanning
// forest of its verified pairs; all of them with record_pairs).
//
// Giant runs. n documents with one text (a spam template, an empty page's chrome) share
// every band: one run of n, n(n-1)/2 candidates. Verifying them all is not needed to
// build the components, for two reasons:
//   - copies: documents with the same packed signature and the same shingle count give
//     every verification the same inputs, so each verifies against any document exactly
//     as the first of them does (verification is symmetric), and with each other (all
//     slots agree: J^ = 1 >= threshold). A run's copies form one class, represented by
//     its first document; a pair of classes stands for all |P| x |Q| pairs of their
//     documents, and a class for its |P|(|P|-1)/2 pairs (candidates in band 0, where
//     they first agree);
//   - grouping: a verified pair only matters if its documents are not already in one
//     component, so among many distinct signatures (pages sharing a long footer) a
//     class need only be verified against the groups it is not yet in, one member
//     after another until one verifies.
// A run of at most 64 documents verifies every pair, as before. A longer run of at most
// kMaxPairwiseClasses (64) classes verifies every pair of classes, so
// that the counts of ClusterStats stay exact; a run with more classes verifies a class
// only against the groups (components so far, with earlier bands' merges) it is not in.
// The bound, without record_pairs: a run of k documents in u classes costs O(k) to find
// its classes (a hash of each signature) plus
//   - u <= 64: u(u-1)/2 <= 2,016 verifications;
//   - u > 64: at most u - 1 verifications that merge two groups, plus one per rejected
//     pair met -- two classes in different groups whose verification fails (or failed
//     in an earlier band). That is u(u-1)/2 in a run none of whose pairs verify (as
//     before), but 0 when each class verifies with the first member tried of each
//     group: n copies, or n pages sharing a footer, cost O(n) per band, O(n * bands).
// With record_pairs every verified pair is wanted: every run verifies all its pairs.
// With `exact`, a BruteForceIndex is queried by each Add() instead (O(n^2)).
//
// Opening join (second candidate source, for opening excerpts: verify.h, opening.h).
// Sketches that carry an opening signature (32 slots of the first 80 shingles) are
// joined a second time after the main bands, over their opening signatures in bands of
// kOpeningRows = 2 slots (16 bands): a truncated copy whose opening is ~0.65 similar to
// the article's agrees in a band with probability 0.42 and in one of 16 with 0.9999; at
// opening similarity 0.3 still 0.79. The pairs offered are those that the opening rule
// may accept, cheapest test first: not already in one component (the roots as of the
// band's start; every pair with record_pairs), size ratio >= opening_min_ratio, slots
// really equal in the band (no key collision), opening containment >= opening_threshold,
// and not agreeing in an earlier opening band; each is verified by the full rules and
// merged. A run of documents sharing an opening band (a hot story's copies; a site's
// unremoved chrome at the top) pairs each document with the kOpeningWindow (64) before it
// only, so a run costs O(64 n) and a pair farther apart in a run of more than 64 is
// offered only by another band (copies of one opening are found by the main join). On
// the 100k news benchmark the opening join adds 39 candidates to 1.39M; on a hard corpus
// of 20k documents ~480 to 75k, which find nearly all deeptrunc copies.
//
// Result, deterministic for a given input order and options:
//   - clusters are numbered 0, 1, 2, ... in the input order of their first documents
//     (every document belongs to one cluster; singletons are clusters of size 1);
//   - a cluster's representative is its canonical member by `canonical`: the earliest
//     published document (documents without a time count as later than any with one;
//     ties go to input order), or the first in input order, or the longest;
//   - each document's `similarity` is its Jaccard similarity with its representative
//     (1 for the representative), its `containment` the share of its shingles found in
//     the representative, and `relation` says how it relates to it ("similar",
//     "excerpt" of it, "extends" it, or "linked" through other members).
//
// Memory per document while documents are added (MemoryBytes() gives the exact figure):
//   - its signature packed to signature_bits per slot: 512, 256 or 128 bytes at K = 128;
//   - its opening signature, 4 * opening.num_perm bytes (128), once any document has one
//     (the batch pipeline's sketches do; sketches without openings cost nothing);
//   - 16 bytes of band-join scratch, allocated only inside Finish() (counted in
//     ClustererMemory::index beforehand, so that the figure is the peak; not counted:
//     while a run of more than 64 documents is joined, ~60 bytes per document of it);
//   - its id and snippet bytes, appended to one arena (no string object, no heap block
//     of its own), found through a 64-bit end offset and a 32-bit id length;
//   - 16 more bytes of columns: union-find parent, shingle count, publication time;
//   - its shingle set, with `exact` only.
// Signatures are stored in blocks of ~64 KiB, so that they are never copied to a bigger
// array (no old and new copy side by side, no freed old arrays left in the heap) and at
// most one block has room to spare; the small columns are std::vectors, whose spare
// capacity (up to as much again) is counted by MemoryBytes() but not written to.
// The DocumentResult records (112 bytes plus the id and snippet strings each) exist
// only in Finish(), which first computes every document's representative, similarity,
// containment and relation into columns (21 bytes per document) while the signatures
// exist, frees the signatures, and only then allocates the records, freeing the
// columns as the records take over their contents.
//
// Example:
//   auto clusterer = dedup::Clusterer::Create(options, /*num_perm=*/128);
//   for (...) (*clusterer)->Add(id, snippet, std::move(sketch));
//   dedup::ClusterResult result = (*clusterer)->Finish();
//
// Not thread-safe.
#ifndef DEDUP_CLUSTER_H_
#define DEDUP_CLUSTER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "dedup/document.h"
#include "dedup/lsh_index.h"
#include "dedup/opening.h"
#include "dedup/sketch.h"
#include "dedup/verify.h"

namespace dedup {

class ProgressObserver;  // progress.h

// Chosen on the hard generated corpora with word 3-shingles (README, "Defaults"): 0.5 keeps
// every same-topic hard negative apart (their Jaccard is below 0.1) and finds copies with
// a paragraph dropped and 5% of words edited; containment 0.7 is judged on the estimate's
// lower bound (verify.h: containment_z).
inline constexpr double kDefaultThreshold = 0.5;
inline constexpr double kDefaultContainmentThreshold = 0.7;
// Weight of false negatives when choosing the default LSH banding (false positives get
// 1 minus this). Verifying a candidate costs only K slot comparisons, so the default
// banding favours recall over datasketch's balanced 0.5 / 0.5; --bands/--rows override.
inline constexpr double kCandidateFalseNegativeWeight = 0.8;
// A band must compare at least this many signature bits (signature_bits * rows): fewer
// would make chance agreements of unrelated documents swamp the candidates.
inline constexpr int kMinBandBits = 24;
// A band-join run (documents sharing a band) with at most this many distinct signatures
// verifies every pair of them; one with more verifies only pairs not yet grouped (see
// "Giant runs" above, and ClusterStats).
inline constexpr size_t kMaxPairwiseClasses = 64;
// Opening excerpts (verify.h, opening.h): the openings' Jaccard estimate they need, and
// the opening join's banding -- bands of kOpeningRows slots -- and its window: in a run
// of documents sharing an opening band, each is paired with the kOpeningWindow before it.
inline constexpr double kDefaultOpeningThreshold = 0.6;
inline constexpr int kOpeningRows = 2;
inline constexpr size_t kOpeningWindow = 64;

enum class CanonicalRule { kEarliest, kFirst, kLongest };

// What the canonical rule compares of a document: its publication time (kNoTime when
// unknown), its position in input (or insertion) order, and its shingle count.
struct CanonicalKey {
  int64_t published;
  int64_t order;
  uint32_t num_shingles;
};
// Whether x is a better canonical member than y under `rule`: kEarliest, the earlier
// publication time (unknown after every known one); kLongest, more shingles; ties, and
// kFirst, by order. The one definition batch runs and the ingestion index share.
inline bool CanonicalBefore(const CanonicalKey& x, const CanonicalKey& y, CanonicalRule rule) {
  switch (rule) {
    case CanonicalRule::kFirst:
      break;
    case CanonicalRule::kEarliest: {
      // kNoTime is INT64_MIN: map it past every real time.
      auto key = [](int64_t t) { return t == kNoTime ? INT64_MAX : t; };
      if (key(x.published) != key(y.published)) return key(x.published) < key(y.published);
      break;
    }
    case CanonicalRule::kLongest:
      if (x.num_shingles != y.num_shingles) return x.num_shingles > y.num_shingles;
      break;
  }
  return x.order < y.order;
}

struct ClusterOptions {
  double threshold = kDefaultThreshold;  // Similarity needed to group a pair, in [0, 1].
  // Excerpt matching (verify.h); 0 disables it.
  double containment_threshold = kDefaultContainmentThreshold;
  uint32_t min_containment_shingles = 20;
  double min_containment_ratio = 0.5;
  double containment_z = MatchOptions{}.containment_z;  // verify.h: the estimate's guard.
  CanonicalRule canonical = CanonicalRule::kEarliest;
  // Exact Jaccard over stored shingle sets, with a brute-force index: O(n^2), for
  // small inputs and as the oracle. Requires sketches with shingles kept.
  bool exact = false;
  // LSH bands and rows; when unset, OptimalLshParams(CandidateThreshold(match), num_perm,
  // 1 - kCandidateFalseNegativeWeight, kCandidateFalseNegativeWeight).
  std::optional<LshParams> lsh;
  // Keep every verified pair in ClusterResult::verified_pairs (for evaluation).
  bool record_pairs = false;
  // Bits kept of each signature slot for verification: 32 (all), 16 or 8 -- b-bit
  // minwise hashing with the estimator correction of minhash.h. 16 halves and 8
  // quarters the signatures' memory (512 -> 256 / 128 bytes at K = 128). LSH bands
  // compare the kept bits: two slots agree when their low signature_bits bits do, which
  // for unrelated documents happens by chance with probability 2^-bits per slot (a band
  // of r rows: 2^-(bits * r), e.g. 2^-24 at 8 bits and 3 rows), so narrow signatures add
  // candidates -- about n * bands / 2^(bits * r + 1) per document among n, 13 at 10M
  // documents and 42 x 3 -- each verified like any other; verification may then accept
  // a few pairs that full-slot bands would not have offered (on the 100k news corpus, 3
  // more true pairs at 8 bits, none at 16). Create() rejects bits * rows < kMinBandBits.
  int signature_bits = 32;
  // Opening excerpts (verify.h): a document of at least opening_min_ratio of a larger
  // one's shingles whose opening is in the larger's (the containment of its opening in the larger's
  // opening, estimated from the opening signatures' order, >= opening_threshold)
  // and whose containment's lower bound reaches opening_containment. Candidates come
  // from a second band join over the opening signatures (see JoinOpenings). Needs
  // sketches with openings (SketchOptions::opening; the pipeline asks for `opening`);
  // documents without one never match this way. opening.num_perm 0 or
  // opening_threshold 0 turns it off.
  OpeningOptions opening;
  double opening_threshold = kDefaultOpeningThreshold;
  double opening_min_ratio = MatchOptions{}.opening_min_ratio;
  double opening_containment = MatchOptions{}.opening_containment;
  // The signatures' slots are ordered (verify.h, EstimateOrderedPair: the classic and fss
  // engines): with 32-bit signatures, containment is estimated from the slots' order.
  bool ordered_slots = false;
};

// The matching rules of batch options, as verify.h takes them: the one mapping that
// batch runs and the ingestion index share.
inline MatchOptions MatchOptionsOf(const ClusterOptions& c) {
  return MatchOptions{c.threshold,           c.containment_threshold, c.min_containment_shingles,
                      c.min_containment_ratio, c.containment_z,         c.opening_threshold,
                      c.opening_min_ratio,     c.opening_containment};
}

// How a document relates to its cluster's representative.
enum class Relation {
  kRepresentative,
  kSimilar,   // Jaccard >= threshold.
  kExcerpt,   // Contained in the representative (a truncated copy or an excerpt).
  kExtends,   // Contains the representative (the representative is an excerpt of it).
  kLinked,    // Grouped through other members only.
};
std::string_view RelationName(Relation r);  // "representative", "similar", ...

struct DocumentResult {
  std::string id;
  std::string snippet;          // Start of the text, for reports; may be empty.
  uint32_t cluster = 0;         // Cluster number.
  DocIndex representative = 0;  // Input position of the cluster's representative.
  double similarity = 1.0;      // Jaccard with the representative.
  double containment = 1.0;     // Share of this document's shingles in the representative.
  Relation relation = Relation::kRepresentative;
  int64_t published = kNoTime;  // Unix seconds, if known.
  uint32_t num_shingles = 0;
};

struct ClusterStats {
  int64_t documents = 0;
  int64_t empty_documents = 0;    // No shingles: never grouped.
  // Candidate pairs (LSH: pairs agreeing in a band, each counted once; plus the opening
  // join's, see "Opening join" above) and those that pass verification. Exact, except in a band-join run of more than
  // kMaxPairwiseClasses distinct signatures without record_pairs: there, pairs whose
  // documents were already grouped when the join reached them are neither verified nor
  // counted (both counts are then lower bounds).
  int64_t candidate_pairs = 0;
  int64_t verified_pairs = 0;
  int64_t clusters = 0;           // Including singletons.
  int64_t duplicate_clusters = 0; // Clusters of size >= 2.
  int64_t duplicates = 0;         // Documents that are not their cluster's representative.
};

struct ClusterResult {
  std::vector<DocumentResult> documents;           // In input order.
  std::vector<std::vector<DocIndex>> clusters;     // Members in input order, by cluster number.
  // When not empty, what reports print for each cluster number (one per cluster): the
  // ingestion index's stable cluster ids; when empty, the number itself.
  std::vector<int64_t> cluster_ids;
  // With the story tier (story.h; `dedup cluster --stories`): per cluster number, its
  // story number (stories numbered 0, 1, ... by their first cluster); empty without it.
  std::vector<uint32_t> stories;
  ClusterStats stats;
  LshParams lsh;                                    // Used (zero with exact).
  // With record_pairs: (earlier, later) input positions of every verified pair.
  std::vector<std::pair<DocIndex, DocIndex>> verified_pairs;
};

// Heap bytes held by a Clusterer, by part: capacities (what is allocated), not sizes.
struct ClustererMemory {
  // The band-join scratch Finish() will allocate (16 bytes per non-empty document); 0
  // with `exact`, whose BruteForceIndex is not measured.
  size_t index = 0;
  size_t signatures = 0;        // Packed signatures: their blocks and the block list.
  size_t ids_and_snippets = 0;  // The arena, its end offsets and the id lengths.
  // Union-find parents, shingle counts, publication times, recorded pairs, the query
  // scratch, and with `exact` the shingle sets.
  size_t other = 0;

  size_t total() const { return index + signatures + ids_and_snippets + other; }
};

class Clusterer {
 public:
  // InvalidArgument for a threshold outside [0, 1] or LSH params not fitting num_perm.
  static absl::StatusOr<std::unique_ptr<Clusterer>> Create(const ClusterOptions& options,
                                                           int num_perm);

  // Adds the next document; returns its input position. The id and snippet bytes are
  // copied. With `exact`, the sketch must carry its shingles. `published` (Unix seconds
  // or kNoTime) feeds the canonical rule.
  // Cost: packing the signature and appending the columns; with `exact`, one brute-force
  // query plus one verification per candidate.
  DocIndex Add(std::string_view id, std::string_view snippet, SketchedDocument sketch,
               int64_t published = kNoTime);

  // Finds and verifies the candidates (LSH), then computes clusters and similarities.
  // Call once, after the last Add(); it releases the columns, so no Add() may follow.
  // Cost (LSH): per band, O(n) to key and sort, plus per pair of documents in a run of
  // equal keys a comparison of the band's slots (and of earlier bands' for candidates),
  // plus one verification per candidate -- in runs of more than 64 documents, per pair
  // of classes of copies instead, and among more than 64 classes only per pair not yet
  // grouped (see "Giant runs" above): n copies of one text cost O(n) per band, not
  // O(n^2), unless record_pairs asks for every pair. The keys and the runs are processed in
  // parallel (oneTBB, in the caller's task arena: run Finish() inside a
  // tbb::task_arena to bound its threads); the radix sort and the merging of verified
  // pairs are serial. The result does not depend on the number of threads.
  // `progress` (progress.h), if not null, is told the phases: "candidate join and
  // verification", then "clustering".
  ClusterResult Finish(ProgressObserver* progress = nullptr);

  // Heap bytes of the indexed state (see ClustererMemory). Cost O(1). After Finish():
  // only what is left, the Clusterer being spent.
  ClustererMemory Memory() const;
  size_t MemoryBytes() const { return Memory().total(); }

  const ClusterOptions& options() const { return options_; }
  const LshParams& lsh_params() const { return lsh_params_; }

 private:
  Clusterer(ClusterOptions options, int num_perm, LshParams lsh,
            std::unique_ptr<CandidateIndex> index);

  // Document d's packed signature.
  const uint8_t* PackedSignature(DocIndex d) const {
    return signature_blocks_[d >> signature_block_shift_].get() +
           (d & ((DocIndex{1} << signature_block_shift_) - 1)) * signature_bytes_;
  }
  DocIndex Find(DocIndex x);
  // Whether the candidate pair (a, b), a < b, passes verification. Thread-safe.
  bool Verify(DocIndex a, DocIndex b) const;
  // Merges the sets of a and b (the smaller root becomes the root).
  void Union(DocIndex a, DocIndex b);
  // Finds the LSH candidates of all documents, band by band, verifies each once (in
  // parallel, oneTBB, in the caller's task arena) and merges the verified pairs.
  void JoinBands();
  // The opening join: band by band over the opening signatures (kOpeningRows slots a
  // band), pairs of documents agreeing in a band and in no earlier one, not already in
  // one component and not too different in size for any rule, each document with the
  // kOpeningWindow before it in its run; verifies them and merges the verified pairs.
  void JoinOpenings();
  // Document d's opening signature (opening_perm_ slots; all kEmptySlot if none).
  const uint32_t* OpeningSignature(DocIndex d) const {
    return opening_blocks_[d >> opening_block_shift_].get() +
           (d & ((DocIndex{1} << opening_block_shift_) - 1)) * static_cast<size_t>(opening_perm_);
  }
  // What JoinRun() found in the runs of one chunk of a band's sorted entries.
  struct RunPairs {
    int64_t candidates = 0;
    int64_t verified = 0;
    // Verified pairs to merge: all with record_pairs, else a spanning forest per run.
    std::vector<std::pair<DocIndex, DocIndex>> pairs;
  };
  // JoinRun's buffers, one per task.
  struct JoinScratch {
    std::vector<uint32_t> group;    // Union-find over the run's positions.
    std::vector<uint8_t> prefixes;  // The run's signatures' bands 0 .. band.
    // Runs of more than kMaxPairwiseClasses documents, per position of the run:
    std::vector<uint32_t> leader;   // The first position of its class (itself for a leader).
    std::vector<uint32_t> copies;   // At a leader: its class's size in the run.
    std::vector<uint32_t> head, tail, next;  // Per group, its visited leaders (a list).
    std::vector<uint32_t> stamp;    // At a group: the last leader that kept it active.
    std::vector<uint32_t> active;   // Groups with visited leaders.
    absl::flat_hash_map<uint64_t, uint32_t> first;  // Signature hash, then root -> position.
  };
  // The candidates among `docs` (a run of equal band keys, in input order) in `band`:
  // pairs whose packed signatures agree in this band and in no earlier one. Verifies
  // them and adds them to *out. Thread-safe (const).
  // Counts a join's candidates and verified pairs and unions the pairs (recording them
  // with record_pairs).
  void Accept(const RunPairs& found);
  void JoinRun(const uint64_t* docs, size_t count, int band, JoinScratch* scratch, RunPairs* out) const;
  // JoinRun() for a run of more than kMaxPairwiseClasses documents without
  // record_pairs: by classes of copies, and past kMaxPairwiseClasses classes by groups
  // (parent_ must hold every document's root: it is read, not changed).
  void JoinRunByClasses(const uint64_t* docs, size_t count, int band, JoinScratch* scratch, RunPairs* out) const;
  // The pair's estimate (exact with `exact`), with the opening containment unless
  // !with_opening (then PairEstimate::opening is -1).
  PairEstimate Estimate(DocIndex a, DocIndex b, bool with_opening = true) const;
  // The containment of the smaller document's opening in the larger's, estimated from
  // the opening signatures' order (verify.h, "Ordered slots"); -1 when either has none.
  double OpeningContainment(DocIndex a, DocIndex b) const;
  bool Better(DocIndex a, DocIndex b) const;  // a is a better canonical member than b.

  ClusterOptions options_;
  MatchOptions match_;
  int num_perm_;
  LshParams lsh_params_;
  std::unique_ptr<CandidateIndex> index_;    // With `exact` only; null after Finish().
  bool finished_ = false;
  size_t nonempty_ = 0;                      // Documents with shingles.
  // Per document, by input position: the columns.
  std::vector<DocIndex> parent_;             // Union-find; a root is its set's smallest index.
  // Packed signatures, signature_bytes_ each, 2^signature_block_shift_ to a block.
  std::vector<std::unique_ptr<uint8_t[]>> signature_blocks_;
  size_t signature_bytes_;                   // PackedSignatureBytes(num_perm_, signature_bits).
  int signature_block_shift_;
  // Opening signatures, opening_perm_ slots each, 2^opening_block_shift_ to a block.
  int opening_perm_ = 0;
  std::vector<std::unique_ptr<uint32_t[]>> opening_blocks_;
  int opening_block_shift_ = 0;
  size_t openings_ = 0;                      // Documents with an opening signature.
  std::vector<uint32_t> num_shingles_;
  std::vector<int64_t> published_;
  // Document d's id then its snippet: arena_[text_end_[d - 1], text_end_[d]) (from 0
  // for d = 0), the id taking its first id_size_[d] bytes.
  std::vector<char> arena_;
  std::vector<uint64_t> text_end_;
  std::vector<uint32_t> id_size_;
  std::vector<std::vector<uint64_t>> shingles_;  // Per document, with `exact` only.
  size_t shingle_bytes_ = 0;                 // Capacity of shingles_' sets, in bytes.
  std::vector<DocIndex> candidates_;         // Scratch.
  std::vector<std::pair<DocIndex, DocIndex>> verified_pairs_;
  ClusterStats stats_;
};

}  // namespace dedup

#endif  // DEDUP_CLUSTER_H_
