#include "dedup/internal/copy_classes.h"

#include <algorithm>
#include <utility>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace dedup::internal {

bool IsCopyPair(const uint32_t* a, uint32_t n_a, const uint32_t* b, uint32_t n_b, int k, const MatchOptions& match) {
  if (n_a != n_b || n_a == 0 || !std::equal(a, a + k, b)) return false;
  return Classify(EstimatePair(a, n_a, a, n_a, k), n_a, n_a, match) != MatchKind::kNone;
}

uint64_t CopyKey(const uint32_t* signature, uint32_t n, int k) {
  return XXH3_64bits_withSeed(signature, sizeof(uint32_t) * static_cast<size_t>(k), n);
}

void CopyClasses::Add(DocIndex rep, DocIndex copy) {
  auto [it, is_new] = class_of_.try_emplace(rep, static_cast<uint32_t>(classes_.size()));
  const uint32_t id = it->second;  // A copy: the emplace below may rehash and move it.
  if (is_new) classes_.push_back(Class{rep, {}, 0, 0});
  Class& c = classes_[id];
  c.copies.push_back(copy);
  ++c.live;
  ++copies_;
  class_of_.emplace(copy, id);
}

DocIndex CopyClasses::Join(DocIndex a, DocIndex b) {
  if (a > b) std::swap(a, b);
  std::vector<DocIndex> members{b};
  for (DocIndex rep : {a, b}) {
    auto it = class_of_.find(rep);
    if (it == class_of_.end()) continue;
    const uint32_t id = it->second;
    const Class& c = classes_[id];
    for (size_t i = c.head; i < c.copies.size(); ++i) {
      if (Member(c.copies[i], id)) members.push_back(c.copies[i]);
    }
  }
  std::sort(members.begin(), members.end());
  auto [it, is_new] = class_of_.try_emplace(a, static_cast<uint32_t>(classes_.size()));
  if (is_new) classes_.push_back(Class{a, {}, 0, 0});
  const uint32_t id = it->second;
  for (DocIndex m : members) class_of_[m] = id;  // b's class, if any, is left dropped.
  Class& c = classes_[id];
  copies_ += 1;  // b; the others were copies already.
  c.live = static_cast<uint32_t>(members.size());
  c.copies = std::move(members);
  c.head = 0;
  return b;
}

bool CopyClasses::Member(DocIndex s, uint32_t c) const {
  auto it = class_of_.find(s);
  return it != class_of_.end() && it->second == c;
}

bool CopyClasses::IsCopy(DocIndex s) const {
  auto it = class_of_.find(s);
  return it != class_of_.end() && classes_[it->second].rep != s;
}

DocIndex CopyClasses::RepOf(DocIndex s) const {
  auto it = class_of_.find(s);
  return it == class_of_.end() ? s : classes_[it->second].rep;
}

uint32_t CopyClasses::CopyCount(DocIndex rep) const {
  auto it = class_of_.find(rep);
  if (it == class_of_.end()) return 0;
  const Class& c = classes_[it->second];
  return c.rep == rep ? c.live : 0;
}

std::optional<DocIndex> CopyClasses::Remove(DocIndex s) {
  auto it = class_of_.find(s);
  if (it == class_of_.end()) return std::nullopt;
  const uint32_t id = it->second;
  Class& c = classes_[id];
  class_of_.erase(it);
  if (c.rep != s) {  // A copy.
    --c.live;
    --copies_;
    if (c.live == 0) class_of_.erase(c.rep);  // The representative stands alone.
    return std::nullopt;
  }
  // The representative: the earliest live copy takes its place. (A live class has at
  // least one live copy: the class is dropped when its last one goes.)
  while (c.head < c.copies.size()) {
    const DocIndex next = c.copies[c.head++];
    if (!Member(next, id)) continue;  // Removed earlier.
    c.rep = next;
    --c.live;
    --copies_;
    if (c.live == 0) class_of_.erase(next);
    return next;
  }
  return std::nullopt;
}

void CopyClasses::Renumber(absl::Span<const DocIndex> new_slot) {
  std::vector<Class> classes;
  absl::flat_hash_map<DocIndex, uint32_t> class_of;
  for (uint32_t id = 0; id < classes_.size(); ++id) {
    const Class& c = classes_[id];
    if (!Member(c.rep, id)) continue;  // Dropped.
    Class moved{new_slot[c.rep], {}, 0, 0};
    const uint32_t new_id = static_cast<uint32_t>(classes.size());
    class_of.emplace(moved.rep, new_id);
    for (size_t i = c.head; i < c.copies.size(); ++i) {
      if (!Member(c.copies[i], id)) continue;
      moved.copies.push_back(new_slot[c.copies[i]]);
      class_of.emplace(moved.copies.back(), new_id);
    }
    moved.live = static_cast<uint32_t>(moved.copies.size());
    classes.push_back(std::move(moved));
  }
  classes_ = std::move(classes);
  class_of_ = std::move(class_of);
}

void CopyClasses::Clear() {
  class_of_.clear();
  classes_.clear();
  copies_ = 0;
}

}  // namespace dedup::internal
