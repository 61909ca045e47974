// LSH band tables at scale: insert throughput, query latency (p50 / p99), bytes per
// document and peak RSS, for the compact layout (dedup::LshIndex) or the previous one
// (bench/lsh_reference_index.h). One configuration per process, so that peak RSS
// (getrusage) belongs to that configuration; bench/run_lsh_scale.sh runs the matrix.
//
//   lsh_scale_bench --layout compact|chained --docs N [--bands B --rows R]
//                   [--dup-rate P] [--cluster C] [--chrome F] [--queries Q]
//
// Signatures are synthetic (K = 128): only band keys matter to the index, so each band's
// first slot is a per-document tag and the other slots a fixed base. A share P (default
// 0.3) of documents are near-duplicates of an earlier one with Jaccard J uniform in
// [0.75, 0.95]: each band agrees with the source's with probability J^rows, as for real
// MinHash signatures. --cluster C: documents come in runs of C exact copies (every band
// key shared by C documents). --chrome F: a share F of documents carry the same "site
// chrome" tag in the first third of the bands (one key shared by F * N documents there).
// Signatures are generated in chunks of 4096 outside the timed region (signing is not
// measured). Queries: Q documents drawn like the indexed ones (a share P near-duplicates
// of indexed documents, the rest new), each timed alone with steady_clock (its overhead,
// ~20-30 ns, is printed as clock_ns); "fresh" = the new ones, which share no key with
// any indexed document (the chrome or cluster keys cannot slow them down if the layout
// is sound).
//
// --layout join [--bits 32|16|8]: the batch Clusterer instead (dedup/cluster.h), which
// keeps packed signatures and finds candidates by a band join in Finish(); every slot
// is then a per-document value (a near-duplicate copies whole bands from its source),
// since verification reads all of them; --cluster C makes runs of C exact copies (every
// pair of a run a candidate and a match); --chrome does not apply. Reported:
// Add() and Finish() throughput, the clusterer's bytes per document by part before
// Finish() (join scratch included), candidates and verified pairs, and peak RSS.
//
// Output: one line of key=value pairs.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "bench/lsh_reference_index.h"
#include "dedup/cluster.h"
#include "dedup/lsh_index.h"

namespace {

using dedup::bench_util::Rng;
using Clock = std::chrono::steady_clock;

constexpr int kNumPerm = 128;
constexpr int kChunk = 4096;

struct Config {
  std::string layout = "compact";
  int64_t docs = 1'000'000;
  int bands = 42, rows = 3;
  double dup_rate = 0.3;
  int64_t cluster = 0;
  double chrome = 0.0;
  int queries = 20000;
  int bits = 32;  // --layout join only.
};

uint64_t Mix(uint64_t x) { return dedup::SplitMix64(&x); }
uint32_t Tag(uint64_t id, int band) { return static_cast<uint32_t>(Mix(id * 1024 + static_cast<uint64_t>(band))); }
constexpr uint64_t kChromeId = (uint64_t{1} << 50) + 17;

class Generator {
 public:
  explicit Generator(const Config& c) : c_(c) {}

