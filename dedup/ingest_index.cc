// IngestIndex (ingest_index.h), in parts, one concept per file:
//   ingest_index.cc                 opening and loading, check-and-insert and query, commits,
//                                   removal and expiry, stats and export;
//   internal/ingest_planner.h       the write plans and the insert Planner (pure logic);
//   internal/batch_components.h     re-clustering stored documents by one batch run;
//   ingest_index_reexamination.cc   re-signing stored documents when their lines become chrome;
//   ingest_index_hot_keys.cc        hot LSH keys grouped by cluster, rebuilding the tables;
//   ingest_index_verify.cc          `dedup index verify`;
//   internal/index_format.h         the file format (schema, checksums, meta).
#include "dedup/ingest_index.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_format.h"
#include "dedup/internal/fsync.h"
#include "dedup/internal/index_format.h"
#include "dedup/internal/batch_components.h"
#include "dedup/internal/ingest_planner.h"
#include "dedup/internal/sqlite_store.h"
#include "dedup/status_macros.h"
#include "dedup/threads.h"
#include "dedup/version.h"
#include "oneapi/tbb/blocked_range.h"
#include "oneapi/tbb/enumerable_thread_specific.h"
#include "oneapi/tbb/parallel_for.h"
#include "oneapi/tbb/task_arena.h"

namespace dedup {

using internal::SqliteFileUri;
using internal::SqliteDb;
using internal::SqliteStatement;
using internal::SqliteTransaction;
// The file format (internal/index_format.h): schema, checksums, meta.
using namespace internal;  // NOLINT: the ingest_index*.cc files are the format's users.

// -----------------------------------------------------------------------------------
// Public helpers.

IndexParams IndexParamsFor(const SketchOptions& sketch, const ClusterOptions& cluster) {
  IndexParams p;
  p.sketch = sketch;
  p.match = IndexMatchOptionsOf(cluster);
  p.canonical = cluster.canonical;
  p.lsh = cluster.lsh;
  return p;
}

ClusterOptions ClusterOptionsFor(const IndexParams& p) {
  ClusterOptions c;
  c.threshold = p.match.threshold;
  c.containment_threshold = p.match.containment_threshold;
  c.min_containment_shingles = p.match.min_containment_shingles;
  c.min_containment_ratio = p.match.min_containment_ratio;
  c.containment_z = p.match.containment_z;
  c.opening_threshold = p.match.opening_threshold;  // 0: the index does no opening excerpts.
  c.canonical = p.canonical;
  c.lsh = p.lsh;
  return c;
}

std::string_view CanonicalRuleName(CanonicalRule rule) {
  switch (rule) {
    case CanonicalRule::kEarliest: return "earliest";
    case CanonicalRule::kFirst: return "first";
    case CanonicalRule::kLongest: return "longest";
  }
  return "earliest";
}

absl::StatusOr<CanonicalRule> ParseCanonicalRule(std::string_view name) {
  if (name == "earliest") return CanonicalRule::kEarliest;
  if (name == "first") return CanonicalRule::kFirst;
  if (name == "longest") return CanonicalRule::kLongest;
  return absl::InvalidArgumentError(
      absl::StrFormat("unknown canonical rule \"%s\" (expected earliest, first or longest)", std::string(name)));
}

std::string_view DecisionName(Decision d) {
  switch (d) {
    case Decision::kNew: return "new";
    case Decision::kDuplicate: return "duplicate";
    case Decision::kExisting: return "existing";
  }
  return "new";
}

// Verification against the stored documents does not depend on the order of a batch
// (only matches within the batch and cluster merges do), so it runs on all cores.
void IngestIndex::MatchStored(absl::Span<const SketchedDocument> sketches, std::vector<StoredMatches>* out) const {
  out->assign(sketches.size(), StoredMatches{});
  const int k = params_.sketch.num_perm;
  struct Scratch {
    std::vector<DocIndex> candidates;
    std::vector<LshIndex::KeyRef> large;
    std::vector<int64_t> matched;  // Clusters of verified candidates.
  };
  auto match = [&](size_t i, Scratch* scratch) {
    const SketchedDocument& sketch = sketches[i];
    StoredMatches& m = (*out)[i];
    if (sketch.signature.values().empty()) return;  // A replay: not signed.
    std::vector<DocIndex>& candidates = scratch->candidates;
    std::vector<LshIndex::KeyRef>& large = scratch->large;
    candidates.clear();
    large.clear();
    scratch->matched.clear();
    bool sorted = true;
    if (hot_.empty()) {
      lsh_->Query(sketch, &candidates);
    } else {
      lsh_->Query(sketch, &candidates, kHotKeyDocs, &large);
      for (const LshIndex::KeyRef& key : large) {
        if (!hot_.contains(HotCode(key))) {  // Not grouped (not expected): walked in full.
          lsh_->KeyDocs(key, &candidates);
          sorted = false;
        }
      }
    }
    if (stale_lsh_ > 0 || !sorted) {  // A re-signed document may be found by its old bands too.
      std::sort(candidates.begin(), candidates.end());
      candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
    }
    const uint32_t* const signature = sketch.signature.values().data();
    // Counts and verifies candidate c; true if it verified.
    auto consider = [&](DocIndex c) {
      // A copy's entries are stale ones from before it became a copy: its representative
      // stands for it.
      if (!alive(c) || copies_.IsCopy(c)) return false;
      // LshIndex's rare key collisions are not candidates (as in a batch run's band join).
      if (!SharesBand(sig(c), signature, lsh_params_)) return false;
      m.candidates.push_back(c);
      // (earlier, later), as Clusterer verifies.
      const PairEstimate e = EstimatePair(sig(c), slots_[c].num_shingles, signature, sketch.num_shingles, k);
      if (Classify(e, slots_[c].num_shingles, sketch.num_shingles, params_.match) == MatchKind::kNone) return false;
      m.verified.push_back(c);
      scratch->matched.push_back(slots_[c].cluster);
      if (m.copy_of < 0 &&
          internal::IsCopyPair(sig(c), slots_[c].num_shingles, signature, sketch.num_shingles, k, params_.match)) {
        m.copy_of = c;
      }
      return true;
    };
    for (DocIndex c : candidates) consider(c);
    if (large.empty()) return;
    // Hot keys: each group (one cluster) until a member verifies; none of a cluster
    // that matched already.
    for (const LshIndex::KeyRef& key : large) {
      auto it = hot_.find(HotCode(key));
      if (it == hot_.end()) continue;
      for (const std::vector<DocIndex>& group : it->second.groups) {
        int64_t cluster = 0;
        for (DocIndex d : group) {
          if (alive(d)) {
            cluster = slots_[d].cluster;
            break;
          }
        }
        if (cluster == 0 ||
            std::find(scratch->matched.begin(), scratch->matched.end(), cluster) != scratch->matched.end()) {
          continue;
        }
        for (DocIndex d : group) {
          if (consider(d)) break;
        }
      }
    }
    for (std::vector<DocIndex>* v : {&m.candidates, &m.verified}) {  // A document in several keys, once.
      std::sort(v->begin(), v->end());
      v->erase(std::unique(v->begin(), v->end()), v->end());
    }
  };
  const int threads = options_.threads > 0 ? options_.threads : tbb::info::default_concurrency();
  if (threads <= 1 || sketches.size() < 2) {
    Scratch scratch;
    for (size_t i = 0; i < sketches.size(); ++i) match(i, &scratch);
    return;
  }
  tbb::enumerable_thread_specific<Scratch> scratch;
  tbb::task_arena arena(threads);
  arena.execute([&] {
    tbb::parallel_for(tbb::blocked_range<size_t>(0, sketches.size(), 1), [&](const tbb::blocked_range<size_t>& r) {
      Scratch& local = scratch.local();
      for (size_t i = r.begin(); i != r.end(); ++i) match(i, &local);
    });
  });
}


// -----------------------------------------------------------------------------------
// Opening and creating.

IngestIndex::IngestIndex(std::string path, IngestOptions options)
    : path_(std::move(path)), options_(std::move(options)) {}

IngestIndex::~IngestIndex() = default;

int64_t IngestIndex::Now() const {
  return options_.clock ? options_.clock() : SystemNow();
}

absl::StatusOr<std::unique_ptr<IngestIndex>> IngestIndex::Create(const std::string& path,
                                                                 const IngestOptions& options) {
  if (options.read_only) return absl::InvalidArgumentError("cannot create an index read-only");
  DEDUP_RETURN_IF_ERROR(ValidateThreads(options.threads));
  const IndexParams params = options.params.value_or(IndexParams{});
  DEDUP_RETURN_IF_ERROR(ValidateParams(params));
  DEDUP_ASSIGN_OR_RETURN(const LshParams lsh, ResolveLsh(params));
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0) {
    return absl::AlreadyExistsError(absl::StrFormat("%s: already exists; open it, or remove it first", path));
  }
  // Build under a temporary name in the same folder, then link() into place: `path`
  // never holds a half-created index, and an index created meanwhile is not clobbered.
  std::random_device rd;
  const std::string temp = absl::StrFormat("%s.creating-%d-%08x", path, ::getpid(), rd());
  auto cleanup = [&] {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) ::unlink((temp + suffix).c_str());
  };
  absl::Status status = [&]() -> absl::Status {
    DEDUP_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db,
                           SqliteDb::Open(temp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_EXRESCODE));
    DEDUP_RETURN_IF_ERROR(db->Exec(absl::StrFormat("PRAGMA application_id = %d; PRAGMA user_version = %d;",
                                                   static_cast<int32_t>(kIngestApplicationId), kIngestFormatVersion),
                                   "creating the index"));
    DEDUP_ASSIGN_OR_RETURN(std::string mode, db->QueryText("PRAGMA journal_mode = WAL"));
    if (mode != "wal") {
      return absl::FailedPreconditionError(
          absl::StrFormat("%s: the file system does not support SQLite's WAL mode (journal mode %s)", path, mode));
    }
    DEDUP_RETURN_IF_ERROR(db->Exec("PRAGMA synchronous = FULL", "creating the index"));
    DEDUP_ASSIGN_OR_RETURN(SqliteTransaction txn, SqliteTransaction::Begin(db.get(), true));
    DEDUP_RETURN_IF_ERROR(db->Exec(kIndexSchema, "creating the index"));
    std::map<std::string, std::string> meta = ParamsMeta(params, lsh);
    meta["created_by"] = std::string("dedup ") + kVersion;
    meta["created_at"] = std::to_string(options.clock ? options.clock() : SystemNow());
    meta["next_seq"] = "1";
    meta["next_cluster"] = "1";
    meta["candidate_pairs"] = "0";
    meta["verified_pairs"] = "0";
    meta["chrome_documents"] = "0";
    meta["chrome_digest"] = Hex64(ChromeStream(params.chrome).Digest());
    meta["checksum"] = Hex64(MetaChecksum(meta));
    DEDUP_ASSIGN_OR_RETURN(SqliteStatement ins, db->Prepare("INSERT INTO meta(key, value) VALUES(?, ?)"));
    for (const auto& [k, v] : meta) {
      ins.BindText(1, k);
      ins.BindText(2, v);
      DEDUP_RETURN_IF_ERROR(ins.Run());
    }
    DEDUP_RETURN_IF_ERROR(txn.Commit());
    ins = SqliteStatement();
    db.reset();  // Closing checkpoints the WAL into the file and deletes it.
    DEDUP_RETURN_IF_ERROR(internal::FsyncPath(temp, /*directory=*/false));
    if (::link(temp.c_str(), path.c_str()) != 0) {
      if (errno == EEXIST) {
        return absl::AlreadyExistsError(absl::StrFormat("%s: already exists; open it, or remove it first", path));
      }
      return absl::UnavailableError(absl::StrFormat("%s: cannot create: %s", path, std::strerror(errno)));
    }
    // Until the folder is fsynced the new name may not survive a crash. If that fails,
    // take the name back (the link above made it ours): a failed Create leaves nothing,
    // so that a retry does not find an index that "already exists".
    absl::Status synced = internal::FsyncParentFolder(path);
    if (!synced.ok()) ::unlink(path.c_str());
    return synced;
  }();
  cleanup();
  if (!status.ok()) return status;
  IngestOptions open_options = options;
  open_options.params = params;
  return Open(path, open_options);
}

