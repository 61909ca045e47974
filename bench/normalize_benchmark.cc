// Normalization + tokenization throughput (dedup::Tokenize), per ~4 KB article.
//
//   BM_NormalizeTokenize/ascii     ASCII-only articles: only the ASCII loop runs.
//   BM_NormalizeTokenize/unicode   the same articles with typographic quotes and dashes,
//                                  as real news has: the quotes and dashes are boundaries
//                                  (normalize.cc), found with one cached lookup each.
//   BM_NormalizeTokenize/accented  the unicode articles with every third 'e' written 'é'
//                                  (precomposed: a cached simple code point) and every
//                                  third 'u' as 'u' + U+0308 (a combining mark: the word
//                                  goes through utf8proc), for text in languages with
//                                  accents, pessimistically decomposed.
// References over the same bytes, in the same process:
//   BM_Reference_ToLowerAsciiSplit  a trivial byte loop (table lowercase, split on
//                                   non-alnum, same output layout, push_back per byte):
//                                   what a plain ASCII-only tokenizer costs.
//   BM_Reference_Memcpy             copying the bytes: the memory-bandwidth bound.
// Read results as ratios: BM_NormalizeTokenize/x bytes/s over BM_Reference_*/x bytes/s.
#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "benchmark/benchmark.h"
#include "dedup/normalize.h"

namespace {

using dedup::bench_util::TextFlavor;

// The flavours of the news corpus measured here: bench_util's two, and `accented`.
enum class Flavor { kAscii, kUnicode, kAccented };

const std::vector<std::string>& Corpus(Flavor flavor) {
  if (flavor == Flavor::kAscii) return dedup::bench_util::NewsCorpus(TextFlavor::kAscii);
  if (flavor == Flavor::kUnicode) return dedup::bench_util::NewsCorpus(TextFlavor::kUnicode);
  static const auto* accented = [] {
    auto* docs = new std::vector<std::string>();
    for (const std::string& doc : dedup::bench_util::NewsCorpus(TextFlavor::kUnicode)) {
      std::string out;
      int e = 0, u = 0;
      for (char c : doc) {
        if (c == 'e' && ++e % 3 == 0) {
          out += "\u00E9";
        } else if (c == 'u' && ++u % 3 == 0) {
          out += "u\u0308";
        } else {
          out.push_back(c);
        }
      }
      docs->push_back(std::move(out));
    }
    return docs;
  }();
  return *accented;
}

void BM_NormalizeTokenize(benchmark::State& state, Flavor flavor) {
  const auto& docs = Corpus(flavor);
  dedup::TokenizedText tokens;
  int64_t num_tokens = 0;
  for (auto _ : state) {
    num_tokens = 0;
    for (const std::string& doc : docs) {
      absl::Status s = dedup::Tokenize(doc, &tokens);
      if (!s.ok()) {
        state.SkipWithError(s.ToString().c_str());
        return;
      }
      num_tokens += static_cast<int64_t>(tokens.size());
      benchmark::DoNotOptimize(tokens.text.data());
    }
  }
  state.SetBytesProcessed(state.iterations() * dedup::bench_util::TotalBytes(docs));
  state.SetItemsProcessed(state.iterations() * num_tokens);  // Tokens.
  state.counters["docs"] = static_cast<double>(docs.size());
}
BENCHMARK_CAPTURE(BM_NormalizeTokenize, ascii, Flavor::kAscii);
BENCHMARK_CAPTURE(BM_NormalizeTokenize, unicode, Flavor::kUnicode);
BENCHMARK_CAPTURE(BM_NormalizeTokenize, accented, Flavor::kAccented);

// Lowercase ASCII letters/digits; 0 for every other byte (separators, non-ASCII bytes).
constexpr std::array<char, 256> MakeLowerTable() {
  std::array<char, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = static_cast<char>(c);
  for (int c = 'a'; c <= 'z'; ++c) t[c] = static_cast<char>(c);
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = static_cast<char>(c + 32);
  return t;
}
constexpr std::array<char, 256> kLower = MakeLowerTable();

// The simplest tokenizer that produces the same layout as TokenizedText.
void LowerAsciiSplit(std::string_view in, dedup::TokenizedText* out) {
  out->clear();
  out->text.reserve(in.size());
  bool in_token = false;
  for (char ch : in) {
    char c = kLower[static_cast<unsigned char>(ch)];
    if (c != 0) {
      if (!in_token) {
        if (!out->text.empty()) out->text.push_back(' ');
        out->starts.push_back(static_cast<uint32_t>(out->text.size()));
        in_token = true;
      }
      out->text.push_back(c);
    } else {
      in_token = false;
    }
  }
}

void BM_Reference_ToLowerAsciiSplit(benchmark::State& state, Flavor flavor) {
  const auto& docs = Corpus(flavor);
  dedup::TokenizedText tokens;
  int64_t num_tokens = 0;
  for (auto _ : state) {
    num_tokens = 0;
    for (const std::string& doc : docs) {
      LowerAsciiSplit(doc, &tokens);
      num_tokens += static_cast<int64_t>(tokens.size());
      benchmark::DoNotOptimize(tokens.text.data());
    }
  }
  state.SetBytesProcessed(state.iterations() * dedup::bench_util::TotalBytes(docs));
  state.SetItemsProcessed(state.iterations() * num_tokens);
}
BENCHMARK_CAPTURE(BM_Reference_ToLowerAsciiSplit, ascii, Flavor::kAscii);
BENCHMARK_CAPTURE(BM_Reference_ToLowerAsciiSplit, unicode, Flavor::kUnicode);
BENCHMARK_CAPTURE(BM_Reference_ToLowerAsciiSplit, accented, Flavor::kAccented);

void BM_Reference_Memcpy(benchmark::State& state, Flavor flavor) {
  const auto& docs = Corpus(flavor);
  std::string buffer;
  for (auto _ : state) {
    for (const std::string& doc : docs) {
      buffer.resize(doc.size());
      std::memcpy(buffer.data(), doc.data(), doc.size());
      benchmark::DoNotOptimize(buffer.data());
      benchmark::ClobberMemory();
    }
  }
  state.SetBytesProcessed(state.iterations() * dedup::bench_util::TotalBytes(docs));
}
BENCHMARK_CAPTURE(BM_Reference_Memcpy, ascii, Flavor::kAscii);
BENCHMARK_CAPTURE(BM_Reference_Memcpy, unicode, Flavor::kUnicode);
BENCHMARK_CAPTURE(BM_Reference_Memcpy, accented, Flavor::kAccented);

}  // namespace