  double Agreement(Rng& rng) const {
    const double j = 0.75 + 0.2 * static_cast<double>(rng.Below(1 << 20)) / (1 << 20);
    return std::pow(j, c_.rows);
  }
  uint64_t RootOf(uint64_t d) const {
    if (c_.cluster > 0) return d - d % static_cast<uint64_t>(c_.cluster);
    while (d > 0) {
      Rng rng(Mix(d ^ 0xD0C5));
      if (!rng.Chance(c_.dup_rate)) return d;
      d = rng.Below(d);
    }
    return 0;
  }
  // Document d's band tags, written into sig's band-leading slots.
  void Fill(uint64_t d, uint32_t* sig) const {
    Rng rng(Mix(d ^ 0xD0C5));
    const bool chrome = c_.chrome > 0 && Rng(Mix(d ^ 0xC4E0)).Chance(c_.chrome);
    if (c_.cluster > 0) {
      const uint64_t root = RootOf(d);
      for (int b = 0; b < c_.bands; ++b) sig[b * c_.rows] = Tag(root, b);
    } else if (d == 0 || !rng.Chance(c_.dup_rate)) {
      for (int b = 0; b < c_.bands; ++b) sig[b * c_.rows] = Tag(d, b);
    } else {
      const uint64_t root = RootOf(rng.Below(d));
      const double agree = Agreement(rng);
      for (int b = 0; b < c_.bands; ++b) sig[b * c_.rows] = rng.Chance(agree) ? Tag(root, b) : Tag(d, b);
    }
    if (chrome) {
      for (int b = 0; b < c_.bands / 3; ++b) sig[b * c_.rows] = Tag(kChromeId, b);
    }
  }
  // Document d's whole signature: each band from d itself or, for a near-duplicate,
  // with probability J^rows from its source (slots past the bands from d).
  void FillAll(uint64_t d, uint32_t* sig) const {
    if (c_.cluster > 0) {  // Runs of C exact copies.
      const uint64_t root = RootOf(d);
      for (int slot = 0; slot < kNumPerm; ++slot) sig[slot] = Tag(root, slot);
      return;
    }
    Rng rng(Mix(d ^ 0xD0C5));
    uint64_t root = d;
    double agree = 0;
    if (d > 0 && rng.Chance(c_.dup_rate)) {
      root = RootOf(rng.Below(d));
      agree = Agreement(rng);
    }
    for (int b = 0; b < c_.bands; ++b) {
      const uint64_t from = root != d && rng.Chance(agree) ? root : d;
      for (int r = 0; r < c_.rows; ++r) sig[b * c_.rows + r] = Tag(from, b * c_.rows + r);
    }
    for (int slot = c_.bands * c_.rows; slot < kNumPerm; ++slot) sig[slot] = Tag(d, slot);
  }

 private:
  const Config& c_;
};

std::vector<uint32_t> Base() {
  Rng rng(42);
  std::vector<uint32_t> v(kNumPerm);
  for (uint32_t& x : v) x = static_cast<uint32_t>(rng.Next());
  return v;
}

dedup::SketchedDocument MakeSketch(std::vector<uint32_t> values) {
  dedup::SketchedDocument s;
  s.signature = dedup::Signature(std::move(values), 0);
  s.num_shingles = 500;
  return s;
}

int64_t PeakRssKb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}
int64_t CurrentRssKb() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  long pages = 0, resident = 0;
  if (f != nullptr) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return resident * 4;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