absl::StatusOr<std::unique_ptr<IngestIndex>> IngestIndex::Open(const std::string& path,
                                                               const IngestOptions& options) {
  DEDUP_RETURN_IF_ERROR(ValidateThreads(options.threads));
  DEDUP_RETURN_IF_ERROR(CheckFileHeader(path));
  std::unique_ptr<IngestIndex> index(new IngestIndex(path, options));
  if (options.read_only) {
    DEDUP_ASSIGN_OR_RETURN(index->db_, OpenForReading(path, &index->immutable_));
  } else {
    DEDUP_ASSIGN_OR_RETURN(index->db_, SqliteDb::Open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_EXRESCODE));
  }
  if (!options.read_only && index->db_->read_only()) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s: the index is read-only (no write permission, or a read-only file system); open it read-only", path));
  }
  DEDUP_RETURN_IF_ERROR(index->ConfigureConnection());
  DEDUP_RETURN_IF_ERROR(index->Load());
  return index;
}

absl::Status IngestIndex::ConfigureConnection() {
  SqliteDb* db = db_.get();
  // Another process committing holds the write lock for milliseconds; wait, don't fail.
  DEDUP_RETURN_IF_ERROR(db->Exec("PRAGMA busy_timeout = 10000", "configuring the connection"));
  DEDUP_ASSIGN_OR_RETURN(std::string mode, db->QueryText("PRAGMA journal_mode"));
  if (mode != "wal" && !immutable_) {  // OpenForReading checked an immutable one's header.
    return absl::DataLossError(absl::StrFormat("%s: journal mode is %s, expected wal", path_, mode));
  }
  DEDUP_RETURN_IF_ERROR(db->Exec(options_.durability == Durability::kFull ? "PRAGMA synchronous = FULL"
                                                                          : "PRAGMA synchronous = NORMAL",
                                 "configuring the connection"));
  // After a large batch, shrink the WAL back to 64 MiB at the next checkpoint.
  DEDUP_RETURN_IF_ERROR(db->Exec("PRAGMA journal_size_limit = 67108864; PRAGMA cache_size = -65536",
                                 "configuring the connection"));
  if (options_.max_file_bytes > 0) {
    DEDUP_ASSIGN_OR_RETURN(int64_t page_size, db->QueryInt("PRAGMA page_size"));
    const int64_t pages = std::max<int64_t>(1, options_.max_file_bytes / page_size);
    DEDUP_RETURN_IF_ERROR(db->Exec(absl::StrFormat("PRAGMA max_page_count = %d", pages), "configuring the connection"));
  }
  return absl::OkStatus();
}

