// CopyClasses (dedup/internal/copy_classes.h) against a plain model: random Add, Remove,
// Join and Renumber, checking RepOf, IsCopy, CopyCount and copies() after every step. Run
// under ASan by the README's test command, which also catches a map entry read after the
// map rehashed.
#include "dedup/internal/copy_classes.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <vector>

namespace dedup::internal {
namespace {

uint64_t Next(uint64_t* s) {
  *s += 0x9E3779B97F4A7C15ull;
  uint64_t z = *s;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// The model: each live document's class as the set of its live members; a class's
// representative is its smallest member.
struct Model {
  std::map<DocIndex, std::set<DocIndex>*> class_of;
  std::vector<std::unique_ptr<std::set<DocIndex>>> classes;
  std::set<DocIndex>* NewClass(DocIndex d) {
    classes.push_back(std::make_unique<std::set<DocIndex>>(std::set<DocIndex>{d}));
    return class_of[d] = classes.back().get();
  }
};

void ExpectSame(const CopyClasses& got, const Model& m, const std::string& where) {
  int64_t copies = 0;
  for (const auto& [d, members] : m.class_of) {
    const DocIndex rep = *members->begin();
    ASSERT_EQ(got.RepOf(d), rep) << where << " doc " << d;
    ASSERT_EQ(got.IsCopy(d), d != rep) << where << " doc " << d;
    if (d == rep) {
      ASSERT_EQ(got.CopyCount(d), members->size() - 1) << where << " doc " << d;
      copies += static_cast<int64_t>(members->size()) - 1;
    }
  }
  ASSERT_EQ(got.copies(), copies) << where;
}

TEST(CopyClassesTest, MatchesAModelThroughAddRemoveJoinAndRenumber) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    uint64_t s = seed;
    CopyClasses got;
    Model m;
    DocIndex next = 0;
    for (int step = 0; step < 3000; ++step) {
      const std::string where = "seed " + std::to_string(seed) + " step " + std::to_string(step);
      const uint64_t op = Next(&s) % 100;
      if (op < 45 || m.class_of.empty()) {  // A new document: alone, or a copy of a live representative.
        const DocIndex d = next++;
        if (!m.class_of.empty() && Next(&s) % 3 != 0) {
          auto it = m.class_of.begin();
          std::advance(it, static_cast<long>(Next(&s) % m.class_of.size()));
          std::set<DocIndex>* members = it->second;
          got.Add(*members->begin(), d);
          members->insert(d);
          m.class_of[d] = members;
        } else {
          m.NewClass(d);
        }
      } else if (op < 80) {  // Remove a live document (often a representative).
        auto it = m.class_of.begin();
        std::advance(it, static_cast<long>(Next(&s) % m.class_of.size()));
        const DocIndex d = it->first;
        std::set<DocIndex>* members = it->second;
        const bool was_rep = d == *members->begin();
        members->erase(d);
        m.class_of.erase(it);
        const std::optional<DocIndex> promoted = got.Remove(d);
        if (was_rep && !members->empty()) {
          ASSERT_TRUE(promoted.has_value()) << where;
          EXPECT_EQ(*promoted, *members->begin()) << where;
        } else {
          EXPECT_FALSE(promoted.has_value()) << where;
        }
      } else if (op < 95) {  // Join two representatives.
        std::vector<DocIndex> reps;
        for (const auto& [d, members] : m.class_of) {
          if (d == *members->begin()) reps.push_back(d);
        }
        if (reps.size() < 2) continue;
        const DocIndex a = reps[Next(&s) % reps.size()], b = reps[Next(&s) % reps.size()];
        if (a == b) continue;
        std::set<DocIndex>* into = m.class_of[std::min(a, b)];
        std::set<DocIndex>* from = m.class_of[std::max(a, b)];
        EXPECT_EQ(got.Join(a, b), std::max(a, b)) << where;
        for (DocIndex x : *from) {
          into->insert(x);
          m.class_of[x] = into;
        }
        from->clear();
      } else {  // Compact: live documents renumbered in order.
        std::vector<DocIndex> new_slot(next, 0);
        std::map<DocIndex, std::set<DocIndex>*> renumbered;
        std::map<std::set<DocIndex>*, std::set<DocIndex>*> moved;
        Model fresh;
        DocIndex n = 0;
        for (const auto& [d, members] : m.class_of) new_slot[d] = n++;
        got.Renumber(new_slot);
        for (const auto& [d, members] : m.class_of) {
          auto [it, is_new] = moved.try_emplace(members, nullptr);
          if (is_new) {
            fresh.classes.push_back(std::make_unique<std::set<DocIndex>>());
            it->second = fresh.classes.back().get();
          }
          it->second->insert(new_slot[d]);
          fresh.class_of[new_slot[d]] = it->second;
        }
        m = std::move(fresh);
        next = n;
      }
      ExpectSame(got, m, where);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
}

}  // namespace
}  // namespace dedup::internal
