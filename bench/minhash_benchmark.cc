// MinHash signing throughput (dedup::MinHasher::SignInto) and whole-document sketching.
//
//   BM_MinHashSign/K/n          K in {64, 128, 256}, n = 500 random shingle hashes per
//                               document (a ~500-word article); items/s = shingles, and
//                               the `docs` counter is documents/s. Uses the kernel that
//                               SignInto picks on this CPU (the label says which:
//                               avx512 or avx2 on x86-64 CPUs that have them, else
//                               portable).
//   BM_MinHashSign_Avx2/K/n     the AVX2 kernel: the same-run reference for avx512.
//   BM_MinHashSign_Portable/K/n  the portable kernel, what CPUs without AVX2 get.
// Reference over the same input and the same hash functions, in the same process:
//   BM_Reference_ScalarMinHash/K/n  the textbook nested loop, one multiply-shift hash at
//                               a time, with auto-vectorization disabled: the floor that
//                               shows what SignInto's kernels buy.
//   BM_SketchDocument/ascii|unicode  Sketcher::Sketch (tokenize + word:5 shingles + K=128
//                               MinHash) of ~4 KB news articles, bytes/s; items/s = docs.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "bench/bench_util.h"
#include "benchmark/benchmark.h"
#include "dedup/minhash.h"
#include "dedup/sketch.h"

namespace {

using dedup::bench_util::Rng;

constexpr int kDocs = 64;  // Distinct inputs, so no document stays hot in L1 by accident.
constexpr uint64_t kMinHashSeed = 1;

std::vector<std::vector<uint64_t>> RandomShingleSets(int docs, int n) {
  Rng rng(0x5EED0000u + static_cast<uint64_t>(n));
  std::vector<std::vector<uint64_t>> sets(docs);
  for (auto& s : sets) {
    s.resize(n);
    for (uint64_t& x : s) x = rng.Next();
  }
  return sets;
}

void MinHashArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"K", "n"});
  for (int k : {64, 128, 256}) b->Args({k, 500});
}

void SetCounters(benchmark::State& state, int n) {
  state.SetItemsProcessed(state.iterations() * kDocs * n);
  state.counters["docs"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * kDocs, benchmark::Counter::kIsRate);
}

// Signs kDocs random sets of n shingles with K = state.range(0) functions of `engine`,
// through `kernel` (which only the classic engine uses).
void SignBenchmark(benchmark::State& state, dedup::MinHashEngine engine, dedup::MinHashKernel kernel) {
  const int k = static_cast<int>(state.range(0));
  const int n = static_cast<int>(state.range(1));
  const auto sets = RandomShingleSets(kDocs, n);
  auto hasher = dedup::MinHasher::Create({.num_perm = k, .seed = kMinHashSeed, .engine = engine}, /*fingerprint=*/0);
  if (!hasher.ok()) {
    state.SkipWithError(hasher.status().ToString().c_str());
    return;
  }
  state.SetLabel(engine == dedup::MinHashEngine::kClassic ? dedup::MinHashKernelName(kernel)
                                                           : dedup::MinHashEngineFlag(engine));
  std::vector<uint32_t> out(static_cast<size_t>(k));
  for (auto _ : state) {
    for (const auto& s : sets) {
      hasher->SignIntoWithKernel(kernel, s, out.data());
      benchmark::DoNotOptimize(out.data());
      benchmark::ClobberMemory();
    }
  }
  SetCounters(state, n);
}
void SignBenchmark(benchmark::State& state, dedup::MinHashKernel kernel) {
  SignBenchmark(state, dedup::MinHashEngine::kClassic, kernel);
}

void BM_MinHashSign(benchmark::State& state) { SignBenchmark(state, dedup::DefaultMinHashKernel()); }
BENCHMARK(BM_MinHashSign)->Apply(MinHashArgs);

void BM_MinHashSign_Portable(benchmark::State& state) { SignBenchmark(state, dedup::MinHashKernel::kPortable); }
BENCHMARK(BM_MinHashSign_Portable)->Apply(MinHashArgs);

// The AVX2 kernel where the default is AVX-512: the same-run reference for the latter.
void BM_MinHashSign_Avx2(benchmark::State& state) {
  if (!dedup::MinHashKernelSupported(dedup::MinHashKernel::kAvx2)) {
    state.SkipWithError("no AVX2 on this CPU");
    return;
  }
  SignBenchmark(state, dedup::MinHashKernel::kAvx2);
}
BENCHMARK(BM_MinHashSign_Avx2)->Apply(MinHashArgs);

// The O(n + K) engines: one permutation hashing with optimal densification, and fast
// similarity sketching.
void EngineSignBenchmark(benchmark::State& state, dedup::MinHashEngine engine) {
  SignBenchmark(state, engine, dedup::DefaultMinHashKernel());
}
void BM_OphSign(benchmark::State& state) { EngineSignBenchmark(state, dedup::MinHashEngine::kOph); }
void BM_FssSign(benchmark::State& state) { EngineSignBenchmark(state, dedup::MinHashEngine::kFss); }
// n = 500 as for the classic engine, and short sets (n < K) where densification (oph) or
// further rounds (fss) fill the empty bins.
BENCHMARK(BM_OphSign)->Apply(MinHashArgs)->Args({128, 50})->Args({128, 5000});
BENCHMARK(BM_FssSign)->Apply(MinHashArgs)->Args({128, 50})->Args({128, 5000});

