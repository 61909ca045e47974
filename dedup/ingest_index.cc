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
using namespace internal;  // NOLINT: this file is the format's one user.

namespace {

// Re-clustering a set of stored documents, in insertion order, as a batch run does.
//
// Copies (internal/copy_classes.h) are one component: class[i] names document i's copy
// class (equal for copies, distinct otherwise), and only each class's earliest member
// enters a batch run (a Clusterer with the index's match options, clustering.h) over
// sketch(i). Returns, for each document, the position of the earliest document of its
// component. Cost: a batch run over the classes' earliest members -- O(n) per band for
// n documents in one run that match (cluster.h, "Giant runs"), not n^2 / 2 verifications.
template <typename ClassOf, typename SketchOf>
absl::StatusOr<std::vector<uint32_t>> BatchComponents(const IndexParams& params, int threads, size_t n,
                                                      ClassOf class_of, SketchOf sketch_of) {
  std::vector<uint32_t> first(n), firsts;
  {
    absl::flat_hash_map<int64_t, uint32_t> first_of_class;
    for (uint32_t i = 0; i < n; ++i) {
      auto [f, is_first] = first_of_class.try_emplace(class_of(i), i);
      first[i] = f->second;
      if (is_first) firsts.push_back(i);
    }
  }
  if (firsts.size() <= 1) return first;  // One class, or none: one component.
  ClusterOptions options = ClusterOptionsFor(params);
  options.opening_threshold = 0;
  options.ordered_slots = false;
  DEDUP_ASSIGN_OR_RETURN(std::unique_ptr<Clusterer> clusterer, Clusterer::Create(options, params.sketch.num_perm));
  for (uint32_t f : firsts) clusterer->Add("", "", sketch_of(f));
  ClusterResult result;
  tbb::task_arena arena(threads > 0 ? threads : tbb::info::default_concurrency());
  arena.execute([&] { result = clusterer->Finish(); });
  // The earliest first of each batch cluster (firsts ascend), then every document's.
  std::vector<uint32_t> root_of_cluster(firsts.size(), UINT32_MAX);
  std::vector<uint32_t> root(n);
  absl::flat_hash_map<uint32_t, uint32_t> position_of_first;
  for (uint32_t j = 0; j < firsts.size(); ++j) {
    uint32_t& r = root_of_cluster[result.documents[j].cluster];
    if (r == UINT32_MAX) r = firsts[j];
    position_of_first.emplace(firsts[j], j);
  }
  for (uint32_t i = 0; i < n; ++i) root[i] = root_of_cluster[result.documents[position_of_first.at(first[i])].cluster];
  return root;
}

}  // namespace

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

// -----------------------------------------------------------------------------------
// Plans: what a write will change, computed before anything is written, so that a
// failed commit leaves memory untouched and readers never see uncommitted state.

// A document a plan refers to: >= 0 a stored slot; < 0 the batch's new document
// number -(ref + 1).
using DocRef = int64_t;
inline DocRef PendingRef(size_t i) { return -static_cast<DocRef>(i) - 1; }
inline size_t PendingIndex(DocRef r) { return static_cast<size_t>(-(r + 1)); }

struct IngestIndex::InsertPlan {
  struct NewDoc {
    std::string id;
    SketchedDocument sketch;
    int64_t published;
    int64_t seq;
    int64_t cluster;  // As assigned; the final id is Resolve(cluster).
    int64_t text_hash = 0;
    const Document* doc = nullptr;  // Its text and source, for the texts table.
    const Prepared* prepared = nullptr;  // Its line keys, for the lines table.
    bool is_copy = false;  // A copy (internal/copy_classes.h) of representative copy_of.
    DocRef copy_of = 0;
  };
  // A cluster this batch touches, as it will be after the batch.
  struct Draft {
    DocRef canonical;
    int64_t size;
    int64_t created;
    bool merged = false;  // Merged into another cluster by this batch.
  };
  std::vector<NewDoc> docs;
  std::vector<CheckResult> results;
  absl::flat_hash_map<int64_t, Draft> drafts;
  absl::flat_hash_map<int64_t, int64_t> redirect;  // Merged id -> the id it merged into.
  absl::flat_hash_map<std::string, size_t> pending_ids;
  // Representatives (stored or of this batch) -> their copies among this batch's
  // documents, which are in no LSH table.
  absl::flat_hash_map<DocRef, int64_t> pending_copies;
  std::vector<ClusterEvent> events;
  std::unique_ptr<LshIndex> batch_lsh;  // The batch's own documents.
  int64_t now = 0;
  int64_t next_seq = 0, next_cluster = 0, next_event_seq = 0;
  int64_t candidate_pairs = 0, verified_pairs = 0;

  int64_t Resolve(int64_t c) const {
    for (auto it = redirect.find(c); it != redirect.end(); it = redirect.find(c)) c = it->second;
    return c;
  }
};

class IngestIndex::Planner {
 public:
  Planner(const IngestIndex& index, InsertPlan* plan) : ix_(index), p_(*plan) {}

