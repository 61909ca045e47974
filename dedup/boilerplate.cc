#include "dedup/boilerplate.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <span>
#include <bit>
#include <functional>
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define DEDUP_CONTEXT_AVX512 1
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <memory>
#include <tuple>
#include <type_traits>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/str_format.h"
#include "dedup/internal/context_simd.h"
#include "oneapi/tbb/parallel_for.h"
#include "oneapi/tbb/task_arena.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace dedup {
namespace {

constexpr uint64_t kLineSeed = 0x6c696e65;    // "line"
constexpr uint64_t kSourceSeed = 0x736f7572;  // "sour"
constexpr uint64_t kEdge = 0;                 // Document start/end as a neighbour.

constexpr uint64_t kContextSeed = 0x63747874;  // "ctxt"

// How a scope's search spreads over threads. The corpus scope holds every line of the
// run (2.3M at 100k generated articles), so a single task for it would make the
// boilerplate pass serial. Keys are split into shards by their high bits; each shard's
// tables are built by one task that scans all the scope's documents and handles its own
// keys only. Every shard scans every line, so there are no more shards than threads.
// Every key's statistics are still gathered in document order by one task, so the
// result does not depend on the number of shards or threads.
constexpr size_t kMaxShards = 16;

// A token's hash for context shingles. Most tokens fit in 8 bytes: those are read as a
// little-endian number (the same on every platform) and mixed by two multiplies, which
// costs a fraction of an XXH3 call; longer tokens take XXH3. `end` bounds the buffer: a
// token with 8 readable bytes from its start is read by one load and masked.
inline uint64_t ContextTokenHash(const char* p, size_t n, const char* end) {
  if (n > 8) return XXH3_64bits_withSeed(p, n, kContextSeed);
  uint64_t v = 0;
  if (end - p >= 8) {
    std::memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    if (n < 8) v &= (uint64_t{1} << (8 * n)) - 1;
  } else {
    for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  }
  v = (v ^ (static_cast<uint64_t>(n) << 59) ^ kContextSeed) * 0xBF58476D1CE4E5B9ull;
  v ^= v >> 31;
  v *= 0x94D049BB133111EBull;
  return v ^ (v >> 29);
}

// Bit i set where a[i] == b[i], for the 64 slots; `b` is a pointer, or a value for all.
template <typename B>
inline uint64_t EqualMask(const uint16_t* a, B b) {
  constexpr bool kScalar = std::is_same_v<B, uint16_t>;
  uint64_t mask = 0;
#if defined(__SSE2__)
  for (int i = 0; i < kContextSlots / 8; ++i) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a + 8 * i));
    __m128i y;
    if constexpr (kScalar) {
      y = _mm_set1_epi16(static_cast<short>(b));
    } else {
      y = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 8 * i));
    }
    const __m128i eq = _mm_packs_epi16(_mm_cmpeq_epi16(x, y), _mm_setzero_si128());
    mask |= static_cast<uint64_t>(_mm_movemask_epi8(eq) & 0xFF) << (8 * i);
  }
#else
  for (int i = 0; i < kContextSlots; ++i) {
    if constexpr (kScalar) {
      mask |= static_cast<uint64_t>(a[i] == b) << i;
    } else {
      mask |= static_cast<uint64_t>(a[i] == b[i]) << i;
    }
  }
#endif
  return mask;
}

// The detector's arrays, as the search reads them: document d's DocKeys.
struct DocArrays {
  const uint64_t* keys;
  const uint32_t* shingles;
  const size_t* offsets;
  const uint32_t* totals;
  const ContextSketch* contexts;
  DocKeys operator()(size_t d) const {
    return DocKeys{keys + offsets[d], shingles + offsets[d], static_cast<uint32_t>(offsets[d + 1] - offsets[d]),
                   totals[d], contexts + d};
  }
};

// One bit per line position.
struct Bits {
  std::vector<uint64_t> words;
  void assign(size_t n) { words.assign((n + 63) / 64, 0); }
  bool operator[](size_t i) const { return words[i >> 6] >> (i & 63) & 1; }
  // Sets bit i from one of several tasks that write bits of the same words.
  void SetShared(size_t i) {
    std::atomic_ref<uint64_t>(words[i >> 6]).fetch_or(uint64_t{1} << (i & 63), std::memory_order_relaxed);
  }
};

// A round's chrome per document of the run (what FlagLines() gives, kept small): a bit
// per line of the run. The keys, slots and shingle counts FlaggedLines holds are read
// from the document when needed.
struct Flags {
  Bits chrome;
  const size_t* offsets = nullptr;  // The detector's: document d's lines [offsets[d], offsets[d + 1]).
  // Document d's flagged lines, as indexes.
  void Of(size_t d, absl::InlinedVector<uint32_t, 32>* out) const {
    out->clear();
    const size_t first = offsets[d], end = offsets[d + 1];
    for (size_t w = first >> 6; w << 6 < end; ++w) {
      uint64_t bits = chrome.words[w];
      if ((w << 6) < first) bits &= ~uint64_t{0} << (first & 63);
      if ((w << 6) + 64 > end) bits &= ~(~uint64_t{0} << (end & 63));
      for (; bits != 0; bits &= bits - 1) out->push_back(static_cast<uint32_t>((w << 6) + std::countr_zero(bits) - first));
    }
  }
};

