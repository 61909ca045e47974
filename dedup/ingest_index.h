// IngestIndex: a durable, incremental near-duplicate index on disk.
//
// An aggregator asks, for every arriving article, "new, or a copy of cluster X?".
// IngestIndex answers and remembers: CheckAndInsert() signs a document with the same
// Sketcher as `dedup cluster`, looks it up in an in-memory LSH index over every stored
// document, verifies the candidates with EstimatePair() + Classify() (verify.h), and
// records the document and its cluster in an SQLite database (WAL mode) before it
// returns. The answer survives restarts and crashes and agrees with a batch run:
//
//   Chrome. The index learns site chrome from the documents it ingests, by the rule
//   of `dedup cluster` counted one document at a time (ChromeStream, chrome_stream.h),
//   and signs every document without the lines that are chrome. When a batch makes a
//   line chrome, every stored document holding it is re-signed from its stored text and
//   the clusters it was in, or now matches, are re-examined (components of their
//   verified pairs, as below), in the batch's own transaction. So at every commit each
//   stored document is signed with the current model M: the state depends only on the
//   sequence of documents, never on how it was split into batches or sessions.
//
//   Equivalence. Let M be the index's chrome model after ingesting documents d1..dn (in
//   any number of sessions and batches). The clusters are the ones a batch run finds
//   (Clusterer, with ClusterOptionsFor(params)) for d1..dn in that order, each signed
//   without the lines M calls chrome: the connected components of the verified
//   candidate pairs, with the same canonical member (CanonicalRule; "first" means first
//   inserted). ExportClusters(dense) returns exactly that ClusterResult, up to the
//   counters of candidate pairs (tested). M itself differs from the model `dedup
//   cluster` learns from the whole corpus at once (chrome_stream.h says how);
//   BENCHMARKS.md compares the two on the hard corpora.
//
//   Stable cluster ids. A document that matches nothing starts a cluster with a new id
//   from a counter stored in the index (ids are never reused). One that matches several
//   clusters merges them: the oldest (smallest) id survives, the others' members move to
//   it, and each merge is recorded (ClusterEvents()). A document keeps its cluster id
//   across sessions unless its cluster is merged into an older one or split (below).
//
//   Removal and expiry re-cluster. Remove() and Expire() delete documents, and the
//   remaining members of each affected cluster are re-clustered (components of their
//   verified pairs), so the index keeps agreeing with a batch run over the documents it
//   holds: removing the one document that linked two groups splits the cluster again.
//   The part holding the earliest inserted remaining member keeps the id; every other
//   part gets a new id, recorded as a split event. A cluster whose members all go is
//   deleted.
//
//   Giant clusters stay linear. Exact copies (equal signature and shingle count) are one
//   class with one LSH entry (internal/copy_classes.h); an LSH key of more than 64
//   documents (a footer or template shared by many pages) is walked one member per
//   cluster until one verifies ("Hot keys" below); verification and re-clustering after a
//   removal or a re-examination are one batch run (Clusterer, whose giant runs are
//   linear, cluster.h) over the classes' first members. n copies of one text, or n pages
//   that share a footer and match, cost O(n) to insert, verify or remove from, not
//   n^2 / 2 verifications (BENCHMARKS.md: 1M of each). What stays quadratic is inherent to
//   pairwise matching: n pages that share an LSH key yet do not match one another.
//
//   Replays are idempotent. Inserting an id that is already indexed with the same text
//   (the same XXH3-64 of its bytes) changes nothing and answers kExisting with the document's
//   current cluster, so a client may resend a batch it is unsure about. The same id
//   with a different text is an error (AlreadyExists); nothing of that batch is stored.
//
// Durability. A batch is one SQLite transaction; CheckAndInsert() returns only after
// it committed. With Durability::kFull (the default; PRAGMA synchronous=FULL) the WAL
// is fsynced at every commit: an acknowledged insert survives kill -9 and power loss.
// kNormal (synchronous=NORMAL) syncs only at checkpoints: an acknowledged insert still
// survives kill -9 (the WAL is in the OS page cache), but the last transactions before
// a power loss or OS crash may be lost -- never the file's consistency. Errors
// (disk full, read-only file, I/O) roll the batch back and leave the in-memory state
// as it was; nothing half-written is ever visible.
//
// Example:
//   dedup::IngestOptions options;
//   options.params = dedup::IndexParams{};               // the batch defaults, chrome learned
//   auto index = dedup::IngestIndex::Create("news.dedup", options);   // or Open(...)
//   absl::StatusOr<std::vector<dedup::CheckResult>> r = (*index)->CheckAndInsert(docs);
//   for (const dedup::CheckResult& c : *r)
//     std::cout << c.id << " " << dedup::DecisionName(c.decision) << " " << c.cluster << "\n";
//
// Thread safety. One IngestIndex may be shared by many threads: Query(), Stats(),
// ExportClusters(), params() and Verify() are readers and run concurrently with each
// other and with one writer (CheckAndInsert, Remove, Expire; writers are serialized).
// Readers see committed state only; a writer blocks them while it counts a batch into
// the chrome model (about 25 us per document), while it applies an already-committed
// batch to memory (microseconds per document; longer when Remove or Expire compacts the
// in-memory index, see below), and, in a batch that made lines chrome, from the
// re-examination through the commit (so that no reader sees a re-examination that is
// not durable). One process writes an index at a
// time: a write that finds the file changed by another connection since it was loaded
// fails with FailedPrecondition (reopen to continue); an index opened read_only sees
// the file as it was when opened.
//
// Memory: per stored document its id, its signature (4K bytes), the LSH band entries
// and ~60 bytes of bookkeeping, as in batch mode, plus the chrome model's line keys and
// context sketch (chrome_stream.h: 12 bytes per line and 256 per document, and ~40
// bytes per distinct line). Removed documents leave tombstones, and re-signed ones
// their old band entries, in the LSH tables until they outnumber live documents; then
// the tables are rebuilt. Open() reads every signature, rebuilds the LSH tables and
// replays the chrome history (see BENCHMARKS.md for the time at 1M documents).
//
// File format (version 2; implemented in dedup/internal/index_format.{h,cc}), an SQLite 3
// database in WAL mode:
//   PRAGMA application_id = 0x44445550 ("DDUP"), PRAGMA user_version = 2.
//   meta(key TEXT PRIMARY KEY, value TEXT): format_version, created_by, created_at,
//     sketch (DescribeSketchOptions), fingerprint (SketchFingerprint, 16 hex digits),
//     shingle, num_perm, seed, minhash (classic | oph | fss; files written before the
//     engine was a choice lack it and are classic), threshold, containment_threshold,
//     min_containment_shingles, min_containment_ratio, canonical, lsh_bands, lsh_rows,
//     chrome (DescribeChromeRule: the rule's version and options, or "off"),
//     chrome_min_docs, chrome_min_contexts, chrome_min_source_docs,
//     chrome_min_source_contexts, chrome_context_containment, chrome_block_adjacency,
//     chrome_block_df_ratio, next_seq, next_cluster, candidate_pairs, verified_pairs,
//     chrome_documents and chrome_digest (ChromeStream::documents() and Digest() after
//     the last commit; Open() replays the history and compares), and checksum = XXH3-64
//     (seed 0) of "key=value\n" for every other key in byte order, as 16 hex digits.
//   documents(seq INTEGER PRIMARY KEY, id TEXT UNIQUE, cluster, num_shingles,
//     published (Unix s or NULL), inserted (Unix s), checksum, signature BLOB,
//     text_hash): seq is the insertion order; signature is K little-endian uint32;
//     text_hash the XXH3-64 of the text as a signed 64-bit integer; checksum is the
//     XXH3-64 (seed 0), as a signed 64-bit integer, of seq, num_shingles, published
//     (INT64_MIN for NULL), inserted (each 8 bytes little-endian), the id's length (8
//     bytes LE), the id's bytes, the signature's bytes and text_hash (8 bytes LE).
//     `cluster` is not covered: it changes on merges and is checked against the
//     clusters table instead.
//   texts(seq INTEGER PRIMARY KEY, source TEXT, text TEXT): each stored document's text
//     and source as given, for re-signing (checked against text_hash when read);
//     deleted with the document.
//   lines(seq INTEGER PRIMARY KEY, source INTEGER, keys BLOB, checksum): the chrome
//     model's history: for every document ever inserted (removed ones too: the model
//     does not un-learn), its source key and SerializeLineKeys(); checksum XXH3-64 of
//     seq and source (8 bytes LE each) and the keys' bytes.
//   clusters(id INTEGER PRIMARY KEY, canonical (a documents.seq), size, created).
//   merges(seq INTEGER PRIMARY KEY, time, kind 'merge'|'split', old_cluster,
//     new_cluster, document, checksum): 'merge': old_cluster's members moved into
//     new_cluster (the older id) when `document` arrived; 'split': new_cluster was cut
//     out of old_cluster when `document` was removed. checksum: XXH3-64 of seq, time,
//     old_cluster, new_cluster (8 bytes LE each), kind and document (length-prefixed).
// Open() refuses files that are not SQLite databases, foreign databases, other format
// versions (version 1, written before the index learned chrome, kept no texts: the
// message says to re-create the index from the documents), parameters different from the ones asked for (FailedPrecondition naming
// both values), a sketch description this build would compute differently (e.g. a new
// normalization version), truncated files and rows failing their checksum or the
// invariants (DataLoss).
#ifndef DEDUP_INGEST_INDEX_H_
#define DEDUP_INGEST_INDEX_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "dedup/boilerplate.h"
#include "dedup/chrome_stream.h"
#include "dedup/cluster.h"
#include "dedup/document.h"
#include "dedup/internal/copy_classes.h"
#include "dedup/lsh_index.h"
#include "dedup/sketch.h"
#include "dedup/verify.h"

