// IngestIndex, part: hot keys and the LSH tables (the class: ingest_index.h).
#include "dedup/ingest_index.h"

#include <vector>

#include "absl/container/flat_hash_set.h"

namespace dedup {


// Hot keys (ingest_index.h, "Hot keys") and rebuilding the band tables.

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

}  // namespace dedup