template <typename Index>
int Run(const Config& c, Index& index, const char* layout, size_t (*memory_bytes)(const Index&)) {
  Generator gen(c);
  const std::vector<uint32_t> base = Base();
  // Queries first (their memory is part of the baseline RSS).
  std::vector<dedup::SketchedDocument> queries;
  std::vector<uint8_t> is_dup;
  Rng qrng(0x9E5 + static_cast<uint64_t>(c.docs));
  for (int q = 0; q < c.queries; ++q) {
    std::vector<uint32_t> sig = base;
    const bool dup = qrng.Chance(c.dup_rate);
    const uint64_t fresh = (uint64_t{1} << 40) + static_cast<uint64_t>(q);
    if (dup) {
      const uint64_t root = gen.RootOf(qrng.Below(static_cast<uint64_t>(c.docs)));
      const double agree = gen.Agreement(qrng);
      for (int b = 0; b < c.bands; ++b) sig[b * c.rows] = qrng.Chance(agree) ? Tag(root, b) : Tag(fresh, b);
    } else {
      for (int b = 0; b < c.bands; ++b) sig[b * c.rows] = Tag(fresh, b);
    }
    queries.push_back(MakeSketch(std::move(sig)));
    is_dup.push_back(dup);
  }
  std::vector<dedup::SketchedDocument> chunk;
  for (int i = 0; i < kChunk; ++i) chunk.push_back(MakeSketch(base));
  const int64_t base_rss = CurrentRssKb();
  const int64_t heap_before = dedup::bench_util::AllocatedBytes();

  double insert_s = 0;
  for (int64_t start = 0; start < c.docs; start += kChunk) {
    const int64_t n = std::min<int64_t>(kChunk, c.docs - start);
    for (int64_t i = 0; i < n; ++i) {
      gen.Fill(static_cast<uint64_t>(start + i), const_cast<uint32_t*>(chunk[i].signature.values().data()));
    }
    const auto t0 = Clock::now();
    for (int64_t i = 0; i < n; ++i) index.Insert(static_cast<dedup::DocIndex>(start + i), chunk[i]);
    insert_s += std::chrono::duration<double>(Clock::now() - t0).count();
  }
  const int64_t heap = dedup::bench_util::AllocatedBytes() - heap_before;
  const int64_t rss_after_insert = CurrentRssKb();

  // Clock overhead: back-to-back now() calls.
  double clock_ns = 0;
  {
    const auto t0 = Clock::now();
    for (int i = 0; i < 100000; ++i) {
      auto t = Clock::now();
      asm volatile("" : : "r"(&t) : "memory");
    }
    clock_ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / 100000;
  }
  std::vector<double> all, fresh, dup;
  std::vector<dedup::DocIndex> out;
  int64_t candidates = 0, fresh_candidates = 0;
  for (int pass = 0; pass < 2; ++pass) {  // The first pass warms the caches of the query set.
    all.clear();
    fresh.clear();
    dup.clear();
    candidates = fresh_candidates = 0;
    for (int q = 0; q < c.queries; ++q) {
      out.clear();
      const auto t0 = Clock::now();
      index.Query(queries[q], &out);
      const double ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
      all.push_back(ns);
      (is_dup[q] ? dup : fresh).push_back(ns);
      candidates += static_cast<int64_t>(out.size());
      if (!is_dup[q]) fresh_candidates += static_cast<int64_t>(out.size());
    }
  }
  const double n = static_cast<double>(c.docs);
  std::printf(
      "layout=%s docs=%lld bands=%d rows=%d dup_rate=%.2f cluster=%lld chrome=%.3f "
      "inserts_per_s=%.0f query_p50_us=%.3f query_p99_us=%.3f fresh_p50_us=%.3f fresh_p99_us=%.3f "
      "dup_p50_us=%.3f dup_p99_us=%.3f clock_ns=%.1f candidates_per_query=%.2f "
      "fresh_candidates_per_query=%.4f memory_bytes_per_doc=%.1f heap_bytes_per_doc=%.1f "
      "base_rss_mb=%.1f rss_after_insert_mb=%.1f peak_rss_mb=%.1f index_rss_bytes_per_doc=%.1f\n",
      layout, static_cast<long long>(c.docs), c.bands, c.rows, c.dup_rate, static_cast<long long>(c.cluster),
      c.chrome, n / insert_s, Percentile(all, 0.5) / 1e3, Percentile(all, 0.99) / 1e3,
      Percentile(fresh, 0.5) / 1e3, Percentile(fresh, 0.99) / 1e3, Percentile(dup, 0.5) / 1e3,
      Percentile(dup, 0.99) / 1e3, clock_ns, static_cast<double>(candidates) / c.queries,
      fresh.empty() ? 0.0 : static_cast<double>(fresh_candidates) / static_cast<double>(fresh.size()),
      memory_bytes == nullptr ? -1.0 : static_cast<double>(memory_bytes(index)) / n,
      static_cast<double>(heap) / n, base_rss / 1024.0, rss_after_insert / 1024.0, PeakRssKb() / 1024.0,
      static_cast<double>(PeakRssKb() - base_rss) * 1024.0 / n);
  return 0;
}

size_t CompactBytes(const dedup::LshIndex& index) { return index.MemoryBytes(); }