absl::Status IngestIndex::Load() {
  const auto start = std::chrono::steady_clock::now();
  SqliteDb* db = db_.get();
  // One read transaction: a consistent snapshot even while another process writes.
  DEDUP_ASSIGN_OR_RETURN(SqliteTransaction txn, SqliteTransaction::Begin(db, false));
  // The format version first: an older file's schema differs, and deserves the clearer message.
  {
    absl::StatusOr<std::map<std::string, std::string>> early = ReadMeta(db);
    if (early.ok()) DEDUP_RETURN_IF_ERROR(CheckMetaCompatible(db, *early));
  }
  DEDUP_RETURN_IF_ERROR(CheckIndexSchema(db));
  DEDUP_ASSIGN_OR_RETURN(auto meta, ReadMeta(db));
  DEDUP_RETURN_IF_ERROR(CheckMetaCompatible(db, meta));
  IndexParams stored;
  LshParams stored_lsh;
  DEDUP_RETURN_IF_ERROR(ParseParamsMeta(path_, meta, &stored, &stored_lsh));
  // The description this build computes for the stored options must be the stored one:
  // otherwise (e.g. a new normalization version) new signatures would not be comparable.
  const std::string described = DescribeSketchOptions(stored.sketch);
  if (described != meta["sketch"]) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s: the index was built with sketch \"%s\" but this dedup computes \"%s\" for the same options: "
        "signatures would not be comparable; rebuild the index",
        path_, meta["sketch"], described));
  }
  if (meta["fingerprint"] != Hex64(SketchFingerprint(stored.sketch))) {
    return absl::DataLossError(absl::StrFormat("%s: stored fingerprint %s does not match the sketch description (%s)",
                                               path_, meta["fingerprint"], Hex64(SketchFingerprint(stored.sketch))));
  }
  params_ = stored;
  lsh_params_ = stored_lsh;
  if (options_.params.has_value()) DEDUP_RETURN_IF_ERROR(CheckParams(*options_.params));
  sketch_description_ = described;
  fingerprint_ = SketchFingerprint(stored.sketch);
  DEDUP_ASSIGN_OR_RETURN(Sketcher sketcher, Sketcher::Create(params_.sketch));
  sketcher_.emplace(std::move(sketcher));
  auto counter = [&](const char* key, int64_t min, int64_t* out) -> absl::Status {
    if (!ParseInt64(meta[key], out) || *out < min) {
      return absl::DataLossError(absl::StrFormat("%s: index metadata \"%s\" has a bad value \"%s\"", path_, key, meta[key]));
    }
    return absl::OkStatus();
  };
  DEDUP_RETURN_IF_ERROR(counter("next_seq", 1, &next_seq_));
  DEDUP_RETURN_IF_ERROR(counter("next_cluster", 1, &next_cluster_));
  DEDUP_RETURN_IF_ERROR(counter("candidate_pairs", 0, &candidate_pairs_));
  DEDUP_RETURN_IF_ERROR(counter("verified_pairs", 0, &verified_pairs_));

  const int k = params_.sketch.num_perm;
  DEDUP_ASSIGN_OR_RETURN(lsh_, LshIndex::Create(lsh_params_, k));
  // The chrome history is replayed on a thread of its own while this one reads the
  // documents and rebuilds the band tables: the two are independent. Both step their
  // own statements on this connection inside the read transaction (SQLite serializes
  // the calls; the work between them runs in parallel). Joined on every return path.
  absl::Status replayed;
  std::thread replay([this, db, &replayed] { replayed = ReplayChrome(db); });
  struct Join {
    std::thread& t;
    ~Join() {
      if (t.joinable()) t.join();
    }
  } join{replay};
  auto corrupt = [&](const std::string& what) {
    return absl::DataLossError(absl::StrFormat("%s: corrupt index: %s (run `dedup index verify`)", path_, what));
  };
  {
    // Sized once from the row count: growing by doubling row by row would leave up to
    // as much again of spare capacity (up to K * 4 bytes per document of signatures).
    DEDUP_ASSIGN_OR_RETURN(SqliteStatement count, db->Prepare("SELECT count(*) FROM documents"));
    DEDUP_ASSIGN_OR_RETURN(bool has_row, count.Step());
    const int64_t rows = has_row ? count.ColumnInt(0) : 0;
    if (rows > 0 && rows < int64_t{UINT32_MAX}) {
      const size_t n = static_cast<size_t>(rows);
      slots_.reserve(n);
      ids_.reserve(n);
      signatures_.reserve(n * static_cast<size_t>(k));
      by_id_.reserve(n);
    }
  }
  {
    DEDUP_ASSIGN_OR_RETURN(SqliteStatement st,
                           db->Prepare("SELECT seq, id, cluster, num_shingles, published, inserted, checksum, "
                                       "signature, text_hash FROM documents ORDER BY seq"));
    std::string scratch;
    int64_t last_seq = 0;
    // Copy classes (internal/copy_classes.h): a document joins the earliest one with its
    // sketch, in its cluster (as every copy is in a consistent file).
    absl::flat_hash_map<uint64_t, DocIndex> first_with_key;
    while (true) {
      DEDUP_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      Slot s;
      s.seq = st.ColumnInt(0);
      const std::string_view id = st.ColumnText(1);
      s.cluster = st.ColumnInt(2);
      const int64_t n = st.ColumnInt(3);
      s.published = st.ColumnIsNull(4) ? kNoTime : st.ColumnInt(4);
      s.inserted = st.ColumnInt(5);
      const int64_t checksum = st.ColumnInt(6);
      const std::string_view blob = st.ColumnBlob(7);
      s.text_hash = st.ColumnInt(8);
      if (s.seq <= last_seq || s.seq >= next_seq_) {
        return corrupt(absl::StrFormat("document seq %d out of order or past next_seq %d", s.seq, next_seq_));
      }
      last_seq = s.seq;
      if (blob.size() != 4 * static_cast<size_t>(k)) {
        return corrupt(absl::StrFormat("document seq %d has a %d-byte signature, expected %d", s.seq, blob.size(), 4 * k));
      }
      if (n < 0 || n > UINT32_MAX) return corrupt(absl::StrFormat("document seq %d: num_shingles %d", s.seq, n));
      s.num_shingles = static_cast<uint32_t>(n);
      const size_t offset = signatures_.size();
      signatures_.resize(offset + k);
      ReadSignatureLe(blob, &signatures_[offset]);
      if (DocumentChecksum(s.seq, id, s.num_shingles, s.published, s.inserted, &signatures_[offset], k, s.text_hash,
                           &scratch) != checksum) {
        return corrupt(absl::StrFormat("document seq %d (id \"%s\") fails its checksum", s.seq, std::string(id)));
      }
      if (s.cluster < 1 || s.cluster >= next_cluster_) {
        return corrupt(absl::StrFormat("document \"%s\" is in cluster %d, outside [1, %d)", std::string(id), s.cluster,
                                       next_cluster_));
      }
      const DocIndex slot = static_cast<DocIndex>(slots_.size());
      if (by_id_.contains(id)) return corrupt(absl::StrFormat("id \"%s\" is stored twice", std::string(id)));
      slots_.push_back(s);
      ids_.emplace_back(id);
      by_id_.insert(slot);
      clusters_[s.cluster].members.push_back(slot);
      const DocIndex rep = internal::FirstCopyOf(
          slot, &first_with_key, k, params_.match, [&](DocIndex d) { return sig(d); },
          [&](DocIndex d) { return slots_[d].num_shingles; });
      if (rep != slot && slots_[rep].cluster == s.cluster) {
        copies_.Add(rep, slot);
        continue;
      }
      lsh_->Insert(slot, SketchOf(slot));
    }
  }
  live_ = static_cast<int64_t>(slots_.size());
  BuildHotKeys();
  {
    DEDUP_ASSIGN_OR_RETURN(SqliteStatement st, db->Prepare("SELECT id, canonical, size, created FROM clusters"));
    int64_t rows = 0;
    while (true) {
      DEDUP_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      ++rows;
      const int64_t id = st.ColumnInt(0), canonical_seq = st.ColumnInt(1), size = st.ColumnInt(2);
      auto it = clusters_.find(id);
      if (it == clusters_.end()) return corrupt(absl::StrFormat("cluster %d has no documents", id));
      ClusterState& c = it->second;
      if (size != static_cast<int64_t>(c.members.size())) {
        return corrupt(absl::StrFormat("cluster %d has size %d but %d documents", id, size, c.members.size()));
      }
      c.created = st.ColumnInt(3);
      DocIndex best = c.members[0];
      for (DocIndex m : c.members) {
        const Slot &x = slots_[m], &y = slots_[best];
        if (CanonicalBefore({x.published, x.seq, x.num_shingles}, {y.published, y.seq, y.num_shingles}, params_.canonical)) best = m;
      }
      if (slots_[best].seq != canonical_seq) {
        return corrupt(absl::StrFormat("cluster %d names canonical seq %d, the rule gives seq %d", id, canonical_seq,
                                       slots_[best].seq));
      }
      c.canonical = best;
    }
    if (rows != static_cast<int64_t>(clusters_.size())) {
      return corrupt(absl::StrFormat("%d clusters have documents but %d have rows", clusters_.size(), rows));
    }
  }
  DEDUP_ASSIGN_OR_RETURN(merge_events_, db->QueryInt("SELECT COUNT(*) FROM merges WHERE kind = 'merge'"));
  DEDUP_ASSIGN_OR_RETURN(split_events_, db->QueryInt("SELECT COUNT(*) FROM merges WHERE kind = 'split'"));
  DEDUP_ASSIGN_OR_RETURN(next_event_seq_, db->QueryInt("SELECT COALESCE(MAX(seq), 0) + 1 FROM merges"));
  replay.join();
  DEDUP_RETURN_IF_ERROR(replayed);
  {
    int64_t counted = 0;
    uint64_t digest = 0;
    if (!ParseInt64(meta["chrome_documents"], &counted) || !ParseUint64Hex(meta["chrome_digest"], &digest)) {
      return corrupt("meta chrome_documents / chrome_digest are malformed");
    }
    if (static_cast<uint64_t>(counted) != chrome_->documents() || digest != chrome_->Digest()) {
      return corrupt(absl::StrFormat(
          "the chrome model replayed from %d stored documents (digest %s) is not the one recorded (%d, %s)",
          chrome_->documents(), Hex64(chrome_->Digest()), counted, meta["chrome_digest"]));
    }
  }
  DEDUP_ASSIGN_OR_RETURN(data_version_, db->QueryInt("PRAGMA data_version"));
  DEDUP_RETURN_IF_ERROR(txn.Commit());
  load_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return absl::OkStatus();
}