namespace dedup {

namespace internal {
class SqliteDb;
class SqliteTransaction;
struct ClusterRow;
}  // namespace internal

inline constexpr int kIngestFormatVersion = 2;
inline constexpr uint32_t kIngestApplicationId = 0x44445550;  // "DDUP"

// The parameters an index is created with; fixed for its lifetime. The defaults are a
// batch run's (SketchOptions{}, IndexMatchOptionsOf(ClusterOptions{}), BoilerplateOptions{}):
// the index leaves site chrome out as `dedup cluster` does, learning it from the
// documents it ingests (chrome_stream.h), so it needs no stricter thresholds. An index
// answers as a batch run over its documents signed with its chrome model (see
// "Chrome" above).
// The index's matching rules: a batch run's, without opening excerpts (verify.h), which
// need opening signatures the index does not keep yet; it estimates containment from the
// Jaccard estimate (ClusterOptions::ordered_slots false).
inline MatchOptions IndexMatchOptionsOf(const ClusterOptions& c) {
  MatchOptions m = MatchOptionsOf(c);
  m.opening_threshold = 0;
  return m;
}
struct IndexParams {
  SketchOptions sketch;
  MatchOptions match = IndexMatchOptionsOf(ClusterOptions{});
  CanonicalRule canonical = ClusterOptions{}.canonical;
  // Site chrome learned from the ingested documents (chrome_stream.h); `rounds` is not
  // used (the stream decides once per document). enabled = false: whole pages compared.
  BoilerplateOptions chrome;
  // LSH bands and rows; when unset, exactly the banding Clusterer::Create() chooses
  // for these match options and K (so ingestion and batch runs see the same candidates).
  std::optional<LshParams> lsh;
};

// The IndexParams of a batch run with these options (ClusterOptions::exact is not
// supported by the index: it stores signatures, not shingle sets).
IndexParams IndexParamsFor(const SketchOptions& sketch, const ClusterOptions& cluster);
// The inverse: the options of a batch run that agrees with an index of `params`
// (with PipelineOptions::sketch = params.sketch).
ClusterOptions ClusterOptionsFor(const IndexParams& params);

// "earliest", "first", "longest" and back.
std::string_view CanonicalRuleName(CanonicalRule rule);
absl::StatusOr<CanonicalRule> ParseCanonicalRule(std::string_view name);

enum class Durability {
  kFull,    // PRAGMA synchronous=FULL: fsync at every commit (survives power loss).
  kNormal,  // PRAGMA synchronous=NORMAL: fsync at checkpoints (survives kill -9).
};

struct IngestOptions {
  // Create(): the index's parameters (IndexParams{} when unset).
  // Open(): when set, must equal the stored parameters (FailedPrecondition otherwise);
  // when unset, the stored parameters are used.
  std::optional<IndexParams> params;
  // Open without write access; every writer then fails with FailedPrecondition.
  bool read_only = false;
  Durability durability = Durability::kFull;
  // Refuse to grow the database file past this many bytes (ResourceExhausted, the
  // batch rolled back); 0: no limit besides the disk.
  int64_t max_file_bytes = 0;
  // Sketching threads for a batch: 0 all cores, 1 the calling thread only; at most
  // kMaxThreads (threads.h), else Create/Open fail with InvalidArgument.
  int threads = 0;
  // The current time in Unix seconds, for insert times and events; default: the
  // system clock. Tests and backfills set it.
  std::function<int64_t()> clock;
};

enum class Decision {
  kNew,        // Matched no indexed document: a new cluster.
  kDuplicate,  // Matched (verified pair with) at least one indexed document.
  kExisting,   // The id is already indexed with the same text: nothing changed.
};
std::string_view DecisionName(Decision d);  // "new", "duplicate", "existing"

struct CheckResult {
  std::string id;
  Decision decision = Decision::kNew;
  int64_t cluster = 0;    // Stable cluster id (after any merge this document causes).
  std::string canonical;  // Id of the cluster's canonical member (may be this document).
  double similarity = 1;  // Estimated Jaccard with the canonical member (1 if it is it).
  double containment = 1; // Share of this document's shingles in the canonical member.
  // Clusters merged into `cluster` because of this document (older id survives).
  std::vector<int64_t> merged;
};

struct RemoveResult {
  int64_t removed = 0;                // Documents deleted.
  std::vector<std::string> missing;   // Requested ids that were not indexed.
  int64_t clusters_deleted = 0;       // Clusters left without members.
  int64_t clusters_split = 0;         // New clusters cut out of affected clusters.
};

enum class ExpireBy {
  kPublished,  // Publication time; documents without one use their insert time.
  kInserted,   // Insert time.
};

struct ClusterEvent {
  enum class Kind { kMerge, kSplit };
  int64_t seq = 0;
  int64_t time = 0;         // Unix seconds.
  Kind kind = Kind::kMerge;
  int64_t old_cluster = 0;  // kMerge: the id that went away; kSplit: the id split from.
  int64_t new_cluster = 0;  // kMerge: the surviving (older) id; kSplit: the new id.
  std::string document;     // The document whose insertion / removal caused it.
};

struct IndexStats {
  int64_t documents = 0;
  int64_t empty_documents = 0;      // No shingles: never grouped.
  int64_t clusters = 0;             // Including singletons.
  int64_t duplicate_clusters = 0;   // Clusters of two or more documents.
  int64_t duplicates = 0;           // Documents that are not their cluster's canonical member.
  int64_t merges = 0;               // Merge events recorded.
  int64_t splits = 0;               // Split events recorded.
  int64_t next_cluster = 0;         // The id the next new cluster gets.
  int64_t candidate_pairs = 0;      // Since creation, as ClusterStats counts them (pairs
                                    // checked before a re-examination stay counted).
  int64_t verified_pairs = 0;
  int64_t oldest_inserted = 0, newest_inserted = 0;    // Unix s; 0 when empty.
  int64_t oldest_published = kNoTime, newest_published = kNoTime;
  int64_t file_bytes = 0;           // The database file.
  int64_t wal_bytes = 0;            // Its write-ahead log.
  double load_seconds = 0;          // Open(): reading the file, rebuilding LSH, replaying chrome.
  int64_t chrome_lines = 0;         // (Scope, line) pairs the chrome model holds.
  int64_t exact_copies = 0;         // Documents whose sketch equals an earlier one's in their
                                    // cluster: looked up through it (internal/copy_classes.h).
  int64_t hot_keys = 0;             // LSH keys of more than 64 documents, grouped by cluster.
  // Write transactions this IngestIndex committed, and the seconds spent in their SQLite
  // COMMIT: writing the WAL and, with Durability::kFull, its fsync (in this process only).
  int64_t commits = 0;
  double commit_sync_seconds = 0;
  int64_t chrome_history = 0;       // Documents it learned from (removed ones included).
  LshParams lsh;
  std::string sketch_description;
  IndexParams params;
};

// One stored document as the index holds it (its text is not returned).
struct StoredDocument {
  std::string id;
  int64_t cluster = 0;
  std::string canonical;  // Id of its cluster's canonical member.
  int64_t published = kNoTime;  // Unix s, or kNoTime.
  int64_t inserted = 0;         // Unix s.
  uint32_t num_shingles = 0;
};

// One stored cluster: its canonical member and its members in insertion order.
struct StoredCluster {
  int64_t id = 0;
  std::string canonical;
  int64_t created = 0;  // Unix s.
  std::vector<std::string> members;
};

struct VerifyOptions {
  // PRAGMA quick_check instead of integrity_check, and no re-clustering check.
  bool quick = false;
  size_t max_problems = 20;  // Stop listing problems after this many.
};

struct VerifyReport {
  int64_t documents = 0, clusters = 0, events = 0;
  std::vector<std::string> problems;  // Empty: the index verified.
  double seconds = 0;
  bool ok() const { return problems.empty(); }
};

class IngestIndex {
 public:
  // Creates a new index file at `path` (AlreadyExists if something is there). The file
  // is built under a temporary name and linked into place, so `path` never holds a
  // half-created index; the folder is then fsynced. On any error nothing is left at
  // `path`, so the call can be retried. Returns it opened.
  static absl::StatusOr<std::unique_ptr<IngestIndex>> Create(const std::string& path,
                                                             const IngestOptions& options);
  // Opens an existing index, checks it and rebuilds the in-memory LSH tables.
  // NotFound if there is no file; InvalidArgument if it is not a dedup index;
  // FailedPrecondition for a parameter mismatch or a newer format; DataLoss if it is
  // truncated or corrupt. Cost: O(documents) -- it reads every signature.
  static absl::StatusOr<std::unique_ptr<IngestIndex>> Open(const std::string& path,
                                                           const IngestOptions& options);
  ~IngestIndex();
  IngestIndex(const IngestIndex&) = delete;
  IngestIndex& operator=(const IngestIndex&) = delete;

