// Clustering throughput (dedup::Clusterer) over pre-sketched documents.
//
//   BM_ClusterAdd/N   N in {10k, 100k}: Clusterer::Create + N Add() calls + Finish() (the
//                     band join that finds the LSH candidates, MinHash verification,
//                     union-find, the result records), threshold 0.7, K = 128, 14 x 9
//                     bands; items/s = documents. Counters:
//                     candidates_per_doc, verified_per_doc, dup_recall (planted
//                     near-duplicates found in their source's cluster) and false_merges
//                     (fraction of distinct documents wrongly put into another's cluster).
// Reference, in the same process:
//   BM_Reference_UnionFindOnly/N  the same number of union operations (as many pairs as
//                     BM_ClusterAdd/N verified) on a plain parent vector with the same
//                     path-halving find: the part that is not candidate search or verification.
//
// Sketches are synthetic MinHash signatures: 65% originals with random slots, 30%
// near-duplicates of an earlier original whose slots each agree with the source's with
// probability J uniform in [0.75, 0.95] (the MinHash model), 5% related articles with J in
// [0.35, 0.6] (below the threshold: they must stay apart).
#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "bench/bench_util.h"
#include "benchmark/benchmark.h"
#include "dedup/cluster.h"
#include "dedup/lsh_index.h"
#include "dedup/minhash.h"
#include "dedup/sketch.h"

namespace {

using dedup::bench_util::Rng;

constexpr int kNumPerm = 128;

struct Corpus {
  std::vector<dedup::SketchedDocument> sketches;
  std::vector<std::string> ids;
  std::vector<int64_t> source;  // Planted near-duplicate: its original; otherwise -1.
  int64_t verified_pairs = -1;  // From a BM_ClusterAdd run, for the reference.
};

const dedup::LshParams& Params() {
  static const dedup::LshParams params = [] {
    auto p = dedup::OptimalLshParams(dedup::kDefaultThreshold, kNumPerm);
    return p.ok() ? *p : dedup::LshParams{14, 9};
  }();
  return params;
}

Corpus MakeCorpus(int64_t n) {
  Corpus c;
  Rng rng(0xC1u + static_cast<uint64_t>(n));
  std::vector<int64_t> originals;
  std::vector<uint32_t> slots(kNumPerm);
  for (int64_t d = 0; d < n; ++d) {
    const uint64_t kind = rng.Below(100);  // <30: near-duplicate, <35: related, else original.
    int64_t src = -1;
    double j = 0;
    if (!originals.empty() && kind < 35) {
      src = originals[rng.Below(originals.size())];
      const double u = static_cast<double>(rng.Below(1 << 20)) / (1 << 20);
      j = kind < 30 ? 0.75 + 0.2 * u : 0.35 + 0.25 * u;
    }
    const uint32_t* from = src >= 0 ? c.sketches[src].signature.values().data() : nullptr;
    for (int i = 0; i < kNumPerm; ++i) {
      slots[i] = (from != nullptr && rng.Chance(j)) ? from[i] : static_cast<uint32_t>(rng.Next());
    }
    dedup::SketchedDocument s;
    s.signature = dedup::Signature(slots, /*fingerprint=*/0);
    s.num_shingles = 500;
    s.num_tokens = 504;
    c.sketches.push_back(std::move(s));
    c.ids.push_back("doc" + std::to_string(d));
    const bool dup = src >= 0 && kind < 30;
    c.source.push_back(dup ? src : -1);
    if (!dup) originals.push_back(d);  // Related articles are distinct documents.
  }
  return c;
}

Corpus& GetCorpus(int64_t n) {
  static auto* cache = new std::map<int64_t, Corpus>;
  auto it = cache->find(n);
  if (it == cache->end()) it = cache->emplace(n, MakeCorpus(n)).first;
  return it->second;
}

std::unique_ptr<dedup::Clusterer> NewClusterer() {
  dedup::ClusterOptions options;
  options.lsh = Params();  // Skip the S-curve optimisation inside the timed region.
  auto c = dedup::Clusterer::Create(options, kNumPerm);
  if (!c.ok()) std::abort();
  return std::move(*c);
}

void BM_ClusterAdd(benchmark::State& state) {
  const int64_t n = state.range(0);
  Corpus& corpus = GetCorpus(n);
  dedup::ClusterResult result;
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<dedup::SketchedDocument> sketches = corpus.sketches;
    std::vector<std::string> ids = corpus.ids;
    state.ResumeTiming();
    std::unique_ptr<dedup::Clusterer> clusterer = NewClusterer();
    for (int64_t d = 0; d < n; ++d) clusterer->Add(std::move(ids[d]), std::string(), std::move(sketches[d]));
    result = clusterer->Finish();
    state.PauseTiming();
    clusterer.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * n);
  corpus.verified_pairs = result.stats.verified_pairs;
  int64_t planted = 0, found = 0, distinct = 0, merged = 0;
  for (int64_t d = 0; d < n; ++d) {
    if (corpus.source[d] >= 0) {
      ++planted;
      found += result.documents[d].cluster == result.documents[corpus.source[d]].cluster;
    } else {
      ++distinct;
      merged += result.documents[d].representative != static_cast<dedup::DocIndex>(d);
    }
  }
  state.counters["candidates_per_doc"] = static_cast<double>(result.stats.candidate_pairs) / n;
  state.counters["verified_per_doc"] = static_cast<double>(result.stats.verified_pairs) / n;
  state.counters["dup_recall"] = planted ? static_cast<double>(found) / planted : 1.0;
  state.counters["false_merges"] = distinct ? static_cast<double>(merged) / distinct : 0.0;
}
BENCHMARK(BM_ClusterAdd)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);

