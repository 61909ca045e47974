// The LSH band tables as they were before the compact layout (dedup/lsh_index.h), kept
// here only as a same-run reference for bench/lsh_index_benchmark.cc and
// bench/lsh_scale_bench.cc: per band an absl::flat_hash_map from the 64-bit band key to
// the head of a chain in one shared vector of {doc, next} entries. Band keys are
// computed by dedup::LshIndex::BandKey, so both layouts see the same keys.
#ifndef DEDUP_BENCH_LSH_REFERENCE_INDEX_H_
#define DEDUP_BENCH_LSH_REFERENCE_INDEX_H_

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "dedup/lsh_index.h"

namespace dedup::bench_util {

class ChainedLshIndex {
 public:
  ChainedLshIndex(const LshParams& params, int num_perm)
      : keys_(*LshIndex::Create(params, num_perm)), tables_(params.bands) {}

  void Insert(DocIndex doc, const SketchedDocument& sketch) {
    ++size_;
    if (sketch.num_shingles == 0) return;
    const uint32_t* sig = sketch.signature.values().data();
    for (int band = 0; band < keys_->params().bands; ++band) {
      auto [it, inserted] = tables_[band].try_emplace(keys_->BandKey(sig, band), kNone);
      entries_.push_back(Entry{doc, it->second});
      it->second = static_cast<uint32_t>(entries_.size() - 1);
    }
  }

  void Query(const SketchedDocument& sketch, std::vector<DocIndex>* out) const {
    if (sketch.num_shingles == 0) return;
    const uint32_t* sig = sketch.signature.values().data();
    const size_t first = out->size();
    for (int band = 0; band < keys_->params().bands; ++band) {
      auto it = tables_[band].find(keys_->BandKey(sig, band));
      if (it == tables_[band].end()) continue;
      for (uint32_t e = it->second; e != kNone; e = entries_[e].next) out->push_back(entries_[e].doc);
    }
    std::sort(out->begin() + first, out->end());
    out->erase(std::unique(out->begin() + first, out->end()), out->end());
  }

  size_t size() const { return size_; }

 private:
  struct Entry {
    DocIndex doc;
    uint32_t next;
  };
  static constexpr uint32_t kNone = 0xFFFFFFFFu;

  std::unique_ptr<LshIndex> keys_;  // Only for BandKey().
  size_t size_ = 0;
  std::vector<absl::flat_hash_map<uint64_t, uint32_t>> tables_;
  std::vector<Entry> entries_;
};

}  // namespace dedup::bench_util

#endif  // DEDUP_BENCH_LSH_REFERENCE_INDEX_H_
