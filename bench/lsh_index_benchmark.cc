// LSH index throughput (dedup::LshIndex) at 10k, 100k and 1M indexed documents.
//
//   BM_LshInsert/N    builds an N-document index from empty (amortized insert cost,
//                     rehashing included); items/s = documents inserted. Counters:
//                     index_MB and bytes_per_doc (heap growth measured with mallinfo2).
//   BM_LshQuery/N     4096 queries against an N-document index built once per size and
//                     cached; items/s = queries; counter candidates_per_query.
//   memory_bytes_per_doc (BM_LshInsert): LshIndex::MemoryBytes() / N, the tables exactly.
// References, in the same process:
//   BM_Reference_ChainedInsert/N, BM_Reference_ChainedQuery/N  the same for the previous
//                     layout (bench/lsh_reference_index.h: absl::flat_hash_map per band +
//                     chained entries), the same band keys.
//   BM_Reference_FlatHashMapInsert/N  the same documents' band-key insertions into one
//                     absl::flat_hash_map per band, nothing else (same signature generation).
//   BM_Reference_FlatHashMapLookup/N  one absl::flat_hash_map<uint64_t, uint32_t> of N keys,
//                     one find() per band per query (precomputed keys, the same hit pattern
//                     as the LSH queries): the floor of a banded lookup.
//
// Signatures are synthetic (K = 128, bands x rows = OptimalLshParams(0.7, 128) = 14 x 9).
// Only the band keys matter to the index, so each document's signature is a fixed random
// base with the first slot of every band set to a per-document tag; 30% of documents are
// near-duplicates of an earlier one with Jaccard J uniform in [0.75, 0.95]: each band
// agrees with the source's with probability J^rows, as for real MinHash signatures.
// Signatures are written in place into one reusable SketchedDocument, so 1M documents
// need no 512 MB of stored signatures.
#include <cstdint>
#include <memory>
#include <type_traits>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "bench/bench_util.h"
#include "bench/lsh_reference_index.h"
#include "benchmark/benchmark.h"
#include "dedup/lsh_index.h"
#include "dedup/minhash.h"
#include "dedup/sketch.h"