  // Decides `sketch` against the stored documents (`stored`, from MatchStored()) and
  // the plan's earlier documents, and adds it to the plan (unless it is a replay).
  // A replay (an id already indexed or earlier in the batch, with the same text hash)
  // needs no sketch.
  absl::Status Add(const Document& doc, const Prepared& prepared, SketchedDocument sketch,
                   const StoredMatches& stored) {
    const std::string& id = doc.id;
    const int64_t published = doc.published_time;
    const int k = ix_.params_.sketch.num_perm;
    CheckResult r;
    r.id = id;
    // A replay of an indexed id: the same text changes nothing; another text is an error.
    DocRef known = 0;
    bool is_known = false;
    if (auto it = ix_.by_id_.find(std::string_view(id)); it != ix_.by_id_.end()) {
      known = *it;
      is_known = true;
    } else if (auto pt = p_.pending_ids.find(id); pt != p_.pending_ids.end()) {
      known = PendingRef(pt->second);
      is_known = true;
    }
    if (is_known) {
      if (TextHashOf(known) != prepared.text_hash) {
        return absl::AlreadyExistsError(absl::StrFormat(
            "document \"%s\": this id is already in the index with a different text", id));
      }
      r.decision = Decision::kExisting;
      r.cluster = p_.Resolve(ClusterOf(known));
      Describe(known, &r);
      p_.results.push_back(std::move(r));
      return absl::OkStatus();
    }

    const DocRef self = PendingRef(p_.docs.size());
    const int64_t seq = p_.next_seq++;
    std::vector<int64_t> matched;
    const uint32_t* const signature = sketch.signature.values().data();
    bool is_copy = stored.copy_of >= 0;
    DocRef copy_of = stored.copy_of;
    auto consider = [&](DocRef other) {
      // LshIndex's rare key collisions are not candidates (as in a batch run's band join).
      if (!SharesBand(Sig(other), signature, ix_.lsh_params_)) return;
      const int64_t pairs = ClassSize(other);
      p_.candidate_pairs += pairs;
      // (earlier, later), as Clusterer verifies.
      const PairEstimate e = EstimatePair(Sig(other), NumShingles(other), signature, sketch.num_shingles, k);
      if (Classify(e, NumShingles(other), sketch.num_shingles, ix_.params_.match) == MatchKind::kNone) return;
      p_.verified_pairs += pairs;
      matched.push_back(p_.Resolve(ClusterOf(other)));
      if (!is_copy && internal::IsCopyPair(Sig(other), NumShingles(other), signature, sketch.num_shingles, k,
                                           ix_.params_.match)) {
        is_copy = true;
        copy_of = other;
      }
    };
    for (DocIndex c : stored.candidates) p_.candidate_pairs += ClassSize(static_cast<DocRef>(c));
    for (DocIndex c : stored.verified) {
      p_.verified_pairs += ClassSize(static_cast<DocRef>(c));
      matched.push_back(p_.Resolve(ClusterOf(static_cast<DocRef>(c))));
    }
    if (p_.batch_lsh != nullptr) {
      candidates_.clear();
      p_.batch_lsh->Query(sketch, &candidates_);
      for (DocIndex c : candidates_) consider(PendingRef(c));
    }
    std::sort(matched.begin(), matched.end());
    matched.erase(std::unique(matched.begin(), matched.end()), matched.end());

    if (is_copy) ++p_.pending_copies[copy_of];
    p_.docs.push_back(
        InsertPlan::NewDoc{id, std::move(sketch), published, seq, 0, prepared.text_hash, &doc, &prepared, is_copy, copy_of});
    p_.pending_ids.emplace(id, p_.docs.size() - 1);
    int64_t cluster;
    if (matched.empty()) {
      cluster = p_.next_cluster++;
      p_.drafts.emplace(cluster, InsertPlan::Draft{self, 1, p_.now});
      r.decision = Decision::kNew;
    } else {
      // The oldest id survives; the others merge into it.
      cluster = matched[0];
      // Create every draft first: inserting into the map may move the others.
      for (int64_t m : matched) DraftFor(m);
      InsertPlan::Draft& survivor = p_.drafts.at(cluster);
      for (size_t i = 1; i < matched.size(); ++i) {
        InsertPlan::Draft& gone = p_.drafts.at(matched[i]);
        if (CanonicalBefore(Key(gone.canonical), Key(survivor.canonical), ix_.params_.canonical)) {
          survivor.canonical = gone.canonical;
        }
        survivor.size += gone.size;
        gone.merged = true;
        p_.redirect[matched[i]] = cluster;
        p_.events.push_back(ClusterEvent{p_.next_event_seq++, p_.now, ClusterEvent::Kind::kMerge, matched[i],
                                         cluster, id});
        r.merged.push_back(matched[i]);
      }
      survivor.size += 1;
      if (CanonicalBefore(Key(self), Key(survivor.canonical), ix_.params_.canonical)) survivor.canonical = self;
      r.decision = Decision::kDuplicate;
    }
    p_.docs.back().cluster = cluster;
    if (p_.batch_lsh != nullptr && !is_copy) {
      p_.batch_lsh->Insert(static_cast<DocIndex>(p_.docs.size() - 1), p_.docs.back().sketch);
    }
    r.cluster = cluster;
    Describe(self, &r);
    p_.results.push_back(std::move(r));
    return absl::OkStatus();
  }

 private:
  // The documents representative r stands for: itself and its copies, stored and pending.
  int64_t ClassSize(DocRef r) const {
    int64_t n = 1;
    if (r >= 0) n += ix_.copies_.CopyCount(static_cast<DocIndex>(r));
    if (!p_.pending_copies.empty()) {
      if (auto it = p_.pending_copies.find(r); it != p_.pending_copies.end()) n += it->second;
    }
    return n;
  }
  const uint32_t* Sig(DocRef r) const {
    return r >= 0 ? ix_.sig(static_cast<DocIndex>(r)) : p_.docs[PendingIndex(r)].sketch.signature.values().data();
  }
  uint32_t NumShingles(DocRef r) const {
    return r >= 0 ? ix_.slots_[r].num_shingles : p_.docs[PendingIndex(r)].sketch.num_shingles;
  }
  int64_t TextHashOf(DocRef r) const {
    return r >= 0 ? ix_.slots_[r].text_hash : p_.docs[PendingIndex(r)].text_hash;
  }
  int64_t ClusterOf(DocRef r) const { return r >= 0 ? ix_.slots_[r].cluster : p_.docs[PendingIndex(r)].cluster; }
  const std::string& Id(DocRef r) const { return r >= 0 ? ix_.ids_[r] : p_.docs[PendingIndex(r)].id; }
  CanonicalKey Key(DocRef r) const {
    if (r >= 0) {
      const Slot& s = ix_.slots_[r];
      return {s.published, s.seq, s.num_shingles};
    }
    const InsertPlan::NewDoc& d = p_.docs[PendingIndex(r)];
    return {d.published, d.seq, d.sketch.num_shingles};
  }