// SameContext's estimate, once the slots to skip and the context sizes are known.
inline ContextMatch EstimateMatch(const ContextSketch& x, const ContextSketch& y, uint64_t skip, double na,
                                  double nb, double containment) {
  const uint64_t empty_x = EqualMask(x.line.data(), ContextSketch::kEmpty);
  const uint64_t empty_y = EqualMask(y.line.data(), ContextSketch::kEmpty);
  const uint64_t usable_slots = ~skip & ~(empty_x & empty_y);
  const uint64_t matching = usable_slots & ~empty_x & ~empty_y & EqualMask(x.value.data(), y.value.data());
  const int usable = std::popcount(usable_slots), matches = std::popcount(matching);
  if (usable < kMinContextSlots) return ContextMatch::kUnknown;  // Never evidence of chrome.
  if (na <= 0 || nb <= 0) return ContextMatch::kUnknown;
  const double j = static_cast<double>(matches) / usable;
  const double shared = j * (na + nb) / (1 + j);
  return shared >= containment * std::min(na, nb) ? ContextMatch::kSame : ContextMatch::kDifferent;
}

// "The same" for the batch search: unknown counts as the same.
inline bool SameEstimate(const ContextSketch& x, const ContextSketch& y, uint64_t skip, double na, double nb,
                         double containment) {
  return EstimateMatch(x, y, skip, na, nb, containment) != ContextMatch::kDifferent;
}

// LeftOut() for Flags: the flagged lines `fx` of x whose keys are not among those of
// the flagged lines `fy` of y.
inline void LeftOutLines(const DocKeys& x, std::span<const uint32_t> fx, const DocKeys& y,
                         std::span<const uint32_t> fy, uint64_t* slots, double* shingles) {
  for (uint32_t i : fx) {
    const uint64_t key = x.lines[i];
    bool shared = false;
    for (uint32_t j : fy) {
      if (y.lines[j] == key) {
        shared = true;
        break;
      }
    }
    if (shared) continue;
    *slots |= x.context->OwnedBy(i);
    *shingles += x.shingles[i];
  }
}

// SameContext() with the flagged lines as Flags give them: the same answer.
inline bool SameContextOf(const DocKeys& a, size_t line_a, std::span<const uint32_t> fa, const DocKeys& b,
                          size_t line_b, std::span<const uint32_t> fb, double containment) {
  uint64_t skip = a.context->OwnedBy(line_a) | b.context->OwnedBy(line_b);
  double na = static_cast<double>(a.total_shingles) - a.shingles[line_a];
  double nb = static_cast<double>(b.total_shingles) - b.shingles[line_b];
  if (!fa.empty() || !fb.empty()) {
    double out_a = 0, out_b = 0;
    LeftOutLines(a, fa, b, fb, &skip, &out_a);
    LeftOutLines(b, fb, a, fa, &skip, &out_b);
    na -= out_a;
    nb -= out_b;
  }
  return SameEstimate(*a.context, *b.context, skip, na, nb, containment);
}

// The search in one scope (the corpus, or one source): document frequencies and the
// adjacency of frequent lines are counted once; Run() is one round of seeds and blocks.
class ScopeSearch {
 public:
  // `candidates`, when not null, marks per line of the run (the detector's order) the
  // only lines that can be frequent here: those frequent in a larger scope at a count no
  // higher than min_docs.
  ScopeSearch(const DocArrays& all, std::vector<size_t> docs, int min_docs, int min_contexts,
              const BoilerplateOptions& options, size_t lines_per_shard, const Bits* candidates)
      : all_(all), docs_(std::move(docs)), min_docs_(min_docs), min_contexts_(min_contexts), options_(options) {
    if (docs_.size() < static_cast<size_t>(min_docs_)) return;
    first_line_.assign(docs_.size() + 1, 0);
    for (size_t i = 0; i < docs_.size(); ++i) first_line_[i + 1] = first_line_[i] + all_(docs_[i]).num_lines;
    const size_t lines = first_line_.back();
    // Every shard's task reads all the scope's lines: no more shards than threads.
    const size_t threads = static_cast<size_t>(std::max(1, tbb::this_task_arena::max_concurrency()));
    shards_ = std::clamp<size_t>(lines / std::max<size_t>(lines_per_shard, 1), 1, std::min(kMaxShards, threads));
    CountFrequencies(candidates);
    CountAdjacency();
  }

  // Per line of this scope (in its documents' order): frequent here?
  const Bits& frequent() const { return frequent_; }

