// The boilerplate pass on one corpus, phase by phase, and a digest of the model it finds:
//   build/release/bench/boilerplate_probe CORPUS.jsonl [--threads N] [--repeat R]
// prints the time of reading + tokenizing, of ComputeLineKeys, of AddLineKeys and of
// Build (the best of R builds), peak RSS, and the model's lines (corpus and per source)
// with an XXH3 digest of their sorted list. Two builds find the same model on a corpus
// exactly when they print the same digest: every line of the model is a line of some
// document, so querying IsBoilerplate() for each (document source, line) pair lists the
// whole model.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "dedup/boilerplate.h"
#include "dedup/corpus.h"
#include "dedup/normalize.h"
#include "oneapi/tbb/task_arena.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace {

double Seconds(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

long PeakKb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS.jsonl [--threads N] [--repeat R]\n", argv[0]);
    return 2;
  }
  int threads = 1, repeat = 1;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--threads") == 0) threads = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--repeat") == 0) repeat = std::atoi(argv[i + 1]);
  }
  using Clock = std::chrono::steady_clock;
  dedup::CorpusOptions corpus;
  auto reader = dedup::CorpusReader::Open({argv[1]}, corpus);
  if (!reader.ok()) {
    std::fprintf(stderr, "%s\n", std::string(reader.status().message()).c_str());
    return 1;
  }
  dedup::BoilerplateDetector detector({});
  size_t documents = 0;
  dedup::Document doc;
  dedup::TokenizedText tokens;
  double read_s = 0, keys_s = 0, add_s = 0;
  for (;;) {
    const auto t0 = Clock::now();
    absl::StatusOr<bool> more = (*reader)->Next(&doc);
    if (!more.ok()) {
      std::fprintf(stderr, "%s\n", std::string(more.status().message()).c_str());
      return 1;
    }
    if (!*more) break;
    if (!dedup::Tokenize(doc.text, &tokens).ok()) return 1;
    const auto t1 = Clock::now();
    dedup::LineKeys keys = dedup::ComputeLineKeys(tokens);
    const auto t2 = Clock::now();
    const uint64_t source = dedup::SourceKey(doc.source);
    detector.AddLineKeys(source, keys);
    const auto t3 = Clock::now();
    read_s += Seconds(t0, t1), keys_s += Seconds(t1, t2), add_s += Seconds(t2, t3);
    ++documents;
  }
  const long peak_added = PeakKb();
  dedup::BoilerplateModel model;
  double build_s = 1e100;
  tbb::task_arena arena(threads);
  for (int r = 0; r < repeat; ++r) {
    const auto t0 = Clock::now();
    arena.execute([&] { model = detector.Build(); });
    build_s = std::min(build_s, Seconds(t0, Clock::now()));
  }
  std::vector<uint64_t> corpus_lines;
  std::vector<std::pair<uint64_t, uint64_t>> source_lines;
  const long peak_built = PeakKb();
  // The digest: read the corpus again and ask the model about each document's lines.
  auto again = dedup::CorpusReader::Open({argv[1]}, corpus);
  if (!again.ok()) return 1;
  for (;;) {
    absl::StatusOr<bool> more = (*again)->Next(&doc);
    if (!more.ok()) return 1;
    if (!*more) break;
    if (!dedup::Tokenize(doc.text, &tokens).ok()) return 1;
    const uint64_t source = dedup::SourceKey(doc.source);
    for (size_t i = 0; i < tokens.lines.size(); ++i) {
      const uint64_t line = dedup::LineKey(tokens, tokens.lines[i], tokens.line_end(i));
      if (model.IsBoilerplate(0, line)) {
        corpus_lines.push_back(line);
      } else if (model.IsBoilerplate(source, line)) {
        source_lines.emplace_back(source, line);
      }
    }
  }
  std::sort(corpus_lines.begin(), corpus_lines.end());
  corpus_lines.erase(std::unique(corpus_lines.begin(), corpus_lines.end()), corpus_lines.end());
  std::sort(source_lines.begin(), source_lines.end());
  source_lines.erase(std::unique(source_lines.begin(), source_lines.end()), source_lines.end());
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  XXH3_64bits_update(state, corpus_lines.data(), corpus_lines.size() * sizeof(uint64_t));
  for (const auto& [s, l] : source_lines) {
    XXH3_64bits_update(state, &s, sizeof s);
    XXH3_64bits_update(state, &l, sizeof l);
  }
  const uint64_t digest = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  const bool complete = corpus_lines.size() == model.corpus_lines() && source_lines.size() == model.source_lines();
  std::printf("documents %zu\nread+tokenize %.3f s\nComputeLineKeys %.3f s\nAddLineKeys %.3f s\n", documents,
              read_s, keys_s, add_s);
  std::printf("Build (threads %d, best of %d) %.3f s\npeak RSS after adding %ld KB, after building %ld KB\n", threads,
              repeat, build_s, peak_added, peak_built);
  std::printf("model: %zu corpus lines, %zu per-source lines%s\ndigest %016llx\n", model.corpus_lines(),
              model.source_lines(), complete ? "" : " (NOT all found in the documents)",
              static_cast<unsigned long long>(digest));
  return complete ? 0 : 1;
}