  InsertPlan::Draft& DraftFor(int64_t cluster) {
    auto it = p_.drafts.find(cluster);
    if (it != p_.drafts.end()) return it->second;
    const ClusterState& c = ix_.clusters_.at(cluster);
    return p_.drafts
        .emplace(cluster, InsertPlan::Draft{static_cast<DocRef>(c.canonical),
                                            static_cast<int64_t>(c.members.size()), c.created})
        .first->second;
  }
  DocRef CanonicalOf(int64_t cluster) const {
    auto it = p_.drafts.find(cluster);
    if (it != p_.drafts.end()) return it->second.canonical;
    return static_cast<DocRef>(ix_.clusters_.at(cluster).canonical);
  }

  // Fills canonical, similarity and containment of *r (r->cluster already resolved).
  void Describe(DocRef doc, CheckResult* r) const {
    const DocRef canonical = CanonicalOf(r->cluster);
    r->canonical = Id(canonical);
    if (canonical == doc) {
      r->similarity = r->containment = 1.0;
      return;
    }
    const PairEstimate e = EstimatePair(Sig(doc), NumShingles(doc), Sig(canonical), NumShingles(canonical),
                                        ix_.params_.sketch.num_perm);
    r->similarity = e.jaccard;
    r->containment = e.a_in_b;
  }

  const IngestIndex& ix_;
  InsertPlan& p_;
  std::vector<DocIndex> candidates_;  // Scratch.
};

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