  // Checks each document against the index and everything before it in `docs`, and
  // inserts it, in order, in one transaction; returns one result per document after
  // the commit. Only `id`, `text` and `published_time` are used. All or nothing: on an
  // error nothing of the batch is stored, and *failed (if given) is the position of the
  // offending document (docs.size() when no single document is to blame).
  absl::StatusOr<std::vector<CheckResult>> CheckAndInsert(absl::Span<const Document> docs,
                                                          size_t* failed = nullptr);
  absl::StatusOr<CheckResult> CheckAndInsert(const Document& doc);

  // What CheckAndInsert() would answer for each document if it were inserted now, on
  // its own (documents of one Query() call are not compared with each other). Writes
  // nothing.
  absl::StatusOr<std::vector<CheckResult>> Query(absl::Span<const Document> docs,
                                                 size_t* failed = nullptr) const;
  absl::StatusOr<CheckResult> Query(const Document& doc) const;

  // Deletes the documents with these ids and re-clusters what remains of their
  // clusters (see above), in one transaction. Ids not in the index are listed in
  // RemoveResult::missing.
  absl::StatusOr<RemoveResult> Remove(absl::Span<const std::string> ids);

  // Removes every document whose time (ExpireBy) is < `before` (Unix seconds).
  absl::StatusOr<RemoveResult> Expire(int64_t before, ExpireBy by);