absl::Status IngestIndex::CheckParams(const IndexParams& expected) const {
  DEDUP_RETURN_IF_ERROR(ValidateParams(expected));
  DEDUP_ASSIGN_OR_RETURN(LshParams expected_lsh, ResolveLsh(expected));
  const std::string diff = DiffParams(params_, lsh_params_, expected, expected_lsh);
  if (!diff.empty()) {
    return absl::FailedPreconditionError(
        absl::StrFormat("%s: the index was created with other parameters: %s", path_, diff));
  }
  return absl::OkStatus();
}

SketchedDocument IngestIndex::SketchOf(DocIndex slot) const {
  const int k = params_.sketch.num_perm;
  SketchedDocument d;
  d.signature = Signature(std::vector<uint32_t>(sig(slot), sig(slot) + k), fingerprint_);
  d.num_shingles = slots_[slot].num_shingles;
  return d;
}

// -----------------------------------------------------------------------------------
// Check-and-insert and query.

// Runs fn(i, scratch) for i in [0, n) on options_.threads threads.
template <typename Scratch, typename Fn>
void ForEachParallel(int threads_option, size_t n, Fn fn) {
  const int threads = threads_option > 0 ? threads_option : tbb::info::default_concurrency();
  if (threads <= 1 || n < 2) {
    Scratch scratch;
    for (size_t i = 0; i < n; ++i) fn(i, &scratch);
    return;
  }
  tbb::enumerable_thread_specific<Scratch> scratch;
  tbb::task_arena arena(threads);
  arena.execute([&] {
    tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 1), [&](const tbb::blocked_range<size_t>& r) {
      Scratch& s = scratch.local();
      for (size_t i = r.begin(); i != r.end(); ++i) fn(i, &s);
    });
  });
}

absl::Status IngestIndex::PrepareAll(absl::Span<const Document> docs, std::vector<Prepared>* out,
                                     size_t* failed) const {
  out->clear();
  out->resize(docs.size());
  std::vector<absl::Status> errors(docs.size());
  const bool chrome = params_.chrome.enabled;
  ForEachParallel<int>(options_.threads, docs.size(), [&](size_t i, int*) {
    if (docs[i].id.empty()) {
      errors[i] = absl::InvalidArgumentError("a document has an empty id");
      return;
    }
    Prepared& p = (*out)[i];
    absl::Status st = Tokenize(docs[i].text, &p.tokens);
    if (!st.ok()) {
      errors[i] = absl::InvalidArgumentError(absl::StrFormat("document \"%s\": %s", docs[i].id, st.message()));
      return;
    }
    if (chrome) p.keys = ComputeLineKeys(p.tokens);
    p.source_key = SourceKey(docs[i].source);
    p.text_hash = TextHash(docs[i].text);
  });
  for (size_t i = 0; i < docs.size(); ++i) {
    if (!errors[i].ok()) {
      if (failed != nullptr) *failed = i;
      return errors[i];
    }
  }
  return absl::OkStatus();
}

void IngestIndex::SignAll(const std::vector<Prepared>& prepared, const std::vector<size_t>& which,
                          std::vector<SketchedDocument>* out) const {
  struct Scratch {
    SketchScratch sketch;
    TokenizedText kept;
  };
  ForEachParallel<Scratch>(options_.threads, which.size(), [&](size_t w, Scratch* scratch) {
    const size_t i = which[w];
    const Prepared& p = prepared[i];
    const TokenizedText* tokens = &p.tokens;
    if (params_.chrome.enabled && chrome_->chrome_lines() > 0) {
      const int dropped = StripLines(
          p.tokens, [&](size_t l) { return chrome_->IsChrome(p.source_key, p.keys.lines[l]); }, &scratch->kept);
      if (dropped > 0) tokens = &scratch->kept;
    }
    sketcher_->SketchTokens(*tokens, /*keep_shingles=*/false, &scratch->sketch, &(*out)[i]);
  });
}

absl::Status IngestIndex::ReplayChrome(SqliteDb* db) {
  auto stream = std::make_unique<ChromeStream>(params_.chrome);
  DEDUP_ASSIGN_OR_RETURN(SqliteStatement st, db->Prepare("SELECT seq, source, keys, checksum FROM lines ORDER BY seq"));
  std::string scratch;
  while (true) {
    DEDUP_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    const int64_t seq = st.ColumnInt(0);
    const uint64_t source = static_cast<uint64_t>(st.ColumnInt(1));
    const std::string_view blob = st.ColumnBlob(2);
    if (LinesChecksum(seq, source, blob, &scratch) != st.ColumnInt(3)) {
      return absl::DataLossError(absl::StrFormat(
          "%s: corrupt index: the chrome history of document seq %d fails its checksum (run `dedup index verify`)",
          path_, seq));
    }
    absl::StatusOr<LineKeys> keys = ParseLineKeys(blob);
    if (!keys.ok()) {
      return absl::DataLossError(absl::StrFormat("%s: corrupt index: document seq %d: %s", path_, seq,
                                                 keys.status().message()));
    }
    stream->Add(source, *keys, static_cast<uint64_t>(seq));
  }
  chrome_ = std::move(stream);
  return absl::OkStatus();
}

