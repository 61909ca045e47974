#include "dedup/boilerplate.h"

#include <algorithm>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"
#include "oneapi/tbb/parallel_for.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace dedup {
namespace {

constexpr uint64_t kLineSeed = 0x6c696e65;    // "line"
constexpr uint64_t kSourceSeed = 0x736f7572;  // "sour"
constexpr uint64_t kEdge = 0;                 // Document start/end as a neighbour.

// How FindInScope spreads a scope over threads. The corpus scope holds every line of the
// run (4M at 100k articles), so a single task for it would make the boilerplate pass
// serial. Keys are split into shards by their high bits; each shard's tables are built
// by one task that scans all the scope's documents and handles its own keys only.
// Scanning is cheap next to the hash-table work it leaves to other tasks, and every key's
// statistics are still gathered in document order by one task, so the result does not
// depend on the number of shards or threads.
constexpr size_t kMaxShards = 16;

// Finds the boilerplate lines among documents `docs` (indexes into the detector's
// arrays), counting document frequency within that scope only. Runs in parallel
// (oneTBB) for large scopes.
template <typename GetKeys>
absl::flat_hash_set<uint64_t> FindInScope(const std::vector<size_t>& docs, GetKeys keys_of, int min_docs,
                                          int min_contexts, double block_adjacency, double block_df_ratio,
                                          size_t lines_per_shard) {
  absl::flat_hash_set<uint64_t> result;
  if (docs.size() < static_cast<size_t>(min_docs)) return result;
  std::vector<size_t> first_line(docs.size() + 1, 0);  // Line positions of the scope.
  for (size_t i = 0; i < docs.size(); ++i) {
    auto [begin, end, open] = keys_of(docs[i]);
    (void)open;
    first_line[i + 1] = first_line[i] + static_cast<size_t>(end - begin);
  }
  const size_t lines = first_line.back();
  const size_t shards = std::clamp<size_t>(lines / std::max<size_t>(lines_per_shard, 1), 1, kMaxShards);
  auto shard_of = [shards](uint64_t k) { return static_cast<size_t>(((k >> 32) * shards) >> 32); };

  // 1. Document frequency: per shard, key -> {documents, the last document counted}
  // (a line repeated within a document counts once). Keys are prefetched a document at
  // a time so that the tables' cache misses overlap.
  struct Frequency {
    uint32_t docs = 0;
    uint32_t last = UINT32_MAX;
  };
  std::vector<absl::flat_hash_map<uint64_t, Frequency>> df(shards);
  tbb::parallel_for(size_t{0}, shards, [&](size_t shard) {
    absl::flat_hash_map<uint64_t, Frequency>& table = df[shard];
    for (size_t i = 0; i < docs.size(); ++i) {
      auto [begin, end, open] = keys_of(docs[i]);
      (void)open;
      for (const uint64_t* k = begin; k != end; ++k) {
        if (shard_of(*k) == shard) table.prefetch(*k);
      }
      for (const uint64_t* k = begin; k != end; ++k) {
        if (shard_of(*k) != shard) continue;
        Frequency& f = table[*k];
        if (f.last != i) f.last = static_cast<uint32_t>(i), ++f.docs;
      }
    }
  });
  auto df_of = [&](uint64_t k) -> uint32_t {
    const auto& table = df[shard_of(k)];
    auto it = table.find(k);
    return it == table.end() ? 0 : it->second.docs;
  };
  // What pass 2 asks of every line position: is its document frequency 1 (kUnique), and
  // is it at least min_docs (kFrequent)? Two bits: with min_docs 1 a line is both.
  enum : uint8_t { kUnique = 1, kFrequent = 2 };
  std::vector<uint8_t> df_at(lines);
  tbb::parallel_for(tbb::blocked_range<size_t>(0, docs.size(), 256), [&](const tbb::blocked_range<size_t>& r) {
    for (size_t i = r.begin(); i != r.end(); ++i) {
      auto [begin, end, open] = keys_of(docs[i]);
      (void)open;
      for (const uint64_t* k = begin; k != end; ++k) df[shard_of(*k)].prefetch(*k);
      uint8_t* out = df_at.data() + first_line[i];
      for (const uint64_t* k = begin; k != end; ++k) {
        const uint32_t f = df_of(*k);
        *out++ = static_cast<uint8_t>((f >= static_cast<uint32_t>(min_docs) ? kFrequent : 0) | (f == 1 ? kUnique : 0));
      }
    }
  });

  // 2. Per frequent line: distinct unique neighbours (df 1 in the scope) on each side,
  // capped at min_contexts; on each side, in how many occurrences the document edge is
  // reached through frequent lines only; and adjacency counts with its neighbours.
  struct Stats {
    std::vector<uint64_t> unique_before, unique_after;
    uint32_t occurrences = 0, edge_before = 0, edge_after = 0;
  };
  struct ShardStats {
    absl::flat_hash_map<uint64_t, Stats> stats;
    absl::flat_hash_map<std::pair<uint64_t, uint64_t>, uint32_t> adjacent;  // (line, neighbour) -> count
  };
  std::vector<ShardStats> shard_stats(shards);
  tbb::parallel_for(size_t{0}, shards, [&](size_t shard) {
    ShardStats& out = shard_stats[shard];
    std::vector<char> reach_start, reach_end;
    for (size_t d = 0; d < docs.size(); ++d) {
      auto [begin, end, opening] = keys_of(docs[d]);
      const size_t n = static_cast<size_t>(end - begin);
      const uint8_t* freq = df_at.data() + first_line[d];
      auto is_frequent = [&](size_t i) { return (freq[i] & kFrequent) != 0; };
      bool any = false;
      for (size_t i = 0; i < n && !any; ++i) any = is_frequent(i) && shard_of(begin[i]) == shard;
      if (!any) continue;
      reach_start.assign(n, 0);
      reach_end.assign(n, 0);
      for (size_t i = 0; i < n; ++i) reach_start[i] = i == 0 || (is_frequent(i - 1) && reach_start[i - 1]);
      for (size_t i = n; i-- > 0;) reach_end[i] = i + 1 == n || (is_frequent(i + 1) && reach_end[i + 1]);
      for (size_t i = 0; i < n; ++i) {
        if (!is_frequent(i) || shard_of(begin[i]) != shard) continue;
        const uint64_t k = begin[i];
        Stats& s = out.stats[k];
        ++s.occurrences;
        s.edge_before += reach_start[i];
        s.edge_after += reach_end[i];
        for (int side = 0; side < 2; ++side) {
          const bool before = side == 0;
          const size_t j = before ? i - 1 : i + 1;  // Wraps to a huge value before the start.
          if (j >= n) continue;
          const uint64_t nb = begin[j];
          if (nb == k) continue;
          // Blocks grow from a boilerplate line to frequent neighbours only (stage 3), so
          // only pairs of frequent lines are counted.
          if (is_frequent(j)) ++out.adjacent[{k, nb}];
          // Distinct contexts are counted by the neighbours' openings (see LineKeys).
          std::vector<uint64_t>& v = before ? s.unique_before : s.unique_after;
          if ((freq[j] & kUnique) != 0 && v.size() < static_cast<size_t>(min_contexts) &&
              std::find(v.begin(), v.end(), opening[j]) == v.end()) {
            v.push_back(opening[j]);
          }
        }
      }
    }
  });
  // Seeds: many unique neighbours on one side, and the document's edge on the other
  // (reached through recurring lines only) in at least half of the occurrences. A
  // syndicated article copied under rare site chrome has unique neighbours on BOTH
  // sides, so it is not mistaken for a header or footer.
  std::vector<uint64_t> queue;
  const size_t need = static_cast<size_t>(min_contexts);
  for (const ShardStats& shard : shard_stats) {
    for (const auto& [k, s] : shard.stats) {
      const bool footer = s.unique_before.size() >= need && 2 * s.edge_after >= s.occurrences;
      const bool header = s.unique_after.size() >= need && 2 * s.edge_before >= s.occurrences;
      if (footer || header) {
        result.insert(k);
        queue.push_back(k);
      }
    }
  }
  std::sort(queue.begin(), queue.end());  // Deterministic growth order.
  // 3. Blocks: grow from boilerplate lines to the frequent lines that stand next to them.
  absl::flat_hash_map<uint64_t, std::vector<std::pair<uint64_t, uint32_t>>> neighbours;  // b -> (line, count)
  for (const ShardStats& shard : shard_stats) {
    for (const auto& [pair, count] : shard.adjacent) neighbours[pair.second].emplace_back(pair.first, count);
  }
  while (!queue.empty()) {
    const uint64_t b = queue.back();
    queue.pop_back();
    auto it = neighbours.find(b);
    if (it == neighbours.end()) continue;
    const uint32_t fb = df_of(b);
    for (const auto& [line, count] : it->second) {
      if (result.contains(line)) continue;
      const uint32_t fl = df_of(line);
      if (fl < static_cast<uint32_t>(min_docs)) continue;
      if (count >= block_adjacency * fl && fl >= block_df_ratio * fb) {
        result.insert(line);
        queue.push_back(line);
      }
    }
  }
  return result;
}

}  // namespace