  IndexStats Stats() const;

  // Readers for one document or one cluster (for `dedup serve`): the stored document
  // with this id, O(1); the cluster with this id, O(its members). nullopt when there is
  // none (a cluster id merged away or deleted included).
  std::optional<StoredDocument> FindDocument(std::string_view id) const;
  std::optional<StoredCluster> FindCluster(int64_t cluster) const;

  // Merge and split events, oldest first (all of them when `cluster` is unset, else
  // those naming it as old or new cluster).
  absl::StatusOr<std::vector<ClusterEvent>> ClusterEvents(std::optional<int64_t> cluster = {}) const;

  // The stored clusters as a batch ClusterResult (report.h writes it): documents in
  // insertion order; representative = canonical member; similarity, containment and
  // relation to it as Clusterer::Finish() computes them. Clusters are numbered 0, 1, ...
  // by their first document, as in batch mode; without `dense_ids`, cluster_ids gives
  // each number's stable cluster id (int64), which reports print instead. Memory is
  // O(live documents + live clusters), whatever the ids issued. Snippets are empty.
  ClusterResult ExportClusters(bool dense_ids) const;

  // Checks the file on its own connection: PRAGMA integrity_check, the header, meta
  // and its checksum, every row's checksum, the clusters table against the documents,
  // the events, and (unless quick) that re-clustering the stored signatures from scratch
  // gives exactly the stored clusters and canonical members. Errors only for I/O;
  // problems go into the report.
  absl::StatusOr<VerifyReport> Verify(const VerifyOptions& options = {}) const { return VerifyFile(path_, options); }
  // The same checks on a file that need not open: lists every problem of an index that
  // Open() refuses, without loading it.
  static absl::StatusOr<VerifyReport> VerifyFile(const std::string& path, const VerifyOptions& options = {});