// The same hash functions as MinHasher::Create: a_i odd, b_i from SplitMix64(seed).
struct ScalarParams {
  std::vector<uint64_t> a, b;
};
ScalarParams MakeParams(int k, uint64_t seed) {
  ScalarParams p;
  uint64_t state = seed;
  for (int i = 0; i < k; ++i) {
    p.a.push_back(dedup::SplitMix64(&state) | 1);
    p.b.push_back(dedup::SplitMix64(&state));
  }
  return p;
}

// One hash at a time; no SIMD (GCC: attribute; Clang: loop pragmas).
#if defined(__clang__)
#define DEDUP_NO_VECTORIZE
#define DEDUP_NO_VECTORIZE_LOOP _Pragma("clang loop vectorize(disable) interleave(disable)")
#else
#define DEDUP_NO_VECTORIZE __attribute__((optimize("no-tree-vectorize"), noinline))
#define DEDUP_NO_VECTORIZE_LOOP
#endif
DEDUP_NO_VECTORIZE void ScalarSign(const ScalarParams& p, const std::vector<uint64_t>& shingles,
                                   uint32_t* out) {
  const size_t k = p.a.size();
  DEDUP_NO_VECTORIZE_LOOP
  for (size_t i = 0; i < k; ++i) {
    uint32_t m = dedup::kEmptySlot;
    DEDUP_NO_VECTORIZE_LOOP
    for (uint64_t x : shingles) {
      uint32_t h = static_cast<uint32_t>((p.a[i] * x + p.b[i]) >> 32);
      if (h < m) m = h;
    }
    out[i] = m;
  }
}

void BM_Reference_ScalarMinHash(benchmark::State& state) {
  const int k = static_cast<int>(state.range(0));
  const int n = static_cast<int>(state.range(1));
  const auto sets = RandomShingleSets(kDocs, n);
  const ScalarParams params = MakeParams(k, kMinHashSeed);
  std::vector<uint32_t> out(static_cast<size_t>(k));
  {  // The reference must compute exactly what the library computes, with every kernel.
    auto hasher = dedup::MinHasher::Create({.num_perm = k, .seed = kMinHashSeed}, 0);
    std::vector<uint32_t> expected(static_cast<size_t>(k));
    ScalarSign(params, sets[0], out.data());
    for (auto kernel : {dedup::MinHashKernel::kPortable, dedup::MinHashKernel::kAvx2, dedup::MinHashKernel::kAvx512}) {
      if (!dedup::MinHashKernelSupported(kernel)) continue;
      hasher->SignIntoWithKernel(kernel, sets[0], expected.data());
      if (out != expected) {
        state.SkipWithError("scalar reference disagrees with MinHasher::SignIntoWithKernel");
        return;
      }
    }
  }
  for (auto _ : state) {
    for (const auto& s : sets) {
      ScalarSign(params, s, out.data());
      benchmark::DoNotOptimize(out.data());
      benchmark::ClobberMemory();
    }
  }
  SetCounters(state, n);
}
BENCHMARK(BM_Reference_ScalarMinHash)->Apply(MinHashArgs);

void BM_SketchDocument(benchmark::State& state, dedup::bench_util::TextFlavor flavor,
                       dedup::MinHashEngine engine) {
  const auto& docs = dedup::bench_util::NewsCorpus(flavor);
  dedup::SketchOptions options;  // word:5, K = 128, seed 1.
  options.engine = engine;
  auto sketcher = dedup::Sketcher::Create(options);
  if (!sketcher.ok()) {
    state.SkipWithError(sketcher.status().ToString().c_str());
    return;
  }
  dedup::SketchScratch scratch;
  dedup::SketchedDocument sketch;
  int64_t shingles = 0;
  for (auto _ : state) {
    shingles = 0;
    for (const std::string& doc : docs) {
      absl::Status s = sketcher->Sketch(doc, /*keep_shingles=*/false, &scratch, &sketch);
      if (!s.ok()) {
        state.SkipWithError(s.ToString().c_str());
        return;
      }
      shingles += sketch.num_shingles;
      benchmark::DoNotOptimize(sketch.signature.values().data());
    }
  }
  state.SetBytesProcessed(state.iterations() * dedup::bench_util::TotalBytes(docs));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(docs.size()));  // Docs.
  state.counters["shingles_per_doc"] = static_cast<double>(shingles) / static_cast<double>(docs.size());
}
BENCHMARK_CAPTURE(BM_SketchDocument, ascii, dedup::bench_util::TextFlavor::kAscii, dedup::MinHashEngine::kClassic);
BENCHMARK_CAPTURE(BM_SketchDocument, unicode, dedup::bench_util::TextFlavor::kUnicode,
                  dedup::MinHashEngine::kClassic);
BENCHMARK_CAPTURE(BM_SketchDocument, ascii_oph, dedup::bench_util::TextFlavor::kAscii, dedup::MinHashEngine::kOph);
BENCHMARK_CAPTURE(BM_SketchDocument, unicode_oph, dedup::bench_util::TextFlavor::kUnicode,
                  dedup::MinHashEngine::kOph);
BENCHMARK_CAPTURE(BM_SketchDocument, ascii_fss, dedup::bench_util::TextFlavor::kAscii, dedup::MinHashEngine::kFss);
BENCHMARK_CAPTURE(BM_SketchDocument, unicode_fss, dedup::bench_util::TextFlavor::kUnicode,
                  dedup::MinHashEngine::kFss);

}  // namespace