absl::Status ValidateBoilerplateOptions(const BoilerplateOptions& o) {
  if (o.min_docs < 2 || o.min_source_docs < 2) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "boilerplate minimum document counts must be at least 2 (got %d and %d)", o.min_docs, o.min_source_docs));
  }
  if (o.min_contexts < 1 || o.min_source_contexts < 1) {
    return absl::InvalidArgumentError("boilerplate minimum context counts must be at least 1");
  }
  if (!(o.block_adjacency > 0 && o.block_adjacency <= 1) || !(o.block_df_ratio > 0 && o.block_df_ratio <= 1)) {
    return absl::InvalidArgumentError("boilerplate block ratios must be in (0, 1]");
  }
  return absl::OkStatus();
}

uint64_t LineKey(const TokenizedText& t, size_t first, size_t end) {
  if (first >= end) return kEdge;
  uint64_t k = XXH3_64bits_withSeed(t.text.data() + t.starts[first], t.end(end - 1) - t.starts[first], kLineSeed);
  return k == kEdge ? 1 : k;  // kEdge is reserved.
}

uint64_t SourceKey(std::string_view source) {
  if (source.empty()) return 0;
  uint64_t k = XXH3_64bits_withSeed(source.data(), source.size(), kSourceSeed);
  return k == 0 ? 1 : k;
}