  // OK if `expected` (with its LSH bands resolved as Create would) equals the stored
  // parameters; otherwise FailedPrecondition naming every differing value, as Open()
  // does when IngestOptions::params is set.
  absl::Status CheckParams(const IndexParams& expected) const;

  const IndexParams& params() const { return params_; }
  const LshParams& lsh_params() const { return lsh_params_; }
  const std::string& path() const { return path_; }
  // The options' description of the stored sketch (DescribeSketchOptions).
  const std::string& sketch_description() const { return sketch_description_; }

 private:
  struct Slot {
    int64_t seq;
    int64_t cluster;  // 0 for a removed document (a tombstone).
    int64_t published;
    int64_t inserted;
    int64_t text_hash;  // XXH3-64 of the text: a replay is the same id with the same text.
    uint32_t num_shingles;
  };
  // A document tokenized, with its line keys for the chrome model.
  struct Prepared {
    TokenizedText tokens;
    LineKeys keys;
    uint64_t source_key = 0;
    int64_t text_hash = 0;
  };
  struct ClusterState {
    DocIndex canonical = 0;
    int64_t created = 0;
    std::vector<DocIndex> members;  // Slots, unordered.
  };
  // A cluster as a removal or a re-examination leaves it.
  struct ClusterPart {
    int64_t cluster;
    DocIndex canonical;
    int64_t created;
    std::vector<DocIndex> members;  // Ascending slots (= insertion order).
    bool moved = false;             // Its members' cluster changes (else they keep it).
  };
  struct InsertPlan;
  struct RemovePlan;
  class Planner;
  // A document's candidates among the stored documents: how many, and those verified.
  // A sketch's candidates among the stored documents: LSH representatives
  // (internal/copy_classes.h), each standing for itself and its copies.
  struct StoredMatches {
    std::vector<DocIndex> candidates;
    std::vector<DocIndex> verified;  // Those of `candidates` that verified.
    int64_t copy_of = -1;            // A stored representative the sketch is a copy of.
  };