int RunJoin(const Config& c) {
  Generator gen(c);
  dedup::ClusterOptions options;
  options.lsh = dedup::LshParams{c.bands, c.rows};
  options.signature_bits = c.bits;
  auto clusterer = dedup::Clusterer::Create(options, kNumPerm);
  if (!clusterer.ok()) {
    std::fprintf(stderr, "%s\n", std::string(clusterer.status().message()).c_str());
    return 2;
  }
  std::vector<dedup::SketchedDocument> chunk;
  for (int i = 0; i < kChunk; ++i) chunk.push_back(MakeSketch(std::vector<uint32_t>(kNumPerm)));
  const int64_t base_rss = CurrentRssKb();
  double add_s = 0;
  char id[32];
  for (int64_t start = 0; start < c.docs; start += kChunk) {
    const int64_t n = std::min<int64_t>(kChunk, c.docs - start);
    for (int64_t i = 0; i < n; ++i) {
      gen.FillAll(static_cast<uint64_t>(start + i), const_cast<uint32_t*>(chunk[i].signature.values().data()));
    }
    const auto t0 = Clock::now();
    for (int64_t i = 0; i < n; ++i) {
      std::snprintf(id, sizeof id, "doc%09lld", static_cast<long long>(start + i));
      (*clusterer)->Add(id, "", chunk[i]);
    }
    add_s += std::chrono::duration<double>(Clock::now() - t0).count();
  }
  const dedup::ClustererMemory m = (*clusterer)->Memory();
  const int64_t rss_after_add = CurrentRssKb();
  const auto t0 = Clock::now();
  const dedup::ClusterResult result = (*clusterer)->Finish();
  const double finish_s = std::chrono::duration<double>(Clock::now() - t0).count();
  const double n = static_cast<double>(c.docs);
  std::printf(
      "layout=join docs=%lld bands=%d rows=%d bits=%d dup_rate=%.2f adds_per_s=%.0f finish_s=%.3f "
      "finish_docs_per_s=%.0f candidates_per_doc=%.3f verified_per_doc=%.3f clusters=%lld "
      "clusterer_bytes_per_doc=%.1f join_scratch=%.1f signatures=%.1f ids=%.1f other=%.1f "
      "base_rss_mb=%.1f rss_after_add_mb=%.1f peak_rss_mb=%.1f peak_rss_bytes_per_doc=%.1f\n",
      static_cast<long long>(c.docs), c.bands, c.rows, c.bits, c.dup_rate, n / add_s, finish_s, n / finish_s,
      static_cast<double>(result.stats.candidate_pairs) / n, static_cast<double>(result.stats.verified_pairs) / n,
      static_cast<long long>(result.stats.clusters), static_cast<double>(m.total()) / n,
      static_cast<double>(m.index) / n, static_cast<double>(m.signatures) / n,
      static_cast<double>(m.ids_and_snippets) / n, static_cast<double>(m.other) / n, base_rss / 1024.0,
      rss_after_add / 1024.0, PeakRssKb() / 1024.0, static_cast<double>(PeakRssKb() - base_rss) * 1024.0 / n);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Config c;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const char* v = argv[i + 1];
    if (flag == "--layout") c.layout = v;
    else if (flag == "--docs") c.docs = std::atoll(v);
    else if (flag == "--bands") c.bands = std::atoi(v);
    else if (flag == "--rows") c.rows = std::atoi(v);
    else if (flag == "--dup-rate") c.dup_rate = std::atof(v);
    else if (flag == "--cluster") c.cluster = std::atoll(v);
    else if (flag == "--chrome") c.chrome = std::atof(v);
    else if (flag == "--queries") c.queries = std::atoi(v);
    else if (flag == "--bits") c.bits = std::atoi(v);
    else {
      std::fprintf(stderr, "unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  if ((argc - 1) % 2 != 0 || c.docs < 1 || c.bands < 1 || c.rows < 1 || c.bands * c.rows > kNumPerm ||
      c.queries < 1) {
    std::fprintf(stderr, "usage: %s --layout compact|chained|join --docs N [--bands B --rows R] [--dup-rate P] "
                         "[--cluster C] [--chrome F] [--queries Q] [--bits 32|16|8]\n", argv[0]);
    return 2;
  }
  const dedup::LshParams params{c.bands, c.rows};
  if (c.layout == "compact") {
    auto index = *dedup::LshIndex::Create(params, kNumPerm);
    return Run<dedup::LshIndex>(c, *index, "compact", &CompactBytes);
  }
  if (c.layout == "chained") {
    dedup::bench_util::ChainedLshIndex index(params, kNumPerm);
    return Run<dedup::bench_util::ChainedLshIndex>(c, index, "chained", nullptr);
  }
  if (c.layout == "join") return RunJoin(c);
  std::fprintf(stderr, "--layout must be compact, chained or join\n");
  return 2;
}