  // One round: seeds among the frequent lines, their contexts leaving out the lines in
  // `flags` (per document of the run, or null: the previous round's chrome) that the
  // other document lacks; then blocks grown from the seeds. Returns them all. `changed`
  // (per document of the run, or null: all) marks the documents whose flags differ
  // from the previous round's: a line none of whose documents changed is compared
  // exactly as in the previous round, so it keeps its previous answer.
  absl::flat_hash_set<uint64_t> Run(const Flags* flags, const std::vector<uint8_t>* changed) {
    absl::flat_hash_set<uint64_t> result;
    if (docs_.size() < static_cast<size_t>(min_docs_)) return result;
    // Which lines to count: all (round 1, or when most documents changed), or those of
    // the changed documents, in one pass.
    absl::flat_hash_set<uint64_t> recount;
    bool all = changed == nullptr;
    if (!all) {
      size_t changed_docs = 0;
      for (size_t d : docs_) changed_docs += (*changed)[d];
      all = 2 * changed_docs > docs_.size();
      if (!all) {
        for (size_t i = 0; i < docs_.size(); ++i) {
          if (!(*changed)[docs_[i]]) continue;
          const std::span<const uint64_t> keys = lines_of(i);
          for (size_t j = 0; j < keys.size(); ++j) {
            if (frequent_[first_line_[i] + j]) recount.insert(keys[j]);
          }
        }
        for (uint64_t k : recount) seeds_.erase(k);
      }
    }
    if (all) seeds_.clear();
    if (all || !recount.empty()) {
      // Each part of the keys is counted by one task that reads every document; as many
      // parts as threads (the answer does not depend on it).
      const size_t parts = all ? std::clamp<size_t>(tbb::this_task_arena::max_concurrency(), 1, shards_) : 1;
      std::vector<std::vector<uint64_t>> seeds(parts);
      tbb::parallel_for(size_t{0}, parts,
                        [&](size_t part) { seeds[part] = Seeds(part, parts, flags, all ? nullptr : &recount); });
      for (const std::vector<uint64_t>& s : seeds) seeds_.insert(s.begin(), s.end());
    }
    std::vector<uint64_t> queue;
    for (uint64_t k : seeds_) {
      if (result.insert(k).second) queue.push_back(k);
    }
    Grow(&result, &queue);
    return result;
  }

 private:
  std::span<const uint64_t> lines_of(size_t i) const {
    const DocKeys d = all_(docs_[i]);
    return {d.lines, d.num_lines};
  }
  size_t shard_of(uint64_t k) const { return static_cast<size_t>(((k >> 32) * shards_) >> 32); }
  uint32_t df_of(uint64_t k) const {
    const auto& table = df_[shard_of(k)];
    auto it = table.find(k);
    return it == table.end() ? 0 : it->second.docs;
  }

  // Document frequency: per shard, key -> {documents, the last document counted} (a line
  // repeated within a document counts once). Keys are prefetched a document at a time so
  // that the tables' cache misses overlap. Then one byte per line position: frequent?
  //
  // A line in min_docs >= 2 documents occurs at least min_docs times, so in the corpus
  // scope only the lines of buckets that were hit at least min(min_docs, 3) times are
  // counted: 4 buckets per line, each a 2-bit counter that stops at 3. This is exact for
  // the lines that occur fewer times, most of a corpus's (a few share a bucket with
  // others and are counted anyway), so the tables hold a small part of the lines.
  void CountFrequencies(const Bits* candidates) {
    const size_t lines = first_line_.back();
    df_.resize(shards_);
    frequent_.assign(lines);
    std::vector<uint64_t> counters;  // 32 buckets per word.
    uint64_t bucket_mask = 0;
    const uint64_t need = static_cast<uint64_t>(std::min(min_docs_, 3));
    if (min_docs_ >= 2 && candidates == nullptr) {
      size_t buckets = 64;
      while (buckets < 4 * lines) buckets *= 2;
      bucket_mask = buckets - 1;
      counters.assign(buckets / 32, 0);
      tbb::parallel_for(tbb::blocked_range<size_t>(0, docs_.size(), 1024), [&](const tbb::blocked_range<size_t>& r) {
        for (size_t i = r.begin(); i != r.end(); ++i) {
          for (uint64_t k : lines_of(i)) __builtin_prefetch(&counters[(k & bucket_mask) >> 5], 1);
          for (uint64_t k : lines_of(i)) {
            const uint64_t b = k & bucket_mask;
            const int shift = static_cast<int>(2 * (b & 31));
            std::atomic_ref<uint64_t> word(counters[b >> 5]);
            uint64_t w = word.load(std::memory_order_relaxed);
            while ((w >> shift & 3) < need &&
                   !word.compare_exchange_weak(w, w + (uint64_t{1} << shift), std::memory_order_relaxed)) {
            }
          }
        }
      });
    }
    auto repeated = [&](uint64_t k) {
      const uint64_t b = k & bucket_mask;
      return counters.empty() || (counters[b >> 5] >> (2 * (b & 31)) & 3) >= need;
    };
    tbb::parallel_for(size_t{0}, shards_, [&](size_t shard) {
      absl::flat_hash_map<uint64_t, Frequency>& table = df_[shard];
      for (size_t i = 0; i < docs_.size(); ++i) {
        const std::span<const uint64_t> keys = lines_of(i);
        const size_t run_line = all_.offsets[docs_[i]];
        auto counted = [&](size_t j) {
          return shard_of(keys[j]) == shard && (!candidates || (*candidates)[run_line + j]) && repeated(keys[j]);
        };
        for (size_t j = 0; j < keys.size(); ++j) {
          if (counted(j)) table.prefetch(keys[j]);
        }
        for (size_t j = 0; j < keys.size(); ++j) {
          if (!counted(j)) continue;
          Frequency& f = table[keys[j]];
          if (f.last != i) f.last = static_cast<uint32_t>(i), ++f.docs;
        }
      }
      // Only frequent lines are read from here on (block growth): drop the rest, most of
      // the corpus's lines, so that every scope's tables can stay alive across rounds.
      absl::erase_if(table, [&](const auto& entry) { return entry.second.docs < static_cast<uint32_t>(min_docs_); });
      table.rehash(0);
    });
    std::vector<uint64_t>().swap(counters);
    // Marks: the tables now hold only frequent lines.
    tbb::parallel_for(tbb::blocked_range<size_t>(0, docs_.size(), 256), [&](const tbb::blocked_range<size_t>& r) {
      for (size_t i = r.begin(); i != r.end(); ++i) {
        const std::span<const uint64_t> keys = lines_of(i);
        for (size_t j = 0; j < keys.size(); ++j) {
          if (df_[shard_of(keys[j])].contains(keys[j])) frequent_.SetShared(first_line_[i] + j);
        }
      }
    });
  }