  IngestIndex(std::string path, IngestOptions options);

  absl::Status Load();
  absl::Status LoadMeta();
  absl::Status ConfigureConnection();
  int64_t Now() const;

  // Tokenizing and line keys (parallel with options_.threads); *failed as in CheckAndInsert.
  absl::Status PrepareAll(absl::Span<const Document> docs, std::vector<Prepared>* out, size_t* failed) const;
  // Signs prepared[i] for i in `which` without the lines that are chrome now, in
  // parallel. Needs state_mu_ held (shared or exclusive).
  void SignAll(const std::vector<Prepared>& prepared, const std::vector<size_t>& which,
               std::vector<SketchedDocument>* out) const;
  // Re-examination (see "Chrome" above): re-signs the stored documents `slots` from their
  // texts with the current chrome model and re-clusters every cluster they touch, before
  // and after. `cause` names the document whose arrival made the chrome. Needs state_mu_
  // held exclusively; Apply changes memory, Write the file (inside the caller's
  // transaction).
  struct Reexamination;
  absl::Status PlanReexamination(const std::vector<DocIndex>& slots, const std::string& cause,
                                 Reexamination* out) const;
  void ApplyReexamination(const Reexamination& r);
  absl::Status WriteReexamination(const Reexamination& r) const;
  // The in-memory clusters after `gone` were deleted and `parts` set (state_mu_ held
  // exclusively), and the rows that write them.
  void ApplyParts(const std::vector<int64_t>& gone, const std::vector<ClusterPart>& parts);
  std::vector<internal::ClusterRow> RowsOf(const std::vector<ClusterPart>& parts) const;
  // Forgets the in-memory state and loads the file again (after a failed commit of a
  // batch whose re-examination was already applied to memory).
  void ReloadAll();
  // The slot of a stored seq, or -1.
  int64_t SlotOfSeq(int64_t seq) const;
  // Rebuilds chrome_ from the stored history (the lines table, in seq order).
  absl::Status ReplayChrome(internal::SqliteDb* db);
  // After a batch was counted into chrome_ but not committed: replays the stored history.
  void RecoverChrome();
  // Finds and verifies each sketch's candidates among the stored documents, in
  // parallel (options_.threads). Needs state_mu_ held (shared).
  void MatchStored(absl::Span<const SketchedDocument> sketches, std::vector<StoredMatches>* out) const;
  absl::Status CommitInsert(const InsertPlan& plan, const Reexamination* reexamination);
  void ApplyInsert(const InsertPlan& plan);
  absl::StatusOr<RemoveResult> RemoveSlots(std::vector<DocIndex> slots);
  absl::Status CommitRemove(const RemovePlan& plan);
  void ApplyRemove(const RemovePlan& plan);
  // Starts a write transaction after checking no other connection wrote since Load().
  absl::Status CheckWritable() const;
  void RebuildLsh();  // Drops tombstones; needs the exclusive state lock.
  bool alive(DocIndex slot) const { return slots_[slot].cluster != 0; }
  const uint32_t* sig(DocIndex slot) const {
    return &signatures_[static_cast<size_t>(slot) * params_.sketch.num_perm];
  }
  SketchedDocument SketchOf(DocIndex slot) const;