namespace {

using dedup::bench_util::Rng;

constexpr int kNumPerm = 128;
constexpr double kDupRate = 0.3;
constexpr int kNumQueries = 4096;
constexpr double kThreshold = 0.7;  // dedup::kDefaultThreshold.

const dedup::LshParams& Params() {
  static const dedup::LshParams params = [] {
    auto p = dedup::OptimalLshParams(kThreshold, kNumPerm);
    return p.ok() ? *p : dedup::LshParams{14, 9};
  }();
  return params;
}

uint64_t Mix(uint64_t x) { return dedup::SplitMix64(&x); }
uint32_t Tag(uint64_t id, int band) { return static_cast<uint32_t>(Mix(id * 1024 + static_cast<uint64_t>(band))); }

// Probability that one band of a near-duplicate agrees with its source: J^rows.
double BandAgreement(Rng& rng) {
  const double j = 0.75 + 0.2 * static_cast<double>(rng.Below(1 << 20)) / (1 << 20);
  double p = 1;
  for (int r = 0; r < Params().rows; ++r) p *= j;
  return p;
}

// The original a document descends from (itself for an original).
uint64_t RootOf(uint64_t d) {
  while (d > 0) {
    Rng rng(Mix(d ^ 0xD0C5));
    if (!rng.Chance(kDupRate)) return d;
    d = rng.Below(d);
  }
  return 0;
}

// Writes document d's band tags into sig (the other slots keep the base values).
void FillSignature(uint64_t d, uint32_t* sig) {
  const dedup::LshParams& p = Params();
  Rng rng(Mix(d ^ 0xD0C5));
  if (d == 0 || !rng.Chance(kDupRate)) {
    for (int b = 0; b < p.bands; ++b) sig[b * p.rows] = Tag(d, b);
    return;
  }
  const uint64_t root = RootOf(rng.Below(d));
  const double agree = BandAgreement(rng);
  for (int b = 0; b < p.bands; ++b) sig[b * p.rows] = rng.Chance(agree) ? Tag(root, b) : Tag(d, b);
}

// A sketch with a random base signature, to be rewritten in place by FillSignature.
dedup::SketchedDocument MakeSketch(uint64_t seed) {
  Rng rng(seed);
  std::vector<uint32_t> values(kNumPerm);
  for (uint32_t& v : values) v = static_cast<uint32_t>(rng.Next());
  dedup::SketchedDocument s;
  s.signature = dedup::Signature(std::move(values), /*fingerprint=*/0);
  s.num_shingles = 500;
  return s;
}
uint32_t* MutableSlots(dedup::SketchedDocument* s) {
  // The vector behind a Signature is not const; rewriting it avoids 1M allocations.
  return const_cast<uint32_t*>(s->signature.values().data());
}

using dedup::bench_util::ChainedLshIndex;

template <typename Index>
std::unique_ptr<Index> NewIndex();
template <>
std::unique_ptr<dedup::LshIndex> NewIndex<dedup::LshIndex>() {
  auto index = dedup::LshIndex::Create(Params(), kNumPerm);
  if (!index.ok()) std::abort();
  return std::move(*index);
}
template <>
std::unique_ptr<ChainedLshIndex> NewIndex<ChainedLshIndex>() {
  return std::make_unique<ChainedLshIndex>(Params(), kNumPerm);
}

template <typename Index>
void Fill(Index* index, int64_t n) {
  dedup::SketchedDocument sketch = MakeSketch(42);
  for (int64_t d = 0; d < n; ++d) {
    FillSignature(static_cast<uint64_t>(d), MutableSlots(&sketch));
    index->Insert(static_cast<dedup::DocIndex>(d), sketch);
  }
}

// One cached index at a time (a 1M-document index takes several hundred MB).
struct CachedIndex {
  int64_t n = -1;
  std::unique_ptr<dedup::LshIndex> index;
  std::unique_ptr<ChainedLshIndex> chained;
  int64_t bytes = 0;
};
template <typename Index>
std::unique_ptr<Index>& Slot(CachedIndex& c);
template <>
std::unique_ptr<dedup::LshIndex>& Slot<dedup::LshIndex>(CachedIndex& c) { return c.index; }
template <>
std::unique_ptr<ChainedLshIndex>& Slot<ChainedLshIndex>(CachedIndex& c) { return c.chained; }
CachedIndex& Cache() {
  static CachedIndex* cache = new CachedIndex;
  return *cache;
}
template <typename Index>
const CachedIndex& GetIndex(int64_t n) {
  CachedIndex& c = Cache();
  if (c.n != n || Slot<Index>(c) == nullptr) {
    c = CachedIndex{};
    const int64_t before = dedup::bench_util::AllocatedBytes();
    auto index = NewIndex<Index>();
    Fill(index.get(), n);
    c.bytes = dedup::bench_util::AllocatedBytes() - before;
    Slot<Index>(c) = std::move(index);
    c.n = n;
  }
  return c;
}

void SetMemoryCounters(benchmark::State& state, int64_t bytes, int64_t n) {
  state.counters["index_MB"] = static_cast<double>(bytes) / (1 << 20);
  state.counters["bytes_per_doc"] = static_cast<double>(bytes) / static_cast<double>(n);
}

template <typename Index>
void BM_LshInsert(benchmark::State& state) {
  const int64_t n = state.range(0);
  Cache() = CachedIndex{};  // Free a cached index before building another.
  std::unique_ptr<Index> index;
  int64_t bytes = 0;
  for (auto _ : state) {
    state.PauseTiming();
    index.reset();
    const int64_t before = dedup::bench_util::AllocatedBytes();
    dedup::SketchedDocument sketch = MakeSketch(42);
    const int64_t sketch_bytes = dedup::bench_util::AllocatedBytes() - before;
    state.ResumeTiming();
    index = NewIndex<Index>();
    for (int64_t d = 0; d < n; ++d) {
      FillSignature(static_cast<uint64_t>(d), MutableSlots(&sketch));
      index->Insert(static_cast<dedup::DocIndex>(d), sketch);
    }
    benchmark::DoNotOptimize(index.get());
    bytes = dedup::bench_util::AllocatedBytes() - before - sketch_bytes;
  }
  SetMemoryCounters(state, bytes, n);
  if constexpr (std::is_same_v<Index, dedup::LshIndex>) {
    state.counters["memory_bytes_per_doc"] = static_cast<double>(index->MemoryBytes()) / static_cast<double>(n);
  }
  state.SetItemsProcessed(state.iterations() * n);
  // Hand the index to BM_LshQuery/n, registered to run next.
  Slot<Index>(Cache()) = std::move(index);
  Cache().n = n;
  Cache().bytes = bytes;
}

void BM_Reference_FlatHashMapInsert(benchmark::State& state) {
  const int64_t n = state.range(0);
  const dedup::LshParams& p = Params();
  Cache() = CachedIndex{};  // At most one large structure in memory at a time.
  dedup::SketchedDocument sketch = MakeSketch(42);
  uint32_t* sig = MutableSlots(&sketch);
  int64_t bytes = 0;
  for (auto _ : state) {
    const int64_t before = dedup::bench_util::AllocatedBytes();
    std::vector<absl::flat_hash_map<uint64_t, uint32_t>> tables(p.bands);
    for (int64_t d = 0; d < n; ++d) {
      FillSignature(static_cast<uint64_t>(d), sig);
      // The band key is just the tag (no hashing of the band's slots).
      for (int b = 0; b < p.bands; ++b) tables[b].try_emplace(sig[b * p.rows], static_cast<uint32_t>(d));
    }
    benchmark::DoNotOptimize(tables.data());
    bytes = dedup::bench_util::AllocatedBytes() - before;
    state.PauseTiming();
    tables.clear();
    tables.shrink_to_fit();
    state.ResumeTiming();
  }
  SetMemoryCounters(state, bytes, n);
  state.SetItemsProcessed(state.iterations() * n);
}

// Queries drawn like the indexed documents: 30% near-duplicates of an indexed document,
// the rest new. For each band, whether the LSH lookup can hit (the band agrees with an
// indexed document's) is recorded for the reference.
struct QuerySet {
  std::vector<dedup::SketchedDocument> sketches;
  std::vector<uint8_t> band_hits;  // kNumQueries x bands.
};
QuerySet MakeQueries(int64_t n) {
  const dedup::LshParams& p = Params();
  QuerySet qs;
  Rng rng(0x9E5 + static_cast<uint64_t>(n));
  for (int q = 0; q < kNumQueries; ++q) {
    dedup::SketchedDocument s = MakeSketch(42);
    uint32_t* sig = MutableSlots(&s);
    const uint64_t fresh = (uint64_t{1} << 40) + static_cast<uint64_t>(q);
    const bool dup = rng.Chance(kDupRate);
    const uint64_t root = dup ? RootOf(rng.Below(static_cast<uint64_t>(n))) : 0;
    const double agree = dup ? BandAgreement(rng) : 0.0;
    for (int b = 0; b < p.bands; ++b) {
      const bool hit = dup && rng.Chance(agree);
      sig[b * p.rows] = hit ? Tag(root, b) : Tag(fresh, b);
      qs.band_hits.push_back(hit);
    }
    qs.sketches.push_back(std::move(s));
  }
  return qs;
}

template <typename Index>
void BM_LshQuery(benchmark::State& state) {
  const int64_t n = state.range(0);
  const QuerySet queries = MakeQueries(n);
  const CachedIndex& cached = GetIndex<Index>(n);
  const Index& index = *Slot<Index>(const_cast<CachedIndex&>(cached));
  std::vector<dedup::DocIndex> candidates;
  int64_t total_candidates = 0;
  for (auto _ : state) {
    total_candidates = 0;
    for (const dedup::SketchedDocument& q : queries.sketches) {
      candidates.clear();
      index.Query(q, &candidates);
      total_candidates += static_cast<int64_t>(candidates.size());
    }
    benchmark::DoNotOptimize(candidates.data());
  }
  state.SetItemsProcessed(state.iterations() * kNumQueries);
  state.counters["candidates_per_query"] = static_cast<double>(total_candidates) / kNumQueries;
  SetMemoryCounters(state, cached.bytes, n);
}

void BM_Reference_FlatHashMapLookup(benchmark::State& state) {
  const int64_t n = state.range(0);
  const int bands = Params().bands;
  const QuerySet queries = MakeQueries(n);
  absl::flat_hash_map<uint64_t, uint32_t> map;
  map.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) map.try_emplace(Mix(static_cast<uint64_t>(i)), static_cast<uint32_t>(i));
  // Present keys where the LSH query's band can hit, absent keys elsewhere.
  Rng rng(7);
  std::vector<uint64_t> keys;
  for (uint8_t hit : queries.band_hits) {
    keys.push_back(hit ? Mix(rng.Below(static_cast<uint64_t>(n))) : Mix(static_cast<uint64_t>(n) + rng.Next() % (1ull << 40)));
  }
  for (auto _ : state) {
    uint64_t found = 0;
    for (size_t i = 0; i < keys.size(); ++i) {
      auto it = map.find(keys[i]);
      if (it != map.end()) found += it->second;
    }
    benchmark::DoNotOptimize(found);
  }
  state.SetItemsProcessed(state.iterations() * kNumQueries);
  state.counters["lookups_per_query"] = bands;
}

// Grouped by size, so BM_LshQuery/N reuses the index BM_LshInsert/N just built, and the
// references run after the index is freed (peak memory: one structure, ~650 MB at 1M for
// the chained reference).
void RegisterAll() {
  for (int64_t n : {10'000, 100'000, 1'000'000}) {
    benchmark::RegisterBenchmark("BM_LshInsert", BM_LshInsert<dedup::LshIndex>)->Arg(n)->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("BM_LshQuery", BM_LshQuery<dedup::LshIndex>)->Arg(n)->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("BM_Reference_ChainedInsert", BM_LshInsert<ChainedLshIndex>)
        ->Arg(n)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("BM_Reference_ChainedQuery", BM_LshQuery<ChainedLshIndex>)
        ->Arg(n)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("BM_Reference_FlatHashMapInsert", BM_Reference_FlatHashMapInsert)
        ->Arg(n)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("BM_Reference_FlatHashMapLookup", BM_Reference_FlatHashMapLookup)
        ->Arg(n)
        ->Unit(benchmark::kMicrosecond);
  }
}
[[maybe_unused]] const bool registered = (RegisterAll(), true);

}  // namespace