  // (line, neighbour) -> count, for pairs of frequent lines: the only ones block growth
  // reads. Gathered per shard of the line, then indexed by neighbour.
  void CountAdjacency() {
    std::vector<absl::flat_hash_map<std::pair<uint64_t, uint64_t>, uint32_t>> adjacent(shards_);
    tbb::parallel_for(size_t{0}, shards_, [&](size_t shard) {
      for (size_t d = 0; d < docs_.size(); ++d) {
        const std::span<const uint64_t> keys = lines_of(d);
        auto freq = [&](size_t i) { return frequent_[first_line_[d] + i]; };
        for (size_t i = 0; i < keys.size(); ++i) {
          if (!freq(i) || shard_of(keys[i]) != shard) continue;
          if (i > 0 && freq(i - 1) && keys[i - 1] != keys[i]) ++adjacent[shard][{keys[i], keys[i - 1]}];
          if (i + 1 < keys.size() && freq(i + 1) && keys[i + 1] != keys[i]) ++adjacent[shard][{keys[i], keys[i + 1]}];
        }
      }
    });
    for (const auto& shard : adjacent) {
      for (const auto& [pair, count] : shard) neighbours_[pair.second].emplace_back(pair.first, count);
    }
    for (auto& [b, v] : neighbours_) std::sort(v.begin(), v.end());  // Deterministic growth order.
  }

  // The frequent lines of one part of the keys (or only those in `recount`) with at
  // least min_contexts different contexts, counted greedily in document order.
  std::vector<uint64_t> Seeds(size_t part, size_t parts, const Flags* flags,
                              const absl::flat_hash_set<uint64_t>* recount) const {
    struct Kept {
      uint32_t doc, line;
    };
    const size_t need = static_cast<size_t>(min_contexts_);
    absl::InlinedVector<uint32_t, 32> flags_i, flags_k;  // Flagged lines of document i and of a kept one.
    absl::flat_hash_map<uint64_t, absl::InlinedVector<Kept, 4>> contexts;
    for (size_t i = 0; i < docs_.size(); ++i) {
      const DocKeys doc = all_(docs_[i]);
      bool flags_i_read = false;
      for (size_t j = 0; j < doc.num_lines; ++j) {
        if (!frequent_[first_line_[i] + j]) continue;
        const uint64_t key = doc.lines[j];
        if ((parts > 1 && (((key >> 32) * parts) >> 32) != part) || (recount && !recount->contains(key))) continue;
        absl::InlinedVector<Kept, 4>& kept = contexts[key];
        if (kept.size() >= need || (!kept.empty() && kept.back().doc == i)) continue;
        bool same = false;
        if (flags && !flags_i_read) flags->Of(docs_[i], &flags_i), flags_i_read = true;
        for (const Kept& k : kept) {
          if (flags) flags->Of(docs_[k.doc], &flags_k);
          same = SameContextOf(all_(docs_[k.doc]), k.line, flags_k, doc, j, flags_i, options_.context_containment);
          if (same) break;
        }
        if (!same) kept.push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(j)});
      }
    }
    std::vector<uint64_t> seeds;
    for (const auto& [k, kept] : contexts) {
      if (kept.size() >= need) seeds.push_back(k);
    }
    return seeds;
  }

  // Blocks: grow from chrome lines to the frequent lines that stand next to them.
  void Grow(absl::flat_hash_set<uint64_t>* result, std::vector<uint64_t>* queue) const {
    std::sort(queue->begin(), queue->end());  // Deterministic growth order.
    while (!queue->empty()) {
      const uint64_t b = queue->back();
      queue->pop_back();
      auto it = neighbours_.find(b);
      if (it == neighbours_.end()) continue;
      const uint32_t fb = df_of(b);
      for (const auto& [line, count] : it->second) {
        if (result->contains(line)) continue;
        const uint32_t fl = df_of(line);
        if (fl < static_cast<uint32_t>(min_docs_)) continue;
        if (count >= options_.block_adjacency * fl && fl >= options_.block_df_ratio * fb) {
          result->insert(line);
          queue->push_back(line);
        }
      }
    }
  }

  struct Frequency {
    uint32_t docs = 0;
    uint32_t last = UINT32_MAX;
  };
  const DocArrays all_;
  std::vector<size_t> docs_;  // Indexes into all_, in input order.
  int min_docs_, min_contexts_;
  BoilerplateOptions options_;
  size_t shards_ = 1;
  std::vector<size_t> first_line_;  // Line positions of the scope.
  std::vector<absl::flat_hash_map<uint64_t, Frequency>> df_;
  Bits frequent_;                   // Per line position of the scope.
  absl::flat_hash_map<uint64_t, std::vector<std::pair<uint64_t, uint32_t>>> neighbours_;  // b -> (line, count)
  absl::flat_hash_set<uint64_t> seeds_;  // The last round's seeds.
};

}  // namespace