struct IngestIndex::RemovePlan {
  using Part = ClusterPart;  // moved: cut out of its cluster by a split.
  std::vector<DocIndex> removed;  // Ascending.
  std::vector<int64_t> deleted_clusters;
  std::vector<Part> parts;
  std::vector<ClusterEvent> events;
  RemoveResult result;
  int64_t now = 0, next_cluster = 0, next_event_seq = 0;
};

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
      if (s.num_shingles > 0) {
        auto [first, is_new] = first_with_key.try_emplace(internal::CopyKey(sig(slot), s.num_shingles, k), slot);
        const DocIndex rep = first->second;
        if (!is_new && slots_[rep].cluster == s.cluster &&
            internal::IsCopyPair(sig(rep), slots_[rep].num_shingles, sig(slot), s.num_shingles, k, params_.match)) {
          copies_.Add(rep, slot);
          continue;
        }
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


// -----------------------------------------------------------------------------------
// Re-examination: stored documents re-signed when lines they hold become chrome.

struct IngestIndex::Reexamination {
  using Part = ClusterPart;                // Every member moves to it.
  std::vector<DocIndex> resigned;          // Ascending slots.
  std::vector<SketchedDocument> sketches;  // Their new sketches.
  // class_first[i]: the first j with sketches[j] a copy of sketches[i] (i itself when
  // none): the re-signed documents' new copy classes (internal/copy_classes.h).
  std::vector<uint32_t> class_first;
  std::vector<Part> parts;                 // Every cluster touched, as it is after.
  std::vector<int64_t> gone;               // Ids merged into another part's.
  std::vector<ClusterEvent> events;
  int64_t next_cluster = 0, next_event_seq = 0, merges = 0, splits = 0;
};

int64_t IngestIndex::SlotOfSeq(int64_t seq) const {
  auto it = std::lower_bound(slots_.begin(), slots_.end(), seq, [](const Slot& s, int64_t v) { return s.seq < v; });
  if (it == slots_.end() || it->seq != seq) return -1;
  return it - slots_.begin();
}

absl::Status IngestIndex::PlanReexamination(const std::vector<DocIndex>& slots, const std::string& cause,
                                            Reexamination* out) const {
  const int k = params_.sketch.num_perm;
  out->resigned = slots;
  std::sort(out->resigned.begin(), out->resigned.end());
  const std::vector<DocIndex>& R = out->resigned;
  out->sketches.resize(R.size());
  // The new signatures, from the stored texts.
  {
    DEDUP_ASSIGN_OR_RETURN(SqliteStatement st, db_->Prepare("SELECT source, text FROM texts WHERE seq = ?"));
    SketchScratch scratch;
    TokenizedText tokens, kept;
    for (size_t i = 0; i < R.size(); ++i) {
      st.Reset();
      st.BindInt(1, slots_[R[i]].seq);
      DEDUP_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) {
        return absl::DataLossError(absl::StrFormat("%s: corrupt index: the text of document \"%s\" is missing",
                                                   path_, ids_[R[i]]));
      }
      const uint64_t source = SourceKey(st.ColumnText(0));
      const std::string_view text = st.ColumnText(1);
      if (TextHash(text) != slots_[R[i]].text_hash) {
        return absl::DataLossError(absl::StrFormat(
            "%s: corrupt index: the stored text of document \"%s\" does not match its hash", path_, ids_[R[i]]));
      }
      DEDUP_RETURN_IF_ERROR(Tokenize(text, &tokens));
      const int dropped = StripLines(
          tokens, [&](size_t l) { return chrome_->IsChrome(source, LineKey(tokens, tokens.lines[l], tokens.line_end(l))); },
          &kept);
      sketcher_->SketchTokens(dropped > 0 ? kept : tokens, /*keep_shingles=*/false, &scratch, &out->sketches[i]);
    }
  }
  absl::flat_hash_map<DocIndex, size_t> resigned;  // Slot -> position in R.
  for (size_t i = 0; i < R.size(); ++i) resigned.emplace(R[i], i);
  auto sig_of = [&](DocIndex s) {
    auto it = resigned.find(s);
    return it == resigned.end() ? sig(s) : out->sketches[it->second].signature.values().data();
  };
  auto n_of = [&](DocIndex s) {
    auto it = resigned.find(s);
    return it == resigned.end() ? slots_[s].num_shingles : out->sketches[it->second].num_shingles;
  };
  auto verified = [&](DocIndex a, DocIndex b) {  // a inserted before b.
    if (!SharesBand(sig_of(a), sig_of(b), lsh_params_)) return false;
    const PairEstimate e = EstimatePair(sig_of(a), n_of(a), sig_of(b), n_of(b), k);
    return Classify(e, n_of(a), n_of(b), params_.match) != MatchKind::kNone;
  };
  // The re-signed documents' new copy classes; their representatives' own bands, so that
  // they find each other.
  out->class_first.resize(R.size());
  {
    absl::flat_hash_map<uint64_t, uint32_t> first_with_key;
    for (uint32_t i = 0; i < R.size(); ++i) {
      const SketchedDocument& d = out->sketches[i];
      out->class_first[i] = i;
      if (d.num_shingles == 0) continue;
      auto [first, is_new] =
          first_with_key.try_emplace(internal::CopyKey(d.signature.values().data(), d.num_shingles, k), i);
      const SketchedDocument& f = out->sketches[first->second];
      if (!is_new && internal::IsCopyPair(f.signature.values().data(), f.num_shingles, d.signature.values().data(),
                                          d.num_shingles, k, params_.match)) {
        out->class_first[i] = first->second;
      }
    }
  }
  DEDUP_ASSIGN_OR_RETURN(std::unique_ptr<LshIndex> fresh, LshIndex::Create(lsh_params_, k));
  for (size_t i = 0; i < R.size(); ++i) {
    if (out->class_first[i] == i) fresh->Insert(static_cast<DocIndex>(i), out->sketches[i]);
  }
  // Candidates of a document as it is now signed: stored representatives by their current
  // bands (a re-signed one's old bands are stale, so it is taken from `fresh` instead).
  // The clusters touched: those of the re-signed documents and of their new matches --
  // among the stored representatives by their current bands (a re-signed one's old bands
  // are stale: it is found in `fresh`), in hot keys one member per group (cluster) until
  // one verifies and none of a cluster touched already. (A copy's matches are its
  // representative's, in the same cluster.)
  std::set<int64_t> touched;
  std::vector<DocIndex> candidates;
  std::vector<LshIndex::KeyRef> large;
  for (size_t i = 0; i < R.size(); ++i) {
    const DocIndex r = R[i];
    touched.insert(slots_[r].cluster);
    if (out->class_first[i] != i) continue;
    const SketchedDocument& sketch = out->sketches[i];
    auto consider = [&](DocIndex c) {  // c re-signed, or a stored representative.
      if (c == r || !alive(c) || (!resigned.contains(c) && copies_.IsCopy(c)) ||
          !verified(std::min(c, r), std::max(c, r))) {
        return false;
      }
      touched.insert(slots_[c].cluster);
      return true;
    };
    candidates.clear();
    large.clear();
    lsh_->Query(sketch, &candidates, hot_.empty() ? SIZE_MAX : kHotKeyDocs, &large);
    for (DocIndex c : candidates) {
      if (!resigned.contains(c)) consider(c);
    }
    for (const LshIndex::KeyRef& key : large) {
      auto it = hot_.find(HotCode(key));
      if (it == hot_.end()) {  // Not grouped (not expected): walked in full.
        candidates.clear();
        lsh_->KeyDocs(key, &candidates);
        for (DocIndex c : candidates) {
          if (!resigned.contains(c)) consider(c);
        }
        continue;
      }
      for (const std::vector<DocIndex>& group : it->second.groups) {
        auto first = std::find_if(group.begin(), group.end(), [&](DocIndex d) { return alive(d); });
        if (first == group.end() || touched.contains(slots_[*first].cluster)) continue;
        for (DocIndex d : group) {
          if (!resigned.contains(d) && consider(d)) break;
        }
      }
    }
    candidates.clear();
    fresh->Query(sketch, &candidates);
    for (DocIndex c : candidates) consider(R[c]);
  }
  std::vector<DocIndex> members;
  for (int64_t c : touched) {
    const ClusterState& cs = clusters_.at(c);
    members.insert(members.end(), cs.members.begin(), cs.members.end());
  }
  std::sort(members.begin(), members.end());
  // Each member's copy class as it will be: a re-signed one's new class (-1 - its
  // first's position in R), another's stored class (its representative's slot).
  auto class_of = [&](DocIndex s) -> int64_t {
    auto it = resigned.find(s);
    if (it != resigned.end()) return -1 - static_cast<int64_t>(out->class_first[it->second]);
    return copies_.RepOf(s);
  };
  // Components of the verified pairs among them, as a batch run finds them.
  DEDUP_ASSIGN_OR_RETURN(
      const std::vector<uint32_t> root_of,
      BatchComponents(
          params_, options_.threads, members.size(), [&](uint32_t i) { return class_of(members[i]); },
          [&](uint32_t i) {
            auto it = resigned.find(members[i]);
            return it == resigned.end() ? SketchOf(members[i]) : out->sketches[it->second];
          }));
  auto find = [&](uint32_t x) { return root_of[x]; };
  // Ids: each old cluster goes to the part holding its earliest member; a part that
  // receives several keeps the oldest (smallest) and the others merge into it; a part
  // that receives none is cut out under a new id (a split of its earliest member's
  // cluster).
  out->next_cluster = next_cluster_;
  out->next_event_seq = next_event_seq_;
  const int64_t now = Now();
  std::map<uint32_t, std::vector<int64_t>> heirs;  // Root -> old ids.
  for (int64_t c : touched) {
    const ClusterState& cs = clusters_.at(c);
    const DocIndex earliest = *std::min_element(cs.members.begin(), cs.members.end());
    heirs[find(static_cast<uint32_t>(std::lower_bound(members.begin(), members.end(), earliest) - members.begin()))]
        .push_back(c);
  }
  std::map<uint32_t, size_t> part_of;  // Root -> part.
  for (uint32_t i = 0; i < members.size(); ++i) {
    const uint32_t root = find(i);
    auto [it, is_new] = part_of.try_emplace(root, out->parts.size());
    if (is_new) {
      ClusterPart part;
      auto h = heirs.find(root);
      if (h != heirs.end()) {
        std::vector<int64_t>& ids = h->second;
        std::sort(ids.begin(), ids.end());
        part.cluster = ids[0];
        part.created = clusters_.at(ids[0]).created;
        for (size_t j = 1; j < ids.size(); ++j) {
          out->gone.push_back(ids[j]);
          out->events.push_back(
              ClusterEvent{out->next_event_seq++, now, ClusterEvent::Kind::kMerge, ids[j], ids[0], cause});
          ++out->merges;
        }
      } else {
        part.cluster = out->next_cluster++;
        part.created = now;
        out->events.push_back(ClusterEvent{out->next_event_seq++, now, ClusterEvent::Kind::kSplit,
                                           slots_[members[i]].cluster, part.cluster, cause});
        ++out->splits;
      }
      part.canonical = members[i];
      part.moved = true;
      out->parts.push_back(std::move(part));
    }
    ClusterPart& part = out->parts[it->second];
    part.members.push_back(members[i]);
    const Slot &x = slots_[members[i]], &y = slots_[part.canonical];
    if (CanonicalBefore({x.published, x.seq, n_of(members[i])}, {y.published, y.seq, n_of(part.canonical)},
               params_.canonical)) {
      part.canonical = members[i];
    }
  }
  return absl::OkStatus();
}