LineKeys ComputeLineKeys(const TokenizedText& t) {
  LineKeys keys;
  keys.lines.reserve(t.lines.size());
  keys.openings.reserve(t.lines.size());
  for (size_t i = 0; i < t.lines.size(); ++i) {
    const size_t first = t.lines[i], end = t.line_end(i);
    keys.lines.push_back(LineKey(t, first, end));
    keys.openings.push_back(LineKey(t, first, std::min(end, first + kOpeningTokens)));
  }
  return keys;
}

bool BoilerplateModel::IsBoilerplate(uint64_t source_key, uint64_t line_key) const {
  if (corpus_.contains(line_key)) return true;
  return source_key != 0 && per_source_.contains({source_key, line_key});
}

void BoilerplateDetector::AddLineKeys(uint64_t source_key, const LineKeys& keys) {
  sources_.push_back(source_key);
  keys_.insert(keys_.end(), keys.lines.begin(), keys.lines.end());
  openings_.insert(openings_.end(), keys.openings.begin(), keys.openings.end());
  offsets_.push_back(keys_.size());
}

void BoilerplateDetector::AddDocument(std::string_view source, const TokenizedText& tokens) {
  AddLineKeys(SourceKey(source), ComputeLineKeys(tokens));
}

BoilerplateModel BoilerplateDetector::Build(size_t lines_per_shard) const {
  BoilerplateModel model;
  if (!options_.enabled) return model;
  auto keys_of = [&](size_t d) {
    return std::make_tuple(keys_.data() + offsets_[d], keys_.data() + offsets_[d + 1], openings_.data() + offsets_[d]);
  };
  // Scope 0 is the whole corpus; scopes 1.. are the sources (documents grouped by source
  // key, in input order). The scopes are independent, so they are searched in parallel
  // (in the caller's task arena); the result is a set, the same for any thread count.
  std::vector<std::pair<uint64_t, std::vector<size_t>>> scopes(1);
  scopes[0].second.resize(sources_.size());
  for (size_t d = 0; d < sources_.size(); ++d) scopes[0].second[d] = d;
  {
    absl::flat_hash_map<uint64_t, size_t> scope_of;
    for (size_t d = 0; d < sources_.size(); ++d) {
      if (sources_[d] == 0) continue;
      auto [it, inserted] = scope_of.try_emplace(sources_[d], scopes.size());
      if (inserted) scopes.push_back({sources_[d], {}});
      scopes[it->second].second.push_back(d);
    }
  }
  std::vector<absl::flat_hash_set<uint64_t>> found(scopes.size());
  tbb::parallel_for(size_t{0}, scopes.size(), [&](size_t i) {
    const bool corpus = i == 0;
    found[i] = FindInScope(scopes[i].second, keys_of, corpus ? options_.min_docs : options_.min_source_docs,
                           corpus ? options_.min_contexts : options_.min_source_contexts,
                           options_.block_adjacency, options_.block_df_ratio, lines_per_shard);
  });
  model.corpus_ = std::move(found[0]);
  for (size_t i = 1; i < scopes.size(); ++i) {
    for (uint64_t line : found[i]) {
      if (!model.corpus_.contains(line)) model.per_source_.insert({scopes[i].first, line});
    }
  }
  return model;
}