absl::Status ValidateBoilerplateOptions(const BoilerplateOptions& o) {
  if (o.min_docs < 2 || o.min_source_docs < 2) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "boilerplate minimum document counts must be at least 2 (got %d and %d)", o.min_docs, o.min_source_docs));
  }
  if (o.min_contexts < 1 || o.min_source_contexts < 1 || o.min_contexts > kMaxBoilerplateContexts ||
      o.min_source_contexts > kMaxBoilerplateContexts) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "boilerplate minimum context counts must be in 1..%d (got %d and %d)", kMaxBoilerplateContexts,
        o.min_contexts, o.min_source_contexts));
  }
  if (!(o.context_containment > 0 && o.context_containment <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("boilerplate context containment must be in (0, 1] (got %g)", o.context_containment));
  }
  if (o.rounds < 1 || o.rounds > 8) {
    return absl::InvalidArgumentError(absl::StrFormat("boilerplate rounds must be in 1..8 (got %d)", o.rounds));
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

namespace {

constexpr uint64_t kTokenMix1 = 0xBF58476D1CE4E5B9ull, kTokenMix2 = 0x94D049BB133111EBull;
constexpr uint64_t kShingleMix = 0x9E3779B97F4A7C15ull;

#if defined(DEDUP_CONTEXT_AVX512)
// GCC 12's AVX-512 intrinsics start from _mm512_undefined_epi32(), which
// -Wmaybe-uninitialized reports at every use (a known false positive; as in minhash.cc).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
bool HasAvx512Dq() {
  static const bool has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
  return has;
}

// ContextTokenHash's short-token form for tokens [0, count) (count + 1 <= the number of
// tokens, each with 8 readable bytes from its start), 8 at a time; the tokens over 8
// bytes are appended to *slow (their hashes are left to the caller), which must have
// room for 16 more entries than there are tokens.
__attribute__((target("avx512f,avx512dq"))) size_t TokenHashesAvx512(const char* text, const uint32_t* starts,
                                                                     size_t count, uint64_t* hash, uint32_t* slow,
                                                                     size_t num_slow) {
  const __m512i ones = _mm512_set1_epi64(-1), sixty_four = _mm512_set1_epi64(64), eight = _mm512_set1_epi64(8);
  const __m512i seed = _mm512_set1_epi64(static_cast<long long>(kContextSeed));
  const __m512i mix1 = _mm512_set1_epi64(static_cast<long long>(kTokenMix1));
  const __m512i mix2 = _mm512_set1_epi64(static_cast<long long>(kTokenMix2));
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0);
  size_t k = 0;
  for (; k + 8 <= count; k += 8) {
    const __m512i from = _mm512_cvtepu32_epi64(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(starts + k)));
    const __m512i next = _mm512_cvtepu32_epi64(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(starts + k + 1)));
    const __m512i n = _mm512_sub_epi64(_mm512_sub_epi64(next, from), _mm512_set1_epi64(1));
    __m512i v = _mm512_i64gather_epi64(from, text, 1);
    const __m512i m = _mm512_min_epu64(n, eight);
    v = _mm512_and_si512(v, _mm512_srlv_epi64(ones, _mm512_sub_epi64(sixty_four, _mm512_slli_epi64(m, 3))));
    v = _mm512_xor_si512(v, _mm512_xor_si512(_mm512_slli_epi64(n, 59), seed));
    v = _mm512_mullo_epi64(v, mix1);
    v = _mm512_xor_si512(v, _mm512_srli_epi64(v, 31));
    v = _mm512_mullo_epi64(v, mix2);
    v = _mm512_xor_si512(v, _mm512_srli_epi64(v, 29));
    _mm512_storeu_si512(hash + k, v);
    // The longer tokens' indexes, appended without a branch (*slow has 16 spare entries).
    const __mmask8 longer = _mm512_cmpgt_epu64_mask(n, eight);
    const __m512i index = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(k)), lane);
    _mm512_storeu_si512(slow + num_slow, _mm512_maskz_compress_epi32(longer, index));
    num_slow += static_cast<size_t>(std::popcount(static_cast<unsigned>(longer)));
  }
  for (; k < count; ++k) {
    const size_t from = starts[k], n = starts[k + 1] - 1 - from;
    uint64_t v;
    std::memcpy(&v, text + from, 8);
    v &= ~uint64_t{0} >> (64 - 8 * std::min<size_t>(n, 8));
    v = (v ^ (static_cast<uint64_t>(n) << 59) ^ kContextSeed) * kTokenMix1;
    v ^= v >> 31;
    v *= kTokenMix2;
    hash[k] = v ^ (v >> 29);
    slow[num_slow] = static_cast<uint32_t>(k);
    num_slow += n > 8;
  }
  return num_slow;
}