void IngestIndex::ApplyReexamination(const Reexamination& r) {
  const int k = params_.sketch.num_perm;
  // Hot keys to regroup: those the re-signed documents were in (old bands), are in now,
  // and those of every document whose cluster changes.
  absl::flat_hash_set<uint64_t> regroup;
  HotKeysOf(r.resigned, &regroup);
  for (const ClusterPart& p : r.parts) {
    std::vector<DocIndex> changed;
    for (DocIndex m : p.members) {
      if (slots_[m].cluster != p.cluster) changed.push_back(m);
    }
    HotKeysOf(changed, &regroup);
  }
  // The re-signed documents leave their copy classes; a class whose representative left
  // is stood for by its earliest remaining copy, now in the LSH tables (its sketch is
  // unchanged). Then the re-signed ones form their new classes.
  std::vector<DocIndex> promoted;
  for (DocIndex s : r.resigned) {
    if (std::optional<DocIndex> p = copies_.Remove(s)) promoted.push_back(*p);
  }
  for (DocIndex p : promoted) {
    if (!std::binary_search(r.resigned.begin(), r.resigned.end(), p) && !copies_.IsCopy(p)) {
      IndexInsert(p, SketchOf(p));
    }
  }
  for (size_t i = 0; i < r.resigned.size(); ++i) {
    const DocIndex s = r.resigned[i];
    const auto values = r.sketches[i].signature.values();
    std::copy(values.begin(), values.begin() + k, signatures_.begin() + static_cast<std::ptrdiff_t>(s) * k);
    slots_[s].num_shingles = r.sketches[i].num_shingles;
    if (r.class_first[i] != i) {
      copies_.Add(r.resigned[r.class_first[i]], s);
    } else {
      IndexInsert(s, r.sketches[i]);
    }
    ++stale_lsh_;
  }
  ApplyParts(r.gone, r.parts);
  // A new class whose sketch a stored class has (in the same cluster now, as copies
  // always are) joins it: one representative per sketch, as Load() finds them.
  // (A copy shares every band: one key is enough, and a hot one only in x's cluster's group.)
  std::vector<DocIndex> candidates;
  std::vector<LshIndex::KeyRef> large;
  for (size_t i = 0; i < r.resigned.size(); ++i) {
    if (r.class_first[i] != i || r.sketches[i].num_shingles == 0) continue;
    const DocIndex x = r.resigned[i];
    candidates.clear();
    large.clear();
    lsh_->Query(r.sketches[i], &candidates, kHotKeyDocs, &large);
    if (candidates.empty() && !large.empty()) {
      if (auto h = hot_.find(HotCode(large[0])); h != hot_.end()) {
        if (auto g = h->second.group_of.find(slots_[x].cluster); g != h->second.group_of.end()) {
          candidates = h->second.groups[g->second];
        }
      } else {
        lsh_->KeyDocs(large[0], &candidates);
      }
    }
    for (DocIndex c : candidates) {
      if (c == x || !alive(c) || copies_.IsCopy(c) || copies_.IsCopy(x) || slots_[c].cluster != slots_[x].cluster ||
          !internal::IsCopyPair(sig(c), slots_[c].num_shingles, sig(x), slots_[x].num_shingles, k, params_.match)) {
        continue;
      }
      copies_.Join(c, x);
    }
  }
  HotKeysOf(r.resigned, &regroup);
  for (uint64_t code : regroup) GroupHotKey({static_cast<int>(code >> 32), static_cast<uint32_t>(code)});
  next_cluster_ = r.next_cluster;
  next_event_seq_ = r.next_event_seq;
  merge_events_ += r.merges;
  split_events_ += r.splits;
}

