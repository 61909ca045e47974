// Shingle hashing throughput (dedup::HashShingles) over tokenized news articles.
//
//   BM_ShingleHash/word5, /char7     bytes/s of tokenized text, items/s = shingles.
// References over the same tokenized text, in the same process:
//   BM_Reference_Xxh3Bulk                 one XXH3 call over each article's whole token
//                                         string: the raw hashing speed.
//   BM_Reference_Xxh3PerShingle/word5..  XXH3 of exactly the spans HashShingles hashes,
//                                         precomputed, into a preallocated array: the
//                                         ceiling for per-shingle hashing.
// bytes/s always counts the tokenized text once (a word 5-shingle hash reads each byte
// ~5 times; the `hashed_bytes_per_byte` counter says how many).
#include <cstdint>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "benchmark/benchmark.h"
#include "dedup/normalize.h"
#include "dedup/shingle.h"

#define XXH_INLINE_ALL  // As in dedup/shingle.cc.
#include <xxhash.h>

namespace {

constexpr uint64_t kSeed = 1;

struct TokenizedCorpus {
  std::vector<dedup::TokenizedText> docs;
  int64_t bytes = 0;
};

const TokenizedCorpus& Corpus() {
  static const TokenizedCorpus* corpus = [] {
    auto* c = new TokenizedCorpus;
    for (const std::string& text : dedup::bench_util::NewsCorpus(dedup::bench_util::TextFlavor::kUnicode)) {
      dedup::TokenizedText t;
      if (!dedup::Tokenize(text, &t).ok()) std::abort();
      c->bytes += static_cast<int64_t>(t.text.size());
      c->docs.push_back(std::move(t));
    }
    return c;
  }();
  return *corpus;
}

constexpr dedup::ShingleOptions kWord5{.kind = dedup::ShingleKind::kWord, .size = 5};
constexpr dedup::ShingleOptions kChar7{.kind = dedup::ShingleKind::kChar, .size = 7};

void BM_ShingleHash(benchmark::State& state, dedup::ShingleOptions options) {
  const TokenizedCorpus& corpus = Corpus();
  std::vector<uint64_t> hashes;
  int64_t shingles = 0;
  for (auto _ : state) {
    shingles = 0;
    for (const dedup::TokenizedText& t : corpus.docs) {
      hashes.clear();
      dedup::HashShingles(t, options, kSeed, &hashes);
      shingles += static_cast<int64_t>(hashes.size());
      benchmark::DoNotOptimize(hashes.data());
    }
  }
  state.SetBytesProcessed(state.iterations() * corpus.bytes);
  state.SetItemsProcessed(state.iterations() * shingles);
  state.SetLabel(dedup::ShingleSpec(options));
}
BENCHMARK_CAPTURE(BM_ShingleHash, word5, kWord5);
BENCHMARK_CAPTURE(BM_ShingleHash, char7, kChar7);

void BM_Reference_Xxh3Bulk(benchmark::State& state) {
  const TokenizedCorpus& corpus = Corpus();
  for (auto _ : state) {
    for (const dedup::TokenizedText& t : corpus.docs) {
      benchmark::DoNotOptimize(XXH3_64bits_withSeed(t.text.data(), t.text.size(), kSeed));
    }
  }
  state.SetBytesProcessed(state.iterations() * corpus.bytes);
}
BENCHMARK(BM_Reference_Xxh3Bulk);

// The byte ranges HashShingles hashes (same rules as dedup/shingle.cc).
struct Span {
  uint32_t offset, length;
};
std::vector<Span> ShingleSpans(const dedup::TokenizedText& t, const dedup::ShingleOptions& o) {
  std::vector<Span> spans;
  const size_t k = static_cast<size_t>(o.size);
  if (o.kind == dedup::ShingleKind::kWord) {
    const size_t n = t.size();
    if (n == 0) return spans;
    if (n < k) return {Span{0, static_cast<uint32_t>(t.text.size())}};
    for (size_t i = 0; i + k <= n; ++i) {
      spans.push_back(Span{t.starts[i], static_cast<uint32_t>(t.end(i + k - 1) - t.starts[i])});
    }
  } else {
    std::vector<uint32_t> cps;
    for (size_t i = 0; i < t.text.size(); ++i) {
      if ((static_cast<unsigned char>(t.text[i]) & 0xC0) != 0x80) cps.push_back(static_cast<uint32_t>(i));
    }
    const size_t n = cps.size();
    if (n == 0) return spans;
    cps.push_back(static_cast<uint32_t>(t.text.size()));
    if (n < k) return {Span{0, static_cast<uint32_t>(t.text.size())}};
    for (size_t i = 0; i + k <= n; ++i) spans.push_back(Span{cps[i], cps[i + k] - cps[i]});
  }
  return spans;
}

void BM_Reference_Xxh3PerShingle(benchmark::State& state, dedup::ShingleOptions options) {
  const TokenizedCorpus& corpus = Corpus();
  std::vector<std::vector<Span>> spans;
  int64_t shingles = 0, hashed_bytes = 0;
  for (const dedup::TokenizedText& t : corpus.docs) {
    spans.push_back(ShingleSpans(t, options));
    shingles += static_cast<int64_t>(spans.back().size());
    for (const Span& s : spans.back()) hashed_bytes += s.length;
  }
  std::vector<uint64_t> out(static_cast<size_t>(shingles));
  for (auto _ : state) {
    uint64_t* o = out.data();
    for (size_t d = 0; d < corpus.docs.size(); ++d) {
      const char* text = corpus.docs[d].text.data();
      for (const Span& s : spans[d]) *o++ = XXH3_64bits_withSeed(text + s.offset, s.length, kSeed);
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * corpus.bytes);
  state.SetItemsProcessed(state.iterations() * shingles);
  state.counters["hashed_bytes_per_byte"] = static_cast<double>(hashed_bytes) / static_cast<double>(corpus.bytes);
  state.SetLabel(dedup::ShingleSpec(options));
}
BENCHMARK_CAPTURE(BM_Reference_Xxh3PerShingle, word5, kWord5);
BENCHMARK_CAPTURE(BM_Reference_Xxh3PerShingle, char7, kChar7);

}  // namespace