// For t in [0, count): the 3-gram at t mixed (as in ComputeLineKeys) and packed as
// slot << 32 | value << 16. Reads hash[0, count + 2).
__attribute__((target("avx512f,avx512dq"))) void PackedShinglesAvx512(const uint64_t* hash, size_t count,
                                                                       uint64_t* packed) {
  const __m512i mix = _mm512_set1_epi64(static_cast<long long>(kShingleMix));
  const __m512i value_mask = _mm512_set1_epi64(0xFFFF0000);
  size_t t = 0;
  for (; t + 8 <= count; t += 8) {
    __m512i h = _mm512_loadu_si512(hash + t);
    h = _mm512_xor_si512(h, _mm512_rol_epi64(_mm512_loadu_si512(hash + t + 1), 21));
    h = _mm512_xor_si512(h, _mm512_rol_epi64(_mm512_loadu_si512(hash + t + 2), 42));
    h = _mm512_mullo_epi64(h, mix);
    const __m512i slot = _mm512_slli_epi64(_mm512_srli_epi64(h, 58), 32);
    const __m512i value = _mm512_and_si512(_mm512_srli_epi64(h, 16), value_mask);
    _mm512_storeu_si512(packed + t, _mm512_or_si512(slot, value));
  }
  for (; t < count; ++t) {
    const uint64_t h = (hash[t] ^ std::rotl(hash[t + 1], 21) ^ std::rotl(hash[t + 2], 42)) * kShingleMix;
    packed[t] = (h >> 58) << 32 | ((h >> 16) & 0xFFFF0000);
  }
}
#pragma GCC diagnostic pop
#endif

std::atomic<bool> allow_context_simd{true};

}  // namespace

namespace internal {
bool ContextSimdActive() {
#if defined(DEDUP_CONTEXT_AVX512)
  return HasAvx512Dq() && allow_context_simd.load(std::memory_order_relaxed);
#else
  return false;
#endif
}
void AllowContextSimd(bool allow) { allow_context_simd.store(allow, std::memory_order_relaxed); }
}  // namespace internal

static_assert(kContextShingleTokens == 3, "ComputeLineKeys mixes 3-grams");

