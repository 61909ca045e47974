// IngestIndex, part: re-examination (the class: ingest_index.h).
#include "dedup/ingest_index.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_format.h"
#include "dedup/internal/batch_components.h"
#include "dedup/internal/index_format.h"
#include "dedup/internal/ingest_planner.h"
#include "dedup/internal/sqlite_store.h"
#include "dedup/status_macros.h"

namespace dedup {

// The file format (internal/index_format.h) and its SQLite store.
using namespace internal;  // NOLINT: the ingest_index*.cc files are the format's users.

// -----------------------------------------------------------------------------------
// Re-examination: stored documents re-signed when lines they hold become chrome.


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
      out->class_first[i] = internal::FirstCopyOf(
          i, &first_with_key, k, params_.match, [&](uint32_t j) { return out->sketches[j].signature.values().data(); },
          [&](uint32_t j) { return out->sketches[j].num_shingles; });
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

}  // namespace dedup