absl::Status IngestIndex::CheckWritable() const {
  if (options_.read_only) {
    return absl::FailedPreconditionError(absl::StrFormat("%s: the index was opened read-only", path_));
  }
  if (broken_) {
    return absl::FailedPreconditionError(
        absl::StrFormat("%s: an earlier write failed with an I/O error; reopen the index", path_));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<CheckResult>> IngestIndex::CheckAndInsert(absl::Span<const Document> docs,
                                                                     size_t* failed) {
  if (failed != nullptr) *failed = docs.size();
  std::lock_guard<std::mutex> writer(writer_mu_);
  DEDUP_RETURN_IF_ERROR(CheckWritable());
  std::vector<Prepared> prepared;
  DEDUP_RETURN_IF_ERROR(PrepareAll(docs, &prepared, failed));

  // Replays and conflicting ids, before anything is counted: only new documents enter
  // the chrome model, and a batch with a conflict changes nothing. (by_id_ and slots_
  // change only under writer_mu_, which this thread holds.)
  std::vector<size_t> fresh;
  {
    absl::flat_hash_map<std::string_view, int64_t> pending;
    for (size_t i = 0; i < docs.size(); ++i) {
      int64_t known_hash = 0;
      bool known = false;
      if (auto it = by_id_.find(std::string_view(docs[i].id)); it != by_id_.end()) {
        known = true;
        known_hash = slots_[*it].text_hash;
      } else if (auto pt = pending.find(docs[i].id); pt != pending.end()) {
        known = true;
        known_hash = pt->second;
      }
      if (!known) {
        pending.emplace(docs[i].id, prepared[i].text_hash);
        fresh.push_back(i);
      } else if (known_hash != prepared[i].text_hash) {
        if (failed != nullptr) *failed = i;
        return absl::AlreadyExistsError(absl::StrFormat(
            "document \"%s\": this id is already in the index with a different text", docs[i].id));
      }
    }
  }
  // Count the new documents into the chrome model, in order (readers wait). Lines that
  // became chrome are left out of every stored document that holds them: those are
  // re-signed and their clusters re-examined (readers wait until the batch committed,
  // so they never see a re-examination that is not durable). Then the new documents
  // are signed with the model as it now stands and planned.
  std::vector<uint64_t> holders;  // Seqs of documents holding a line made chrome.
  size_t cause = docs.size();
  std::unique_lock<std::shared_mutex> exclusive(state_mu_);
  for (size_t w = 0; w < fresh.size(); ++w) {
    const size_t i = fresh[w];
    const int64_t seq = next_seq_ + static_cast<int64_t>(w);  // The seq Planner gives it.
    if (chrome_->Add(prepared[i].source_key, prepared[i].keys, static_cast<uint64_t>(seq), nullptr, &holders) > 0 &&
        cause == docs.size()) {
      cause = i;
    }
  }
  std::unique_ptr<Reexamination> region;
  if (!holders.empty()) {
    std::sort(holders.begin(), holders.end());
    holders.erase(std::unique(holders.begin(), holders.end()), holders.end());
    std::vector<DocIndex> affected;
    for (uint64_t seq : holders) {  // Documents of this batch are not stored yet: skipped.
      const int64_t slot = SlotOfSeq(static_cast<int64_t>(seq));
      if (slot >= 0 && alive(static_cast<DocIndex>(slot))) affected.push_back(static_cast<DocIndex>(slot));
    }
    if (!affected.empty()) {
      region = std::make_unique<Reexamination>();
      absl::Status st = PlanReexamination(affected, docs[cause].id, region.get());
      if (!st.ok()) {
        exclusive.unlock();
        RecoverChrome();
        return st;
      }
      ApplyReexamination(*region);
    }
  }
  if (region == nullptr) exclusive.unlock();  // The stored state is unchanged: readers may run.
  std::vector<SketchedDocument> sketches(docs.size());
  InsertPlan plan;
  {
    std::shared_lock<std::shared_mutex> read(state_mu_, std::defer_lock);
    if (region == nullptr) read.lock();
    SignAll(prepared, fresh, &sketches);
    plan.now = Now();
    plan.next_seq = next_seq_;
    plan.next_cluster = next_cluster_;
    plan.next_event_seq = next_event_seq_;
    if (docs.size() > 1) {
      DEDUP_ASSIGN_OR_RETURN(plan.batch_lsh, LshIndex::Create(lsh_params_, params_.sketch.num_perm));
    }
    std::vector<StoredMatches> stored;
    MatchStored(sketches, &stored);
    Planner planner(*this, &plan);
    for (size_t i = 0; i < docs.size(); ++i) {
      absl::Status st = planner.Add(docs[i], prepared[i], std::move(sketches[i]), stored[i]);
      if (!st.ok()) {  // Not expected: conflicts were found above.
        if (failed != nullptr) *failed = i;
        if (read.owns_lock()) read.unlock();
        if (exclusive.owns_lock()) exclusive.unlock();
        if (region != nullptr) {
          ReloadAll();
        } else {
          RecoverChrome();
        }
        return st;
      }
    }
  }
  if (plan.docs.empty()) return std::move(plan.results);  // Replays only: nothing to write.
  absl::Status st = CommitInsert(plan, region.get());
  if (exclusive.owns_lock()) exclusive.unlock();
  if (!st.ok()) {
    if (absl::IsUnavailable(st) || absl::IsDataLoss(st) || absl::IsInternal(st)) broken_ = true;
    if (region != nullptr) {
      ReloadAll();
    } else {
      RecoverChrome();
    }
    return st;
  }
  ApplyInsert(plan);
  if (stale_lsh_ > live_) {  // Re-signed documents' old bands outnumber the live ones.
    std::unique_lock<std::shared_mutex> write(state_mu_);
    RebuildLsh();
  }
  return std::move(plan.results);
}

void IngestIndex::RecoverChrome() {
  // The batch was counted but not committed: the model goes back to the stored history.
  std::unique_lock<std::shared_mutex> write(state_mu_);
  if (!ReplayChrome(db_.get()).ok()) broken_ = true;
}

absl::StatusOr<CheckResult> IngestIndex::CheckAndInsert(const Document& doc) {
  DEDUP_ASSIGN_OR_RETURN(std::vector<CheckResult> r, CheckAndInsert(absl::MakeConstSpan(&doc, 1)));
  return std::move(r[0]);
}

absl::StatusOr<std::vector<CheckResult>> IngestIndex::Query(absl::Span<const Document> docs, size_t* failed) const {
  if (failed != nullptr) *failed = docs.size();
  std::vector<Prepared> prepared;
  DEDUP_RETURN_IF_ERROR(PrepareAll(docs, &prepared, failed));
  std::vector<CheckResult> results;
  results.reserve(docs.size());
  std::shared_lock<std::shared_mutex> read(state_mu_);
  // Each document as if it were the next insert: signed with the model as it stands
  // (its own lines not counted: a query changes nothing).
  std::vector<size_t> all(docs.size());
  for (size_t i = 0; i < docs.size(); ++i) all[i] = i;
  std::vector<SketchedDocument> sketches(docs.size());
  SignAll(prepared, all, &sketches);
  std::vector<StoredMatches> stored;
  MatchStored(sketches, &stored);
  for (size_t i = 0; i < docs.size(); ++i) {
    InsertPlan plan;  // Each document on its own, as if it were the next insert.
    plan.now = Now();
    plan.next_seq = next_seq_;
    plan.next_cluster = next_cluster_;
    plan.next_event_seq = next_event_seq_;
    Planner planner(*this, &plan);
    absl::Status st = planner.Add(docs[i], prepared[i], std::move(sketches[i]), stored[i]);
    if (!st.ok()) {
      if (failed != nullptr) *failed = i;
      return st;
    }
    results.push_back(std::move(plan.results[0]));
  }
  return results;
}

absl::StatusOr<CheckResult> IngestIndex::Query(const Document& doc) const {
  DEDUP_ASSIGN_OR_RETURN(std::vector<CheckResult> r, Query(absl::MakeConstSpan(&doc, 1)));
  return std::move(r[0]);
}


void IngestIndex::ApplyParts(const std::vector<int64_t>& gone, const std::vector<ClusterPart>& parts) {
  for (int64_t c : gone) clusters_.erase(c);
  for (const ClusterPart& p : parts) {
    ClusterState& c = clusters_[p.cluster];
    c.canonical = p.canonical;
    c.created = p.created;
    c.members = p.members;
    for (DocIndex m : p.members) slots_[m].cluster = p.cluster;
  }
}

std::vector<internal::ClusterRow> IngestIndex::RowsOf(const std::vector<ClusterPart>& parts) const {
  std::vector<ClusterRow> rows;
  for (const ClusterPart& p : parts) {
    ClusterRow& row = rows.emplace_back(
        ClusterRow{p.cluster, slots_[p.canonical].seq, static_cast<int64_t>(p.members.size()), p.created, {}});
    if (p.moved) {  // A part that keeps its id after a removal keeps its members' rows.
      for (DocIndex m : p.members) row.member_seqs.push_back(slots_[m].seq);
    }
  }
  return rows;
}

void IngestIndex::ReloadAll() {
  std::unique_lock<std::shared_mutex> write(state_mu_);
  slots_.clear();
  ids_.clear();
  signatures_.clear();
  by_id_.clear();
  clusters_.clear();
  lsh_.reset();
  copies_.Clear();
  hot_.clear();
  live_ = stale_lsh_ = 0;
  if (!Load().ok()) broken_ = true;
}

absl::Status IngestIndex::CommitInsert(const InsertPlan& plan, const Reexamination* reexamination) {
  SqliteDb* db = db_.get();
  const int k = params_.sketch.num_perm;
  DEDUP_ASSIGN_OR_RETURN(SqliteTransaction txn, BeginWrite(db, data_version_));
  if (reexamination != nullptr) DEDUP_RETURN_IF_ERROR(WriteReexamination(*reexamination));
  {
    DEDUP_ASSIGN_OR_RETURN(SqliteStatement ins,
                           db->Prepare("INSERT INTO documents(seq, id, cluster, num_shingles, published, inserted, "
                                       "checksum, signature, text_hash) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    DEDUP_ASSIGN_OR_RETURN(SqliteStatement text, db->Prepare("INSERT INTO texts(seq, source, text) VALUES(?, ?, ?)"));
    DEDUP_ASSIGN_OR_RETURN(SqliteStatement lines,
                           db->Prepare("INSERT INTO lines(seq, source, keys, checksum) VALUES(?, ?, ?, ?)"));
    std::string scratch, blob;
    for (const InsertPlan::NewDoc& d : plan.docs) {
      const uint32_t* sig = d.sketch.signature.values().data();
      ins.BindInt(1, d.seq);
      ins.BindText(2, d.id);
      ins.BindInt(3, plan.Resolve(d.cluster));
      ins.BindInt(4, d.sketch.num_shingles);
      if (d.published == kNoTime) {
        ins.BindNull(5);
      } else {
        ins.BindInt(5, d.published);
      }
      ins.BindInt(6, plan.now);
      ins.BindInt(7, DocumentChecksum(d.seq, d.id, d.sketch.num_shingles, d.published, plan.now, sig, k, d.text_hash,
                                      &scratch));
      blob.clear();
      AppendSignatureLe(sig, k, &blob);
      ins.BindBlob(8, blob.data(), blob.size());
      ins.BindInt(9, d.text_hash);
      DEDUP_RETURN_IF_ERROR(ins.Run());
      text.BindInt(1, d.seq);
      text.BindText(2, d.doc->source);
      text.BindText(3, d.doc->text);
      DEDUP_RETURN_IF_ERROR(text.Run());
      // Every counted document's line keys: the chrome model's history, replayed by Open().
      const std::string keys = SerializeLineKeys(d.prepared->keys);
      const uint64_t source = d.prepared->source_key;
      lines.BindInt(1, d.seq);
      lines.BindInt(2, static_cast<int64_t>(source));
      lines.BindBlob(3, keys.data(), keys.size());
      lines.BindInt(4, LinesChecksum(d.seq, source, keys, &scratch));
      DEDUP_RETURN_IF_ERROR(lines.Run());
    }
  }
  if (!plan.events.empty()) {
    DEDUP_ASSIGN_OR_RETURN(SqliteStatement move, db->Prepare("UPDATE documents SET cluster = ? WHERE seq = ?"));
    DEDUP_ASSIGN_OR_RETURN(SqliteStatement drop, db->Prepare("DELETE FROM clusters WHERE id = ?"));
    for (const ClusterEvent& e : plan.events) {
      auto it = clusters_.find(e.old_cluster);
      if (it == clusters_.end()) continue;  // Created by this batch: its documents are new.
      const int64_t target = plan.Resolve(e.old_cluster);
      for (DocIndex m : it->second.members) {
        move.BindInt(1, target);
        move.BindInt(2, slots_[m].seq);
        DEDUP_RETURN_IF_ERROR(move.Run());
      }
      drop.BindInt(1, e.old_cluster);
      DEDUP_RETURN_IF_ERROR(drop.Run());
    }
    DEDUP_RETURN_IF_ERROR(InsertEvents(db, plan.events));
  }
  {
    DEDUP_ASSIGN_OR_RETURN(SqliteStatement up,
                           db->Prepare("INSERT INTO clusters(id, canonical, size, created) VALUES(?1, ?2, ?3, ?4) "
                                       "ON CONFLICT(id) DO UPDATE SET canonical = ?2, size = ?3"));
    for (const auto& [id, d] : plan.drafts) {
      if (d.merged) continue;
      up.BindInt(1, id);
      up.BindInt(2, d.canonical >= 0 ? slots_[d.canonical].seq : plan.docs[PendingIndex(d.canonical)].seq);
      up.BindInt(3, d.size);
      up.BindInt(4, d.created);
      DEDUP_RETURN_IF_ERROR(up.Run());
    }
  }
  DEDUP_RETURN_IF_ERROR(WriteCounters(db, plan.next_seq, plan.next_cluster, candidate_pairs_ + plan.candidate_pairs,
                                      verified_pairs_ + plan.verified_pairs, *chrome_));
  return TimedCommit(&txn);
}

void IngestIndex::ApplyInsert(const InsertPlan& plan) {
  std::unique_lock<std::shared_mutex> write(state_mu_);
  const int k = params_.sketch.num_perm;
  const DocIndex base = static_cast<DocIndex>(slots_.size());
  // Merged clusters' stored members move first, to their final cluster.
  for (const ClusterEvent& e : plan.events) {
    auto it = clusters_.find(e.old_cluster);
    if (it == clusters_.end()) continue;
    const int64_t target = plan.Resolve(e.old_cluster);
    std::vector<DocIndex> members = std::move(it->second.members);
    clusters_.erase(it);
    ClusterState& t = clusters_[target];
    for (DocIndex m : members) {
      slots_[m].cluster = target;
      t.members.push_back(m);
    }
  }
  for (size_t i = 0; i < plan.docs.size(); ++i) {
    const InsertPlan::NewDoc& d = plan.docs[i];
    const DocIndex slot = base + static_cast<DocIndex>(i);
    const int64_t cluster = plan.Resolve(d.cluster);
    slots_.push_back(Slot{d.seq, cluster, d.published, plan.now, d.text_hash, d.sketch.num_shingles});
    ids_.push_back(d.id);
    const auto values = d.sketch.signature.values();
    signatures_.insert(signatures_.end(), values.begin(), values.begin() + k);
    by_id_.insert(slot);
    if (d.is_copy) {
      copies_.Add(d.copy_of >= 0 ? static_cast<DocIndex>(d.copy_of) : base + static_cast<DocIndex>(PendingIndex(d.copy_of)),
                  slot);
    } else {
      IndexInsert(slot, d.sketch);
    }
    clusters_[cluster].members.push_back(slot);
  }
  live_ += static_cast<int64_t>(plan.docs.size());
  for (const auto& [id, d] : plan.drafts) {
    if (d.merged) continue;
    ClusterState& c = clusters_[id];
    c.canonical = d.canonical >= 0 ? static_cast<DocIndex>(d.canonical) : base + static_cast<DocIndex>(PendingIndex(d.canonical));
    c.created = d.created;
  }
  next_seq_ = plan.next_seq;
  next_cluster_ = plan.next_cluster;
  next_event_seq_ = plan.next_event_seq;
  candidate_pairs_ += plan.candidate_pairs;
  verified_pairs_ += plan.verified_pairs;
  merge_events_ += static_cast<int64_t>(plan.events.size());
}

// -----------------------------------------------------------------------------------
// Removal and expiry.

absl::StatusOr<RemoveResult> IngestIndex::Remove(absl::Span<const std::string> ids) {
  std::lock_guard<std::mutex> writer(writer_mu_);
  DEDUP_RETURN_IF_ERROR(CheckWritable());
  std::vector<DocIndex> slots;
  std::vector<std::string> missing;
  absl::flat_hash_set<std::string_view> seen;
  for (const std::string& id : ids) {
    if (!seen.insert(id).second) continue;
    auto it = by_id_.find(std::string_view(id));
    if (it == by_id_.end()) {
      missing.push_back(id);
    } else {
      slots.push_back(*it);
    }
  }
  DEDUP_ASSIGN_OR_RETURN(RemoveResult r, RemoveSlots(std::move(slots)));
  r.missing = std::move(missing);
  return r;
}

absl::StatusOr<RemoveResult> IngestIndex::Expire(int64_t before, ExpireBy by) {
  std::lock_guard<std::mutex> writer(writer_mu_);
  DEDUP_RETURN_IF_ERROR(CheckWritable());
  std::vector<DocIndex> slots;
  for (DocIndex s = 0; s < slots_.size(); ++s) {
    if (!alive(s)) continue;
    const Slot& x = slots_[s];
    const int64_t t = by == ExpireBy::kPublished && x.published != kNoTime ? x.published : x.inserted;
    if (t < before) slots.push_back(s);
  }
  return RemoveSlots(std::move(slots));
}

// Called with writer_mu_ held.
absl::StatusOr<RemoveResult> IngestIndex::RemoveSlots(std::vector<DocIndex> slots) {
  RemovePlan plan;
  {
    std::shared_lock<std::shared_mutex> read(state_mu_);
    std::sort(slots.begin(), slots.end());
    plan.removed = slots;
    plan.result.removed = static_cast<int64_t>(slots.size());
    plan.now = Now();
    plan.next_cluster = next_cluster_;
    plan.next_event_seq = next_event_seq_;
    if (slots.empty()) return plan.result;
    // Affected clusters, each with its first removed document (for the split events).
    std::map<int64_t, DocIndex> affected;
    absl::flat_hash_set<DocIndex> removed(slots.begin(), slots.end());
    for (DocIndex s : slots) affected.emplace(slots_[s].cluster, s);  // Ascending s: keeps the first.
    // What remains of each affected cluster (ascending slots), all re-clustered in one
    // batch run: a removal only takes pairs away, so no component spans two clusters.
    struct Rest {
      int64_t cluster;
      DocIndex first_removed;
      size_t begin, end;  // In `rest`.
    };
    std::vector<Rest> rests;
    std::vector<DocIndex> rest;
    for (const auto& [cluster, first_removed] : affected) {
      const size_t begin = rest.size();
      for (DocIndex m : clusters_.at(cluster).members) {
        if (!removed.contains(m)) rest.push_back(m);
      }
      if (rest.size() == begin) {
        plan.deleted_clusters.push_back(cluster);
        continue;
      }
      std::sort(rest.begin() + static_cast<std::ptrdiff_t>(begin), rest.end());
      rests.push_back(Rest{cluster, first_removed, begin, rest.size()});
    }
    DEDUP_ASSIGN_OR_RETURN(
        const std::vector<uint32_t> root_of,
        BatchComponents(
            params_, options_.threads, rest.size(), [&](uint32_t i) -> int64_t { return copies_.RepOf(rest[i]); },
            [&](uint32_t i) { return SketchOf(rest[i]); }));
    std::vector<int> part_of(rest.size(), -1);
    for (const Rest& r : rests) {
      const ClusterState& c = clusters_.at(r.cluster);
      const size_t first_part = plan.parts.size();
      for (size_t i = r.begin; i < r.end; ++i) {
        const uint32_t root = root_of[i];
        if (part_of[root] < 0) {
          part_of[root] = static_cast<int>(plan.parts.size());
          const bool is_new = plan.parts.size() > first_part;
          const int64_t id = is_new ? plan.next_cluster++ : r.cluster;
          plan.parts.push_back(RemovePlan::Part{id, rest[i], is_new ? plan.now : c.created, {}, is_new});
          if (is_new) {
            plan.events.push_back(ClusterEvent{plan.next_event_seq++, plan.now, ClusterEvent::Kind::kSplit, r.cluster,
                                               id, ids_[r.first_removed]});
            ++plan.result.clusters_split;
          }
        }
        RemovePlan::Part& part = plan.parts[part_of[root]];
        part.members.push_back(rest[i]);
        const Slot &x = slots_[rest[i]], &y = slots_[part.canonical];
        if (CanonicalBefore({x.published, x.seq, x.num_shingles}, {y.published, y.seq, y.num_shingles}, params_.canonical)) {
          part.canonical = rest[i];
        }
      }
    }
    plan.result.clusters_deleted = static_cast<int64_t>(plan.deleted_clusters.size());
  }
  absl::Status st = CommitRemove(plan);
  if (!st.ok()) {
    if (absl::IsUnavailable(st) || absl::IsDataLoss(st) || absl::IsInternal(st)) broken_ = true;
    return st;
  }
  ApplyRemove(plan);
  return plan.result;
}

absl::Status IngestIndex::CommitRemove(const RemovePlan& plan) {
  SqliteDb* db = db_.get();
  DEDUP_ASSIGN_OR_RETURN(SqliteTransaction txn, BeginWrite(db, data_version_));
  {
    // The texts go with their documents; their rows in `lines` stay: they are the chrome
    // model's history (a removed document is not un-learned).
    DEDUP_ASSIGN_OR_RETURN(SqliteStatement del, db->Prepare("DELETE FROM documents WHERE seq = ?"));
    DEDUP_ASSIGN_OR_RETURN(SqliteStatement del_text, db->Prepare("DELETE FROM texts WHERE seq = ?"));
    for (DocIndex s : plan.removed) {
      del.BindInt(1, slots_[s].seq);
      DEDUP_RETURN_IF_ERROR(del.Run());
      del_text.BindInt(1, slots_[s].seq);
      DEDUP_RETURN_IF_ERROR(del_text.Run());
    }
    DEDUP_RETURN_IF_ERROR(WriteClusterRows(db, plan.deleted_clusters, RowsOf(plan.parts)));
  }
  DEDUP_RETURN_IF_ERROR(InsertEvents(db, plan.events));
  DEDUP_RETURN_IF_ERROR(
      WriteCounters(db, next_seq_, plan.next_cluster, candidate_pairs_, verified_pairs_, *chrome_));
  return TimedCommit(&txn);
}

void IngestIndex::ApplyRemove(const RemovePlan& plan) {
  std::unique_lock<std::shared_mutex> write(state_mu_);
  // Hot keys to regroup: those of the removed documents and of the ones moved to a new
  // cluster by a split.
  absl::flat_hash_set<uint64_t> regroup;
  HotKeysOf(plan.removed, &regroup);
  for (const ClusterPart& p : plan.parts) {
    if (p.moved) HotKeysOf(p.members, &regroup);
  }
  for (DocIndex s : plan.removed) {
    by_id_.erase(s);  // Before its id is cleared: the set hashes slots by their ids.
    std::string().swap(ids_[s]);
    slots_[s].cluster = 0;  // A tombstone: LSH may still return it; every reader skips it.
  }
  // A removed representative's earliest live copy takes its place in the LSH tables.
  std::vector<DocIndex> promoted;
  for (DocIndex s : plan.removed) {
    if (std::optional<DocIndex> p = copies_.Remove(s)) promoted.push_back(*p);
  }
  for (DocIndex p : promoted) {
    if (alive(p) && !copies_.IsCopy(p)) IndexInsert(p, SketchOf(p));
  }
  live_ -= static_cast<int64_t>(plan.removed.size());
  ApplyParts(plan.deleted_clusters, plan.parts);
  next_cluster_ = plan.next_cluster;
  next_event_seq_ = plan.next_event_seq;
  split_events_ += static_cast<int64_t>(plan.events.size());
  const int64_t dead = static_cast<int64_t>(slots_.size()) - live_;
  if (dead > live_) {
    RebuildLsh();
  } else {
    for (uint64_t code : regroup) GroupHotKey({static_cast<int>(code >> 32), static_cast<uint32_t>(code)});
  }
}

absl::Status IngestIndex::TimedCommit(SqliteTransaction* txn) {
  const auto start = std::chrono::steady_clock::now();
  absl::Status st = txn->Commit();
  commit_nanos_.fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start)
                              .count());
  commits_.fetch_add(1);
  return st;
}

// -----------------------------------------------------------------------------------
// Reading: stats, events, export.

IndexStats IngestIndex::Stats() const {
  IndexStats s;
  {
    std::shared_lock<std::shared_mutex> read(state_mu_);
    s.documents = live_;
    s.chrome_lines = static_cast<int64_t>(chrome_->chrome_lines());
    s.chrome_history = static_cast<int64_t>(chrome_->documents());
    s.exact_copies = copies_.copies();
    s.hot_keys = static_cast<int64_t>(hot_.size());
    s.commits = commits_.load();
    s.commit_sync_seconds = static_cast<double>(commit_nanos_.load()) * 1e-9;
    s.clusters = static_cast<int64_t>(clusters_.size());
    for (const auto& [id, c] : clusters_) s.duplicate_clusters += c.members.size() > 1;
    s.duplicates = s.documents - s.clusters;
    s.merges = merge_events_;
    s.splits = split_events_;
    s.next_cluster = next_cluster_;
    s.candidate_pairs = candidate_pairs_;
    s.verified_pairs = verified_pairs_;
    bool first = true;
    for (DocIndex i = 0; i < slots_.size(); ++i) {
      if (!alive(i)) continue;
      const Slot& x = slots_[i];
      s.empty_documents += x.num_shingles == 0;
      if (first || x.inserted < s.oldest_inserted) s.oldest_inserted = x.inserted;
      if (first || x.inserted > s.newest_inserted) s.newest_inserted = x.inserted;
      first = false;
      if (x.published != kNoTime) {
        if (s.oldest_published == kNoTime || x.published < s.oldest_published) s.oldest_published = x.published;
        if (s.newest_published == kNoTime || x.published > s.newest_published) s.newest_published = x.published;
      }
    }
  }
  struct stat st;
  if (::stat(path_.c_str(), &st) == 0) s.file_bytes = st.st_size;
  if (::stat((path_ + "-wal").c_str(), &st) == 0) s.wal_bytes = st.st_size;
  s.load_seconds = load_seconds_;
  s.lsh = lsh_params_;
  s.sketch_description = sketch_description_;
  s.params = params_;
  return s;
}

absl::StatusOr<std::vector<ClusterEvent>> IngestIndex::ClusterEvents(std::optional<int64_t> cluster) const {
  std::lock_guard<std::mutex> writer(writer_mu_);
  std::string sql = "SELECT seq, time, kind, old_cluster, new_cluster, document FROM merges";
  if (cluster.has_value()) sql += " WHERE old_cluster = ?1 OR new_cluster = ?1";
  sql += " ORDER BY seq";
  DEDUP_ASSIGN_OR_RETURN(SqliteStatement st, db_->Prepare(sql));
  if (cluster.has_value()) st.BindInt(1, *cluster);
  std::vector<ClusterEvent> events;
  while (true) {
    DEDUP_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    ClusterEvent e;
    e.seq = st.ColumnInt(0);
    e.time = st.ColumnInt(1);
    e.kind = st.ColumnText(2) == "split" ? ClusterEvent::Kind::kSplit : ClusterEvent::Kind::kMerge;
    e.old_cluster = st.ColumnInt(3);
    e.new_cluster = st.ColumnInt(4);
    e.document = std::string(st.ColumnText(5));
    events.push_back(std::move(e));
  }
  return events;
}

ClusterResult IngestIndex::ExportClusters(bool dense_ids) const {
  std::shared_lock<std::shared_mutex> read(state_mu_);
  const int k = params_.sketch.num_perm;
  ClusterResult r;
  std::vector<DocIndex> order;  // Live slots in insertion order.
  order.reserve(live_);
  std::vector<DocIndex> position(slots_.size(), 0);
  for (DocIndex s = 0; s < slots_.size(); ++s) {
    if (!alive(s)) continue;
    position[s] = static_cast<DocIndex>(order.size());
    order.push_back(s);
  }
  // Clusters numbered by their first document; without dense_ids, labelled with their
  // stable ids (ClusterResult::cluster_ids). Sized by the live clusters, not the ids issued.
  absl::flat_hash_map<int64_t, uint32_t> number;  // Stable id -> cluster number.
  number.reserve(clusters_.size());
  r.clusters.reserve(clusters_.size());
  r.documents.reserve(order.size());
  for (DocIndex s : order) {
    const Slot& x = slots_[s];
    auto [it, inserted] = number.emplace(x.cluster, static_cast<uint32_t>(r.clusters.size()));
    if (inserted) {
      r.clusters.emplace_back();
      if (!dense_ids) r.cluster_ids.push_back(x.cluster);
    }
    const uint32_t n = it->second;
    r.clusters[n].push_back(position[s]);
    DocumentResult d;
    d.id = ids_[s];
    d.cluster = n;
    d.published = x.published;
    d.num_shingles = x.num_shingles;
    const DocIndex rep = clusters_.at(x.cluster).canonical;
    d.representative = position[rep];
    if (rep == s) {
      d.similarity = d.containment = 1.0;
      d.relation = Relation::kRepresentative;
    } else {
      ++r.stats.duplicates;
      const PairEstimate e = EstimatePair(sig(s), x.num_shingles, sig(rep), slots_[rep].num_shingles, k);
      d.similarity = e.jaccard;
      d.containment = e.a_in_b;
      switch (Classify(e, x.num_shingles, slots_[rep].num_shingles, params_.match)) {
        case MatchKind::kSimilar: d.relation = Relation::kSimilar; break;
        case MatchKind::kAContainedInB: d.relation = Relation::kExcerpt; break;
        case MatchKind::kBContainedInA: d.relation = Relation::kExtends; break;
        case MatchKind::kNone: d.relation = Relation::kLinked; break;
      }
    }
    r.stats.empty_documents += x.num_shingles == 0;
    r.documents.push_back(std::move(d));
  }
  r.stats.documents = static_cast<int64_t>(r.documents.size());
  r.stats.clusters = static_cast<int64_t>(clusters_.size());
  for (const auto& [id, c] : clusters_) r.stats.duplicate_clusters += c.members.size() > 1;
  r.stats.candidate_pairs = candidate_pairs_;
  r.stats.verified_pairs = verified_pairs_;
  r.lsh = lsh_params_;
  return r;
}

std::optional<StoredDocument> IngestIndex::FindDocument(std::string_view id) const {
  std::shared_lock<std::shared_mutex> read(state_mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return std::nullopt;
  const Slot& x = slots_[*it];
  StoredDocument d;
  d.id = ids_[*it];
  d.cluster = x.cluster;
  d.canonical = ids_[clusters_.at(x.cluster).canonical];
  d.published = x.published;
  d.inserted = x.inserted;
  d.num_shingles = x.num_shingles;
  return d;
}

std::optional<StoredCluster> IngestIndex::FindCluster(int64_t cluster) const {
  std::shared_lock<std::shared_mutex> read(state_mu_);
  auto it = clusters_.find(cluster);
  if (it == clusters_.end()) return std::nullopt;
  StoredCluster c;
  c.id = cluster;
  c.canonical = ids_[it->second.canonical];
  c.created = it->second.created;
  std::vector<DocIndex> members = it->second.members;
  std::sort(members.begin(), members.end());  // Slots ascend in insertion order.
  c.members.reserve(members.size());
  for (DocIndex m : members) c.members.push_back(ids_[m]);
  return c;
}

}  // namespace dedup