int64_t VerifiedPairs(Corpus& corpus) {
  if (corpus.verified_pairs < 0) {
    std::unique_ptr<dedup::Clusterer> clusterer = NewClusterer();
    for (size_t d = 0; d < corpus.sketches.size(); ++d) clusterer->Add(corpus.ids[d], "", corpus.sketches[d]);
    corpus.verified_pairs = clusterer->Finish().stats.verified_pairs;
  }
  return corpus.verified_pairs;
}

// Path halving, as in Clusterer::Find.
inline uint32_t Find(std::vector<uint32_t>& parent, uint32_t x) {
  while (parent[x] != x) {
    parent[x] = parent[parent[x]];
    x = parent[x];
  }
  return x;
}

void BM_Reference_UnionFindOnly(benchmark::State& state) {
  const int64_t n = state.range(0);
  Corpus& corpus = GetCorpus(n);
  const int64_t v = VerifiedPairs(corpus);
  // v pairs (later document, earlier document): the planted ones first, then random.
  std::vector<std::pair<uint32_t, uint32_t>> pairs;
  for (int64_t d = 0; d < n && static_cast<int64_t>(pairs.size()) < v; ++d) {
    if (corpus.source[d] >= 0) pairs.emplace_back(d, corpus.source[d]);
  }
  Rng rng(99);
  while (static_cast<int64_t>(pairs.size()) < v) {
    const uint32_t d = static_cast<uint32_t>(1 + rng.Below(n - 1));
    pairs.emplace_back(d, static_cast<uint32_t>(rng.Below(d)));
  }
  std::sort(pairs.begin(), pairs.end());
  std::vector<uint32_t> parent;
  for (auto _ : state) {
    parent.clear();
    size_t p = 0;
    for (uint32_t d = 0; d < n; ++d) {
      parent.push_back(d);
      for (; p < pairs.size() && pairs[p].first == d; ++p) {
        uint32_t a = Find(parent, d), b = Find(parent, pairs[p].second);
        if (a == b) continue;
        if (a < b) std::swap(a, b);
        parent[a] = b;
      }
    }
    benchmark::DoNotOptimize(parent.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["unions_per_doc"] = static_cast<double>(v) / n;
}
BENCHMARK(BM_Reference_UnionFindOnly)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);

}  // namespace