absl::Status IngestIndex::WriteReexamination(const Reexamination& r) const {
  SqliteDb* db = db_.get();
  const int k = params_.sketch.num_perm;
  DEDUP_ASSIGN_OR_RETURN(SqliteStatement resign,
                         db->Prepare("UPDATE documents SET num_shingles = ?, signature = ?, checksum = ? WHERE seq = ?"));
  std::string scratch, blob;
  for (DocIndex s : r.resigned) {  // Memory already holds the new signatures.
    const Slot& x = slots_[s];
    blob.clear();
    AppendSignatureLe(sig(s), k, &blob);
    resign.BindInt(1, x.num_shingles);
    resign.BindBlob(2, blob.data(), blob.size());
    resign.BindInt(3, DocumentChecksum(x.seq, ids_[s], x.num_shingles, x.published, x.inserted, sig(s), k,
                                       x.text_hash, &scratch));
    resign.BindInt(4, x.seq);
    DEDUP_RETURN_IF_ERROR(resign.Run());
  }
  DEDUP_RETURN_IF_ERROR(WriteClusterRows(db, r.gone, RowsOf(r.parts)));
  return InsertEvents(db, r.events);
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

void IngestIndex::IndexInsert(DocIndex slot, const SketchedDocument& sketch) {
  lsh_->Insert(slot, sketch);
  if (sketch.num_shingles == 0) return;
  const uint32_t* const signature = sketch.signature.values().data();
  for (int band = 0; band < lsh_params_.bands; ++band) {
    const LshIndex::KeyRef key = lsh_->KeyRefOf(signature, band);
    auto it = hot_.find(HotCode(key));
    if (it == hot_.end()) {
      if (lsh_->KeyCount(key) > kHotKeyDocs) GroupHotKey(key);
      continue;
    }
    HotKey& hot = it->second;
    auto [g, is_new] = hot.group_of.try_emplace(slots_[slot].cluster, static_cast<uint32_t>(hot.groups.size()));
    if (is_new) hot.groups.emplace_back();
    hot.groups[g->second].push_back(slot);
  }
}

void IngestIndex::GroupHotKey(const LshIndex::KeyRef& key) {
  std::vector<DocIndex> docs;
  lsh_->KeyDocs(key, &docs);
  HotKey hot;
  for (DocIndex d : docs) {
    if (!alive(d) || copies_.IsCopy(d)) continue;  // A tombstone, or a stale entry.
    auto [g, is_new] = hot.group_of.try_emplace(slots_[d].cluster, static_cast<uint32_t>(hot.groups.size()));
    if (is_new) hot.groups.emplace_back();
    hot.groups[g->second].push_back(d);
  }
  hot_[HotCode(key)] = std::move(hot);
}

void IngestIndex::BuildHotKeys() {
  hot_.clear();
  for (const LshIndex::KeyRef& key : lsh_->LargeKeys(kHotKeyDocs)) GroupHotKey(key);
}

void IngestIndex::HotKeysOf(const std::vector<DocIndex>& docs, absl::flat_hash_set<uint64_t>* codes) const {
  if (hot_.empty()) return;
  for (DocIndex d : docs) {
    if (slots_[d].num_shingles == 0) continue;
    for (int band = 0; band < lsh_params_.bands; ++band) {
      const uint64_t code = HotCode(lsh_->KeyRefOf(sig(d), band));
      if (hot_.contains(code)) codes->insert(code);
    }
  }
}

void IngestIndex::RebuildLsh() {
  // Compacts slots (keeping insertion order) and rebuilds the band tables without the
  // tombstones: O(live documents), amortized over at least as many removals.
  const int k = params_.sketch.num_perm;
  std::vector<DocIndex> new_slot(slots_.size(), 0);
  std::vector<Slot> slots;
  std::vector<std::string> ids;
  std::vector<uint32_t> signatures;
  slots.reserve(live_);
  ids.reserve(live_);
  signatures.reserve(static_cast<size_t>(live_) * k);
  for (DocIndex s = 0; s < slots_.size(); ++s) {
    if (!alive(s)) continue;
    new_slot[s] = static_cast<DocIndex>(slots.size());
    slots.push_back(slots_[s]);
    ids.push_back(std::move(ids_[s]));
    signatures.insert(signatures.end(), sig(s), sig(s) + k);
  }
  slots_ = std::move(slots);
  ids_ = std::move(ids);
  signatures_ = std::move(signatures);
  // The set hashes slots by ids_, which were renumbered: rebuilt.
  by_id_.clear();
  by_id_.reserve(ids_.size());
  for (DocIndex s = 0; s < ids_.size(); ++s) by_id_.insert(s);
  for (auto& [id, c] : clusters_) {
    c.canonical = new_slot[c.canonical];
    for (DocIndex& m : c.members) m = new_slot[m];
  }
  copies_.Renumber(new_slot);
  lsh_ = *LshIndex::Create(lsh_params_, k);
  for (DocIndex s = 0; s < slots_.size(); ++s) {
    if (!copies_.IsCopy(s)) lsh_->Insert(s, SketchOf(s));
  }
  stale_lsh_ = 0;
  BuildHotKeys();
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

// -----------------------------------------------------------------------------------
// Verification, on a connection of its own.

absl::StatusOr<VerifyReport> IngestIndex::VerifyFile(const std::string& path, const VerifyOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  VerifyReport report;
  auto problem = [&](std::string p) {
    if (report.problems.size() < options.max_problems) report.problems.push_back(std::move(p));
  };
  absl::Status header = CheckFileHeader(path);
  if (absl::IsNotFound(header) || absl::IsPermissionDenied(header) || absl::IsUnavailable(header)) return header;
  if (!header.ok()) {
    problem(std::string(header.message()));
    return report;
  }
  bool immutable = false;
  DEDUP_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db, OpenForReading(path, &immutable));
  DEDUP_RETURN_IF_ERROR(db->Exec("PRAGMA busy_timeout = 10000", "configuring the connection"));
  DEDUP_ASSIGN_OR_RETURN(SqliteTransaction txn, SqliteTransaction::Begin(db.get(), false));
  // The structure of the file.
  {
    absl::StatusOr<SqliteStatement> st =
        db->Prepare(options.quick ? "PRAGMA quick_check" : "PRAGMA integrity_check");
    if (!st.ok()) {
      problem(std::string(st.status().message()));
      return report;
    }
    while (true) {
      absl::StatusOr<bool> row = st->Step();
      if (!row.ok()) {
        problem(std::string(row.status().message()));
        return report;
      }
      if (!*row) break;
      const std::string_view line = st->ColumnText(0);
      if (line != "ok") problem(absl::StrFormat("SQLite integrity check: %s", std::string(line)));
    }
    if (!report.problems.empty()) return report;
  }
  absl::Status schema = CheckIndexSchema(db.get());
  if (!schema.ok()) {
    problem(std::string(schema.message()));
    return report;
  }
  absl::StatusOr<std::map<std::string, std::string>> meta = ReadMeta(db.get());
  if (!meta.ok()) {
    problem(std::string(meta.status().message()));
    return report;
  }
  absl::Status compatible = CheckMetaCompatible(db.get(), *meta);
  IndexParams p;
  LshParams lsh;
  if (compatible.ok()) compatible = ParseParamsMeta(path, *meta, &p, &lsh);
  if (!compatible.ok()) {
    problem(std::string(compatible.message()));
    return report;
  }
  DEDUP_ASSIGN_OR_RETURN(int64_t user_version, db->QueryInt("PRAGMA user_version"));
  if (user_version != kIngestFormatVersion) problem(absl::StrFormat("user_version is %d", user_version));
  if ((*meta)["sketch"] != DescribeSketchOptions(p.sketch)) {
    problem(absl::StrFormat("sketch \"%s\" is not what this dedup computes: \"%s\"", (*meta)["sketch"],
                            DescribeSketchOptions(p.sketch)));
  }
  if ((*meta)["fingerprint"] != Hex64(SketchFingerprint(p.sketch))) problem("fingerprint does not match the sketch");
  int64_t next_seq = 0, next_cluster = 0;
  if (!ParseInt64((*meta)["next_seq"], &next_seq) || !ParseInt64((*meta)["next_cluster"], &next_cluster)) {
    problem("meta counters next_seq / next_cluster are malformed");
    return report;
  }

  // Documents.
  const int k = p.sketch.num_perm;
  struct Doc {
    int64_t seq, cluster, published;
    uint32_t n;
    std::string id;
  };
  std::vector<Doc> docs;
  std::vector<uint32_t> sigs;
  {
    DEDUP_ASSIGN_OR_RETURN(SqliteStatement st,
                           db->Prepare("SELECT seq, id, cluster, num_shingles, published, inserted, checksum, "
                                       "signature, typeof(signature), text_hash FROM documents ORDER BY seq"));
    std::string scratch;
    std::vector<uint32_t> sig(k);
    while (true) {
      absl::StatusOr<bool> row = st.Step();
      if (!row.ok()) {
        problem(std::string(row.status().message()));
        return report;
      }
      if (!*row) break;
      Doc d{st.ColumnInt(0), st.ColumnInt(2), st.ColumnIsNull(4) ? kNoTime : st.ColumnInt(4), 0,
            std::string(st.ColumnText(1))};
      const int64_t n = st.ColumnInt(3), inserted = st.ColumnInt(5), checksum = st.ColumnInt(6);
      const std::string_view blob = st.ColumnBlob(7);
      if (st.ColumnText(8) != "blob" || blob.size() != 4 * static_cast<size_t>(k)) {
        problem(absl::StrFormat("document \"%s\": signature is %d bytes (%s), expected a %d-byte blob", d.id,
                                blob.size(), std::string(st.ColumnText(8)), 4 * k));
        continue;
      }
      if (n < 0 || n > UINT32_MAX) {
        problem(absl::StrFormat("document \"%s\": num_shingles %d", d.id, n));
        continue;
      }
      d.n = static_cast<uint32_t>(n);
      ReadSignatureLe(blob, sig.data());
      if (DocumentChecksum(d.seq, d.id, d.n, d.published, inserted, sig.data(), k, st.ColumnInt(9), &scratch) !=
          checksum) {
        problem(absl::StrFormat("document \"%s\" (seq %d) fails its checksum", d.id, d.seq));
      }
      const bool all_empty = std::all_of(sig.begin(), sig.end(), [](uint32_t v) { return v == kEmptySlot; });
      if ((d.n == 0) != all_empty) {
        problem(absl::StrFormat("document \"%s\": %d shingles but %s signature", d.id, d.n,
                                all_empty ? "an empty" : "a non-empty"));
      }
      if (d.id.empty()) problem(absl::StrFormat("document seq %d has an empty id", d.seq));
      if (d.seq < 1 || d.seq >= next_seq) problem(absl::StrFormat("document \"%s\": seq %d >= next_seq", d.id, d.seq));
      if (d.cluster < 1 || d.cluster >= next_cluster) {
        problem(absl::StrFormat("document \"%s\": cluster %d outside [1, %d)", d.id, d.cluster, next_cluster));
      }
      docs.push_back(std::move(d));
      sigs.insert(sigs.end(), sig.begin(), sig.end());
    }
  }
  report.documents = static_cast<int64_t>(docs.size());

  // Clusters against documents.
  absl::flat_hash_map<int64_t, std::vector<uint32_t>> members;  // Cluster -> positions in docs.
  absl::flat_hash_map<int64_t, uint32_t> position_of_seq;
  for (uint32_t i = 0; i < docs.size(); ++i) {
    members[docs[i].cluster].push_back(i);
    position_of_seq.emplace(docs[i].seq, i);
  }
  auto key = [&](uint32_t i) { return CanonicalKey{docs[i].published, docs[i].seq, docs[i].n}; };
  {
    DEDUP_ASSIGN_OR_RETURN(SqliteStatement st, db->Prepare("SELECT id, canonical, size FROM clusters ORDER BY id"));
    absl::flat_hash_set<int64_t> with_rows;
    while (true) {
      DEDUP_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      ++report.clusters;
      const int64_t id = st.ColumnInt(0), canonical = st.ColumnInt(1), size = st.ColumnInt(2);
      with_rows.insert(id);
      auto it = members.find(id);
      if (it == members.end()) {
        problem(absl::StrFormat("cluster %d has a row but no documents", id));
        continue;
      }
      if (size != static_cast<int64_t>(it->second.size())) {
        problem(absl::StrFormat("cluster %d: size %d, but %d documents", id, size, it->second.size()));
      }
      uint32_t best = it->second[0];
      for (uint32_t m : it->second) {
        if (CanonicalBefore(key(m), key(best), p.canonical)) best = m;
      }
      if (docs[best].seq != canonical) {
        problem(absl::StrFormat("cluster %d: canonical is seq %d, the %s rule gives \"%s\" (seq %d)", id, canonical,
                                CanonicalRuleName(p.canonical), docs[best].id, docs[best].seq));
      }
    }
    for (const auto& [id, m] : members) {
      if (!with_rows.contains(id)) problem(absl::StrFormat("cluster %d has documents but no row", id));
    }
  }

  // Events.
  {
    DEDUP_ASSIGN_OR_RETURN(SqliteStatement st, db->Prepare("SELECT seq, time, kind, old_cluster, new_cluster, "
                                                           "document, checksum FROM merges ORDER BY seq"));
    while (true) {
      DEDUP_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      ++report.events;
      const int64_t seq = st.ColumnInt(0), time = st.ColumnInt(1), old_c = st.ColumnInt(3), new_c = st.ColumnInt(4);
      const std::string kind(st.ColumnText(2)), document(st.ColumnText(5));
      if (EventChecksum(seq, time, kind, old_c, new_c, document) != st.ColumnInt(6)) {
        problem(absl::StrFormat("event %d fails its checksum", seq));
      }
      if (kind != "merge" && kind != "split") problem(absl::StrFormat("event %d has kind \"%s\"", seq, kind));
      if (kind == "merge" && !(new_c < old_c)) {
        problem(absl::StrFormat("merge event %d: cluster %d merged into the newer %d", seq, old_c, new_c));
      }
      if (kind == "split" && !(old_c < new_c)) {
        problem(absl::StrFormat("split event %d: new cluster %d is older than %d", seq, new_c, old_c));
      }
      if (old_c < 1 || old_c >= next_cluster || new_c < 1 || new_c >= next_cluster) {
        problem(absl::StrFormat("event %d names clusters outside [1, %d)", seq, next_cluster));
      }
    }
  }
  DEDUP_RETURN_IF_ERROR(txn.Commit());

  // The clusters a batch run computes from the stored signatures must be the stored ones.
  if (!options.quick && report.problems.empty()) {
    IndexParams banded = p;
    banded.lsh = lsh;
    const uint64_t fp = SketchFingerprint(p.sketch);
    // Copies (internal/copy_classes.h): each joins the first document with its sketch.
    std::vector<int64_t> copy_class(docs.size());
    {
      absl::flat_hash_map<uint64_t, uint32_t> first_with_key;
      for (uint32_t i = 0; i < docs.size(); ++i) {
        copy_class[i] = i;
        const uint32_t* const signature = &sigs[size_t{i} * k];
        if (docs[i].n == 0) continue;
        auto [first, is_new] = first_with_key.try_emplace(internal::CopyKey(signature, docs[i].n, k), i);
        const uint32_t f = first->second;
        if (!is_new && internal::IsCopyPair(&sigs[size_t{f} * k], docs[f].n, signature, docs[i].n, k, p.match)) {
          copy_class[i] = f;
        }
      }
    }
    DEDUP_ASSIGN_OR_RETURN(const std::vector<uint32_t> root_of,
                           BatchComponents(
                               banded, /*threads=*/0, docs.size(), [&](uint32_t i) { return copy_class[i]; },
                               [&](uint32_t i) {
                                 SketchedDocument sd;
                                 sd.signature = Signature(
                                     std::vector<uint32_t>(&sigs[size_t{i} * k], &sigs[size_t{i} * k] + k), fp);
                                 sd.num_shingles = docs[i].n;
                                 return sd;
                               }));
    auto find = [&](uint32_t x) { return root_of[x]; };
    // Same partition: each stored cluster is one component, and each component one cluster.
    absl::flat_hash_map<uint32_t, int64_t> cluster_of_root;
    absl::flat_hash_map<int64_t, uint32_t> root_of_cluster;
    for (uint32_t i = 0; i < docs.size(); ++i) {
      const uint32_t root = find(i);
      auto [a, a_new] = cluster_of_root.emplace(root, docs[i].cluster);
      auto [b, b_new] = root_of_cluster.emplace(docs[i].cluster, root);
      if (a->second != docs[i].cluster) {
        problem(absl::StrFormat("documents \"%s\" and \"%s\" match (through verified pairs) but are stored in "
                                "clusters %d and %d",
                                docs[root].id, docs[i].id, a->second, docs[i].cluster));
      } else if (b->second != root) {
        problem(absl::StrFormat("cluster %d holds \"%s\" and \"%s\", which re-clustering keeps apart",
                                docs[i].cluster, docs[b->second].id, docs[i].id));
      }
    }
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
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
