// Shared inputs for the micro-benchmarks (bench/*_benchmark.cc).
//
// Every benchmark binary measures a stage of dedup next to a reference measured in the
// same process on the same input, so results are read as ratios (the absolute numbers of
// a shared, noisy machine mean little). This header provides the inputs:
//
//   - NewsCorpus(): ~512 KB of English news-like text as ~4 KB articles, made by
//     perturbing the five real seed articles in fixtures/seeds/ (read at start-up from
//     DEDUP_SOURCE_DIR, a compile definition set by bench/CMakeLists.txt; if they cannot
//     be read, a built-in paragraph of news text is used instead). Two flavours of the
//     same articles: kUnicode keeps the seeds' typographic quotes and dashes (every
//     article has at least one non-ASCII character, so Tokenize takes its Unicode path);
//     kAscii replaces them with ASCII look-alikes (Tokenize's ASCII fast path).
//   - Rng: a small deterministic generator (SplitMix64) for synthetic signatures and sets.
//   - AllocatedBytes(): heap bytes in use (mallinfo2), to report index memory.
//
// Everything is deterministic: the same binary gives the same inputs on every run.
#ifndef DEDUP_BENCH_BENCH_UTIL_H_
#define DEDUP_BENCH_BENCH_UTIL_H_

#include <malloc.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "dedup/minhash.h"

#ifndef DEDUP_SOURCE_DIR
#define DEDUP_SOURCE_DIR "."
#endif

namespace dedup::bench_util {

// Deterministic pseudo-random numbers (SplitMix64: fast, good enough for test inputs).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() { return SplitMix64(&state_); }
  // Uniform in [0, n), n > 0 (the modulo bias is negligible for test inputs).
  uint64_t Below(uint64_t n) { return Next() % n; }
  // True with probability p.
  bool Chance(double p) { return static_cast<double>(Next() >> 11) * 0x1.0p-53 < p; }

 private:
  uint64_t state_;
};

enum class TextFlavor { kAscii, kUnicode };

inline const char* FlavorName(TextFlavor f) { return f == TextFlavor::kAscii ? "ascii" : "unicode"; }

namespace internal {

// Used only if fixtures/seeds/ cannot be read (e.g. a binary copied elsewhere).
inline constexpr std::string_view kFallbackArticle =
    "Chinese President Xi Jinping arrived in Moscow on Monday for a three-day state visit, "
    "his first trip abroad since securing a third term, as the Kremlin seeks “a new era” of "
    "partnership with Beijing.\n\n"
    "Xi’s visit comes days after the International Criminal Court issued an arrest warrant for "
    "President Vladimir Putin – a move Moscow called “null and void”. Western officials said "
    "they would watch closely for any sign that China was preparing to supply weapons.\n\n"
    "“We are ready to stand guard over the world order,” Xi told reporters at the airport, "
    "according to state media. Analysts said the two leaders were expected to sign agreements "
    "on energy, trade and the Power of Siberia 2 pipeline — a project Russia has pushed for "
    "years as it looks for buyers to replace its lost European markets.\n\n"
    "The White House said a ceasefire now would only “freeze the conflict” and allow Russia "
    "to regroup, while Ukraine’s foreign ministry urged Beijing to use its influence to end "
    "the war. Markets in Shanghai and Hong Kong were little changed on the news.\n";

inline std::vector<std::string> ReadSeeds() {
  std::vector<std::string> seeds;
  const std::string dir = std::string(DEDUP_SOURCE_DIR) + "/fixtures/seeds/";
  for (const char* name :
       {"000_f108cfa45c64e33e.txt", "001_6cc9de1a86de204c.txt", "002_61bfeb7b1bdb5127.txt",
        "003_8a5cf2dc6abd644f.txt", "004_b0e6b9b82553c804.txt"}) {
    std::ifstream in(dir + name, std::ios::binary);
    if (!in) continue;
    std::ostringstream s;
    s << in.rdbuf();
    if (!s.str().empty()) seeds.push_back(s.str());
  }
  if (seeds.empty()) {
    std::fprintf(stderr, "bench_util: cannot read %s*.txt; using built-in text\n", dir.c_str());
    seeds.emplace_back(kFallbackArticle);
  }
  return seeds;
}

inline std::vector<std::string> SplitParagraphs(std::string_view text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find("\n\n", pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view p = text.substr(pos, end - pos);
    while (!p.empty() && (p.front() == '\n' || p.front() == ' ')) p.remove_prefix(1);
    if (!p.empty()) out.emplace_back(p);
    pos = end + 2;
  }
  return out;
}

// ASCII look-alikes of the seeds' typographic characters; drops any other non-ASCII byte.
inline std::string ToAscii(std::string_view s) {
  static constexpr std::pair<std::string_view, std::string_view> kMap[] = {
      {"\u2019", "'"}, {"\u2018", "'"},  {"\u201C", "\""}, {"\u201D", "\""},
      {"\u2013", "-"}, {"\u2014", "--"}, {"\u2026", "..."}, {"\u00A0", " "}};
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      out.push_back(s[i++]);
      continue;
    }
    bool mapped = false;
    for (const auto& [from, to] : kMap) {
      if (s.substr(i, from.size()) == from) {
        out.append(to);
        i += from.size();
        mapped = true;
        break;
      }
    }
    if (!mapped) ++i;  // Drop a byte of an unmapped character.
  }
  return out;
}

