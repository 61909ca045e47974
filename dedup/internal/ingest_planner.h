// The ingestion index's write plans and its insert planner.
//
// Every write of IngestIndex (ingest_index.h) is first planned: what a batch of inserts,
// a removal or a re-examination will change is computed from the in-memory state without
// touching it, then written in one SQLite transaction, and applied to memory only once the
// commit succeeded. So a failed commit leaves memory untouched, and readers never see
// uncommitted state. This header holds the plans and the Planner, which decides each new
// document of a batch (new, duplicate of a cluster, merge of clusters, copy of a stored
// representative) against the stored documents and the batch's earlier ones. Included by
// the ingest_index*.cc files only.
#ifndef DEDUP_INTERNAL_INGEST_PLANNER_H_
#define DEDUP_INTERNAL_INGEST_PLANNER_H_

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "dedup/ingest_index.h"
#include "dedup/internal/copy_classes.h"

namespace dedup {

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


struct IngestIndex::RemovePlan {
  using Part = ClusterPart;  // moved: cut out of its cluster by a split.
  std::vector<DocIndex> removed;  // Ascending.
  std::vector<int64_t> deleted_clusters;
  std::vector<Part> parts;
  std::vector<ClusterEvent> events;
  RemoveResult result;
  int64_t now = 0, next_cluster = 0, next_event_seq = 0;
};

// What a re-examination (ingest_index_reexamination.cc) will change.
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

}  // namespace dedup

#endif  // DEDUP_INTERNAL_INGEST_PLANNER_H_