LineKeys ComputeLineKeys(const TokenizedText& t) {
  LineKeys keys;
  const size_t num_lines = t.lines.size(), num_tokens = t.size();
  keys.lines.resize(num_lines);
  keys.shingles.resize(num_lines);
  if (num_tokens == 0) return keys;
  // Every token's hash first (ContextTokenHash, in a form without unpredictable
  // branches): tokens of up to 8 bytes with 8 readable bytes from their start take one
  // masked load; the others -- longer tokens (XXH3), the last bytes of the text -- are
  // listed and hashed after.
  thread_local std::vector<uint64_t> token_hash;
  thread_local std::vector<uint32_t> slow;
  token_hash.resize(num_tokens);
  slow.resize(num_tokens + 16);
  const char* text = t.text.data();
  const size_t text_size = t.text.size();
  const uint32_t* starts = t.starts.data();
  uint64_t* hash = token_hash.data();
  uint32_t* slow_list = slow.data();
  size_t num_slow = 0;
  size_t fast_end = num_tokens;  // Tokens from here on may lack 8 readable bytes.
  while (fast_end > 0 && starts[fast_end - 1] + size_t{8} > text_size) --fast_end;
  size_t k0 = 0;
#if defined(DEDUP_CONTEXT_AVX512)
  const bool avx512 = internal::ContextSimdActive();
  if (avx512) {
    k0 = std::min(fast_end, num_tokens - 1);  // Tokens with a next start.
    num_slow = TokenHashesAvx512(text, starts, k0, hash, slow_list, 0);
  }
#endif
  for (size_t k = k0; k < fast_end; ++k) {
    const size_t from = starts[k];
    const size_t n = (k + 1 < num_tokens ? starts[k + 1] - 1 : text_size) - from;
    uint64_t v;
    std::memcpy(&v, text + from, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    const size_t m = n < 8 ? n : 8;  // Tokens are never empty.
    v &= ~uint64_t{0} >> (64 - 8 * m);
    v = (v ^ (static_cast<uint64_t>(n) << 59) ^ kContextSeed) * 0xBF58476D1CE4E5B9ull;
    v ^= v >> 31;
    v *= 0x94D049BB133111EBull;
    hash[k] = v ^ (v >> 29);
    slow_list[num_slow] = static_cast<uint32_t>(k);
    num_slow += n > 8;
  }
  for (size_t k = fast_end; k < num_tokens; ++k) slow_list[num_slow++] = static_cast<uint32_t>(k);
  for (size_t i = 0; i < num_slow; ++i) {
    const size_t k = slow_list[i], from = starts[k];
    hash[k] = ContextTokenHash(text + from, t.end(k) - from, text + text_size);
  }
  // Context shingles: each line's token 3-grams (a shorter line is one shingle),
  // one-permutation hashed: the top 6 bits choose the slot, the low 16 are the value.
  // A slot keeps the smallest value and, on a tie, its first line (lines come in order):
  // the smallest (value << 16 | line), one branch-free min per shingle.
  std::array<uint32_t, kContextSlots> best;
  best.fill(UINT32_MAX);  // Empty: value 0xFFFF, line kEmpty.
  uint32_t total = 0;
#if defined(DEDUP_CONTEXT_AVX512)
  // The 3-grams of the whole token sequence, mixed 8 at a time; each line then takes
  // those that start and end in it.
  thread_local std::vector<uint64_t> packed;
  if (avx512 && num_tokens >= kContextShingleTokens) {
    packed.resize(num_tokens - 2);
    PackedShinglesAvx512(hash, num_tokens - 2, packed.data());
  }
#endif
  for (size_t i = 0; i < num_lines; ++i) {
    const size_t first = t.lines[i], end = t.line_end(i);
    keys.lines[i] = LineKey(t, first, end);
    const size_t n = end - first;
    const size_t width = std::min<size_t>(n, kContextShingleTokens);
    const size_t count = n - width + 1;
    const uint32_t line = static_cast<uint32_t>(std::min<size_t>(i, ContextSketch::kMaxLine));
    const uint64_t* h3 = hash + first;
    auto add = [&](uint64_t h) {
      // Rotations keep the order of the tokens; one multiply mixes them into the high
      // bits (the slot) and the middle ones (the value).
      h *= 0x9E3779B97F4A7C15ull;
      const size_t slot = h >> 58;
      const uint32_t candidate = (static_cast<uint32_t>(h >> 32) << 16) | line;
      best[slot] = std::min(best[slot], candidate);
    };
    if (width == kContextShingleTokens) {
#if defined(DEDUP_CONTEXT_AVX512)
      if (avx512) {
        const uint64_t* p = packed.data() + first;
        for (size_t s = 0; s < count; ++s) {
          const size_t slot = p[s] >> 32;
          best[slot] = std::min(best[slot], static_cast<uint32_t>(p[s]) | line);
        }
      } else
#endif
      for (size_t s = 0; s < count; ++s) add(h3[s] ^ std::rotl(h3[s + 1], 21) ^ std::rotl(h3[s + 2], 42));
    } else if (width == 2) {
      add(h3[0] ^ std::rotl(h3[1], 21));
    } else {
      add(h3[0]);
    }
    keys.shingles[i] = static_cast<uint32_t>(count);
    total += static_cast<uint32_t>(count);
  }
  keys.total_shingles = total;
  for (int s = 0; s < kContextSlots; ++s) {
    keys.context.value[s] = static_cast<uint16_t>(best[s] >> 16);
    keys.context.line[s] = static_cast<uint16_t>(best[s]);
  }
  return keys;
}

namespace {

// What `x` (of document a) leaves out of a's context against document b: the slots and
// shingles of its lines that b does not have.
void LeftOut(const FlaggedLines& x, const FlaggedLines& y, uint64_t* slots, double* shingles) {
  for (size_t i = 0; i < x.keys.size(); ++i) {
    if (std::find(y.keys.begin(), y.keys.end(), x.keys[i]) != y.keys.end()) continue;
    *slots |= x.slots[i];
    *shingles += x.shingles[i];
  }
}

}  // namespace

uint64_t ContextSketch::OwnedBy(size_t l) const {
  return EqualMask(line.data(), static_cast<uint16_t>(std::min<size_t>(l, kMaxLine)));
}

FlaggedLines FlagLines(const DocKeys& doc, const std::function<bool(uint64_t)>& is_chrome) {
  FlaggedLines f;
  for (size_t j = 0; j < doc.num_lines; ++j) {
    if (!is_chrome(doc.lines[j])) continue;
    f.keys.push_back(doc.lines[j]);
    f.slots.push_back(doc.context->OwnedBy(j));
    f.shingles.push_back(doc.shingles[j]);
  }
  return f;
}

bool SameContext(const DocKeys& a, size_t line_a, const FlaggedLines& flagged_a, const DocKeys& b, size_t line_b,
                 const FlaggedLines& flagged_b, double containment) {
  return CompareContexts(a, line_a, flagged_a, b, line_b, flagged_b, containment) != ContextMatch::kDifferent;
}

ContextMatch CompareContexts(const DocKeys& a, size_t line_a, const FlaggedLines& flagged_a, const DocKeys& b,
                             size_t line_b, const FlaggedLines& flagged_b, double containment) {
  const ContextSketch& x = *a.context;
  const ContextSketch& y = *b.context;
  uint64_t skip = x.OwnedBy(line_a) | y.OwnedBy(line_b);
  double na = static_cast<double>(a.total_shingles) - a.shingles[line_a];
  double nb = static_cast<double>(b.total_shingles) - b.shingles[line_b];
  {
    double out_a = 0, out_b = 0;
    LeftOut(flagged_a, flagged_b, &skip, &out_a);
    LeftOut(flagged_b, flagged_a, &skip, &out_b);
    na -= out_a;
    nb -= out_b;
  }
  return EstimateMatch(x, y, skip, na, nb, containment);
}

bool BoilerplateModel::IsBoilerplate(uint64_t source_key, uint64_t line_key) const {
  if (corpus_.contains(line_key)) return true;
  return source_key != 0 && per_source_.contains({source_key, line_key});
}

void BoilerplateDetector::AddLineKeys(uint64_t source_key, const LineKeys& keys) {
  sources_.push_back(source_key);
  keys_.insert(keys_.end(), keys.lines.begin(), keys.lines.end());
  shingles_.insert(shingles_.end(), keys.shingles.begin(), keys.shingles.end());
  offsets_.push_back(keys_.size());
  totals_.push_back(keys.total_shingles);
  contexts_.push_back(keys.context);
}

void BoilerplateDetector::AddDocument(std::string_view source, const TokenizedText& tokens) {
  AddLineKeys(SourceKey(source), ComputeLineKeys(tokens));
}

BoilerplateModel BoilerplateDetector::Build(size_t lines_per_shard) const {
  BoilerplateModel model;
  if (!options_.enabled) return model;
  // Scope 0 is the whole corpus; scopes 1.. are the sources (documents grouped by source
  // key, in input order). The sources are independent, so they are searched in parallel
  // (in the caller's task arena), after the corpus (see below); the result is a set, the
  // same for any thread count.
  std::vector<uint64_t> scope_source(1, 0);
  std::vector<std::vector<size_t>> scope_docs(1);
  scope_docs[0].resize(sources_.size());
  for (size_t d = 0; d < sources_.size(); ++d) scope_docs[0][d] = d;
  {
    absl::flat_hash_map<uint64_t, size_t> scope_of;
    for (size_t d = 0; d < sources_.size(); ++d) {
      if (sources_[d] == 0) continue;
      auto [it, inserted] = scope_of.try_emplace(sources_[d], scope_docs.size());
      if (inserted) scope_source.push_back(sources_[d]), scope_docs.emplace_back();
      scope_docs[it->second].push_back(d);
    }
  }
  const size_t scopes = scope_docs.size();
  const DocArrays table{keys_.data(), shingles_.data(), offsets_.data(), totals_.data(), contexts_.data()};
  std::vector<std::unique_ptr<ScopeSearch>> search(scopes);
  // The corpus scope first: a line in min_source_docs documents of a source is in as
  // many of the corpus, so when min_source_docs >= min_docs only the corpus's frequent
  // lines can be frequent in a source, and the sources count only those.
  search[0] = std::make_unique<ScopeSearch>(table, std::move(scope_docs[0]), options_.min_docs, options_.min_contexts,
                                            options_, lines_per_shard, nullptr);
  const Bits* candidates = options_.min_source_docs >= options_.min_docs &&
                                   search[0]->frequent().words.size() == (keys_.size() + 63) / 64
                               ? &search[0]->frequent()
                               : nullptr;
  tbb::parallel_for(size_t{1}, scopes, [&](size_t i) {
    search[i] = std::make_unique<ScopeSearch>(table, std::move(scope_docs[i]), options_.min_source_docs,
                                              options_.min_source_contexts, options_, lines_per_shard, candidates);
  });
  // Rounds: the first compares whole contexts; each later one leaves the previous
  // round's chrome out of them (where the other document lacks it), until the model
  // stops changing. A round recounts only the lines of the documents whose chrome
  // changed since the round before (ScopeSearch::Run).
  std::vector<absl::flat_hash_set<uint64_t>> found(scopes);
  Flags flags;
  flags.offsets = offsets_.data();
  std::vector<uint8_t> changed;  // Per document.
  for (int round = 1; round <= options_.rounds; ++round) {
    tbb::parallel_for(size_t{0}, scopes, [&](size_t i) {
      found[i] = round == 1 ? search[i]->Run(nullptr, nullptr) : search[i]->Run(&flags, &changed);
    });
    BoilerplateModel next;
    next.corpus_ = found[0];
    for (size_t i = 1; i < scopes; ++i) {
      for (uint64_t line : found[i]) {
        if (!next.corpus_.contains(line)) next.per_source_.insert({scope_source[i], line});
      }
    }
    const bool settled = round > 1 && next == model;
    model = std::move(next);
    if (settled || model.empty() || round == options_.rounds) break;
    // The next round's flags (FlagLines()'s lines, as bits), and which documents'
    // flags changed since the last round (round 1 had none).
    Bits chrome;
    chrome.assign(keys_.size());
    changed.assign(sources_.size(), 0);
    tbb::parallel_for(tbb::blocked_range<size_t>(0, sources_.size(), 256), [&](const tbb::blocked_range<size_t>& r) {
      for (size_t d = r.begin(); d != r.end(); ++d) {
        bool differs = false;
        for (size_t p = offsets_[d]; p < offsets_[d + 1]; ++p) {
          const bool now = model.IsBoilerplate(sources_[d], keys_[p]);
          if (now) chrome.SetShared(p);
          differs |= now != (round > 1 && flags.chrome[p]);
        }
        changed[d] = differs;
      }
    });
    flags.chrome = std::move(chrome);
  }
  return model;
}

int StripLines(const TokenizedText& in, const std::function<bool(size_t line)>& drop_line, TokenizedText* out,
               std::vector<std::pair<size_t, size_t>>* removed) {
  out->clear();
  if (removed) removed->clear();
  std::vector<uint8_t> drop(in.lines.size(), 0);
  size_t dropped = 0;
  for (size_t i = 0; i < in.lines.size(); ++i) {
    drop[i] = drop_line(i);
    dropped += drop[i];
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

int StripBoilerplate(const TokenizedText& in, const BoilerplateModel& model, uint64_t source_key,
                     TokenizedText* out, std::vector<std::pair<size_t, size_t>>* removed) {
  if (model.empty()) return StripLines(in, [](size_t) { return false; }, out, removed);
  return StripLines(
      in, [&](size_t i) { return model.IsBoilerplate(source_key, LineKey(in, in.lines[i], in.line_end(i))); }, out,
      removed);
}

}  // namespace dedup