  const std::string path_;
  const IngestOptions options_;
  IndexParams params_;
  LshParams lsh_params_;
  std::string sketch_description_;
  uint64_t fingerprint_ = 0;
  std::optional<Sketcher> sketcher_;
  // The chrome model: counted by the writer under state_mu_ held exclusively, read
  // under it held shared.
  std::unique_ptr<ChromeStream> chrome_;
  double load_seconds_ = 0;

  // The SQLite connection and the counters that go with it: guarded by writer_mu_.
  mutable std::mutex writer_mu_;
  std::unique_ptr<internal::SqliteDb> db_;
  bool immutable_ = false;  // db_ opened immutable (a read-only folder): no WAL files.
  int64_t data_version_ = 0;
  bool broken_ = false;  // An I/O error during a commit: writes refused until reopened.

  // The in-memory state: read under a shared lock, changed under an exclusive lock
  // (and only by the thread holding writer_mu_).
  mutable std::shared_mutex state_mu_;
  std::vector<Slot> slots_;
  std::vector<std::string> ids_;        // Per slot; cleared for tombstones.
  std::vector<uint32_t> signatures_;    // K per slot.
  // The live slots, hashed and compared by their ids in ids_: each id is stored once
  // (a map from id strings kept a second copy, ~40 bytes per document plus the id's own
  // heap block when longer than 15 bytes). Lookups take the id; a slot must be in ids_
  // before it is inserted and erased before its id is cleared.
  struct SlotIdHash {
    using is_transparent = void;
    const std::vector<std::string>* ids;
    size_t operator()(DocIndex slot) const { return absl::Hash<std::string_view>()((*ids)[slot]); }
    size_t operator()(std::string_view id) const { return absl::Hash<std::string_view>()(id); }
  };
  struct SlotIdEq {
    using is_transparent = void;
    const std::vector<std::string>* ids;
    bool operator()(DocIndex a, DocIndex b) const { return (*ids)[a] == (*ids)[b]; }
    bool operator()(DocIndex a, std::string_view b) const { return (*ids)[a] == b; }
    bool operator()(std::string_view a, DocIndex b) const { return a == (*ids)[b]; }
  };
  absl::flat_hash_set<DocIndex, SlotIdHash, SlotIdEq> by_id_{0, SlotIdHash{&ids_}, SlotIdEq{&ids_}};
  absl::flat_hash_map<int64_t, ClusterState> clusters_;
  // Only representatives of copy classes are in lsh_ (internal/copy_classes.h).
  std::unique_ptr<LshIndex> lsh_;
  internal::CopyClasses copies_;
  // Hot keys: LSH keys holding more than kHotKeyDocs documents -- one footer or page
  // template shared by many pages, with chrome removal off or the chrome inside a line.
  // Their documents are grouped by cluster, and a query walks each group only until one
  // member verifies, and not at all when its cluster already matched: n pages that share
  // a key and match cost O(n) verifications and group visits, not n^2 / 2. (The pair
  // counts then leave out the pairs skipped, as a batch run's giant runs do.) Groups
  // hold one cluster's documents: the keys of documents whose cluster changes by a split
  // or a re-examination, or that are re-signed or removed, are regrouped; merges keep
  // groups valid (merged groups are in one cluster).
  static constexpr size_t kHotKeyDocs = 64;
  struct HotKey {
    std::vector<std::vector<DocIndex>> groups;
    absl::flat_hash_map<int64_t, uint32_t> group_of;  // Cluster -> its group.
  };
  absl::flat_hash_map<uint64_t, HotKey> hot_;  // band << 32 | key31.
  static uint64_t HotCode(const LshIndex::KeyRef& k) { return uint64_t{static_cast<uint32_t>(k.band)} << 32 | k.key31; }
  void IndexInsert(DocIndex slot, const SketchedDocument& sketch);  // Into lsh_ and hot_.
  // txn->Commit(), timed into commits_ and commit_nanos_.
  absl::Status TimedCommit(internal::SqliteTransaction* txn);
  std::atomic<int64_t> commits_{0};
  std::atomic<int64_t> commit_nanos_{0};
  void GroupHotKey(const LshIndex::KeyRef& key);  // (Re)builds hot_'s entry from lsh_.
  void BuildHotKeys();    // Every large key of lsh_ (after building or rebuilding it).
  // Adds to *codes the hot keys that documents `docs` are in, by their current
  // signatures: those to regroup after their cluster changes or they are re-signed or
  // removed (each GroupHotKey() costs the key's documents).
  void HotKeysOf(const std::vector<DocIndex>& docs, absl::flat_hash_set<uint64_t>* codes) const;
  int64_t live_ = 0;                    // Live slots.
  int64_t stale_lsh_ = 0;               // LSH entries of signatures since re-made.
  int64_t next_seq_ = 1;
  int64_t next_cluster_ = 1;
  int64_t candidate_pairs_ = 0;
  int64_t verified_pairs_ = 0;
  int64_t merge_events_ = 0;
  int64_t split_events_ = 0;
  int64_t next_event_seq_ = 1;
};

}  // namespace dedup

#endif  // DEDUP_INGEST_INDEX_H_