int StripBoilerplate(const TokenizedText& in, const BoilerplateModel& model, uint64_t source_key,
                     TokenizedText* out, std::vector<std::pair<size_t, size_t>>* removed) {
  out->clear();
  if (removed) removed->clear();
  std::vector<uint8_t> drop(in.lines.size(), 0);
  size_t dropped = 0;
  if (!model.empty()) {
    for (size_t i = 0; i < in.lines.size(); ++i) {
      drop[i] = model.IsBoilerplate(source_key, LineKey(in, in.lines[i], in.line_end(i)));
      dropped += drop[i];
    }
  }
  if (dropped == 0 || dropped == in.lines.size()) {
    *out = in;
    return 0;
  }
  // A line's tokens are one contiguous span of in.text (single spaces between them), so
  // each kept line is copied whole and its token starts shifted by one offset.
  out->text.reserve(in.text.size());
  out->starts.reserve(in.starts.size());
  for (size_t i = 0; i < in.lines.size(); ++i) {
    const size_t first = in.lines[i], end = in.line_end(i);
    if (drop[i]) {
      if (removed) removed->emplace_back(first, end);
      continue;
    }
    if (!out->text.empty()) out->text.push_back(' ');
    out->lines.push_back(static_cast<uint32_t>(out->starts.size()));
    const size_t from = in.starts[first], to = in.end(end - 1);
    const uint32_t shift = static_cast<uint32_t>(out->text.size()) - static_cast<uint32_t>(from);
    out->text.append(in.text, from, to - from);
    for (size_t t = first; t < end; ++t) out->starts.push_back(in.starts[t] + shift);  // Wraps mod 2^32: exact.
  }
  return static_cast<int>(dropped);
}

}  // namespace dedup