inline std::vector<std::string> BuildCorpus(size_t total_bytes, TextFlavor flavor) {
  const std::vector<std::string> seeds = ReadSeeds();
  std::vector<std::vector<std::string>> paragraphs;
  std::vector<std::string> vocab;  // Words of the seeds, for word substitutions.
  for (const std::string& s : seeds) {
    paragraphs.push_back(SplitParagraphs(s));
    size_t i = 0;
    while (i < s.size()) {
      size_t j = s.find_first_of(" \n", i);
      if (j == std::string::npos) j = s.size();
      if (j > i) vocab.push_back(s.substr(i, j - i));
      i = j + 1;
    }
  }
  Rng rng(0xBE7C4);
  std::vector<std::string> docs;
  size_t bytes = 0;
  while (bytes < total_bytes) {
    // An article: paragraphs of one seed, rotated, some dropped, some borrowed from
    // another seed, and ~3% of words replaced by random seed words.
    const auto& own = paragraphs[rng.Below(paragraphs.size())];
    const size_t rot = rng.Below(own.size());
    std::string doc;
    for (size_t k = 0; k < own.size(); ++k) {
      if (own.size() > 2 && rng.Chance(0.15)) continue;
      const std::string& p = rng.Chance(0.1) ? paragraphs[rng.Below(paragraphs.size())].front()
                                             : own[(k + rot) % own.size()];
      size_t i = 0;
      while (i < p.size()) {
        size_t j = p.find(' ', i);
        if (j == std::string::npos) j = p.size();
        if (rng.Chance(0.03)) {
          doc.append(vocab[rng.Below(vocab.size())]);
        } else {
          doc.append(p, i, j - i);
        }
        if (j < p.size()) doc.push_back(' ');
        i = j + 1;
      }
      doc.append("\n\n");
    }
    if (flavor == TextFlavor::kAscii) {
      doc = ToAscii(doc);
    } else if (std::all_of(doc.begin(), doc.end(),
                           [](char c) { return static_cast<unsigned char>(c) < 0x80; })) {
      doc.append("\u2019");  // Make sure every Unicode-flavour article needs the Unicode path.
    }
    bytes += doc.size();
    docs.push_back(std::move(doc));
  }
  return docs;
}

}  // namespace internal

inline constexpr size_t kCorpusBytes = 512 * 1024;

// ~512 KB of news-like articles (~4 KB each) of the given flavour; built once.
inline const std::vector<std::string>& NewsCorpus(TextFlavor flavor) {
  static const auto* ascii = new std::vector<std::string>(internal::BuildCorpus(kCorpusBytes, TextFlavor::kAscii));
  static const auto* unicode =
      new std::vector<std::string>(internal::BuildCorpus(kCorpusBytes, TextFlavor::kUnicode));
  return flavor == TextFlavor::kAscii ? *ascii : *unicode;
}

inline int64_t TotalBytes(const std::vector<std::string>& docs) {
  int64_t n = 0;
  for (const auto& d : docs) n += static_cast<int64_t>(d.size());
  return n;
}

// Heap bytes currently allocated (brk heap plus mmapped blocks), per glibc.
inline int64_t AllocatedBytes() {
  struct mallinfo2 mi = mallinfo2();
  return static_cast<int64_t>(mi.uordblks + mi.hblkhd);
}

}  // namespace dedup::bench_util

#endif  // DEDUP_BENCH_BENCH_UTIL_H_
