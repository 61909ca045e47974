#include "dedup/pipeline.h"

#include <atomic>
#include <chrono>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <memory>
#include <utility>

#include "absl/strings/str_format.h"
#include "dedup/internal/input_spool.h"
#include "dedup/progress.h"
#include "dedup/status_macros.h"
#include "dedup/threads.h"
#include "oneapi/tbb/enumerable_thread_specific.h"
#include "oneapi/tbb/parallel_pipeline.h"
#include "oneapi/tbb/task_arena.h"

namespace dedup {
namespace {

// Documents travel through the pipeline in batches to amortize per-token overhead.
constexpr size_t kBatchDocs = 64;
constexpr size_t kBatchBytes = 1 << 20;

struct Item {
  RawRecord record;
  size_t record_bytes = 0;  // For progress: record.bytes is freed once parsed.
  absl::Status parsed;  // RecordParser's: a bad line, which skip_bad_lines may skip.
  absl::Status mapped;  // `map`'s: always ends the run.
  Document doc;
  SketchedDocument sketch;
  std::string snippet;
  StoryFeatures story;  // With PipelineOptions::stories.
  LineKeys line_keys;  // Pass 1 only.
};

using Batch = std::vector<Item>;

// Streams the reader's documents through `map` (parallel, per item; may fail) and then
// `consume` (serial, in input order). `map` must not depend on other documents.
//
// The serial first stage only reads records (lines or files); they are parsed in the
// parallel stage, so that JSON parsing scales with the cores, and accepted in the last,
// serial stage (CorpusReader::Accept: skipped lines, duplicate ids), so that warnings
// and the first error come out in input order, as a serial reader's would.
template <typename Map, typename Consume>
absl::Status StreamCorpus(CorpusReader& reader, const CorpusOptions& corpus, int threads, const Map& map,
                          const Consume& consume, ProgressObserver* progress) {
  int64_t documents_done = 0, bytes_done = 0;
  absl::Status read_status;
  absl::Status consume_status;
  std::atomic<bool> failed{false};  // Set by the last stage: stop reading.
  tbb::enumerable_thread_specific<RecordParser> parsers([&] { return RecordParser(corpus); });
  auto read_stage = [&](tbb::flow_control& fc) -> std::shared_ptr<Batch> {
    if (!read_status.ok() || failed.load(std::memory_order_relaxed)) {
      fc.stop();
      return nullptr;
    }
    auto batch = std::make_shared<Batch>();
    size_t bytes = 0;
    while (batch->size() < kBatchDocs && bytes < kBatchBytes) {
      Item item;
      absl::StatusOr<bool> more = reader.NextRecord(&item.record);
      if (!more.ok()) {
        read_status = more.status();
        break;
      }
      if (!*more) break;
      bytes += item.record.bytes.size();
      item.record_bytes = item.record.bytes.size();
      batch->push_back(std::move(item));
    }
    if (batch->empty()) {
      fc.stop();
      return nullptr;
    }
    return batch;
  };
  auto map_stage = [&](std::shared_ptr<Batch> batch) -> std::shared_ptr<Batch> {
    RecordParser& parser = parsers.local();
    for (Item& item : *batch) {
      item.parsed = parser.Parse(&item.record, &item.doc);
      std::string().swap(item.record.bytes);
      if (!item.parsed.ok()) continue;
      absl::Status st = map(item);
      if (!st.ok()) {
        item.mapped = absl::InvalidArgumentError("document \"" + item.doc.id + "\": " + std::string(st.message()));
      }
    }
    return batch;
  };
  auto consume_stage = [&](std::shared_ptr<Batch> batch) {
    for (Item& item : *batch) {
      if (!consume_status.ok()) return;
      absl::StatusOr<bool> accepted = reader.Accept(item.record, item.parsed, item.doc);
      if (!accepted.ok() || (*accepted && !item.mapped.ok())) {
        consume_status = accepted.ok() ? item.mapped : accepted.status();
        failed.store(true, std::memory_order_relaxed);
        return;
      }
      if (*accepted) consume(item);
      std::string().swap(item.doc.text);  // Counted by Accept; not needed any more.
      documents_done += *accepted ? 1 : 0;
      bytes_done += static_cast<int64_t>(item.record_bytes);
    }
    if (progress != nullptr) progress->Advance(documents_done, bytes_done);
  };
  tbb::task_arena arena(threads);
  arena.execute([&] {
    tbb::parallel_pipeline(
        static_cast<size_t>(threads) * 4,
        tbb::make_filter<void, std::shared_ptr<Batch>>(tbb::filter_mode::serial_in_order, read_stage) &
            tbb::make_filter<std::shared_ptr<Batch>, std::shared_ptr<Batch>>(tbb::filter_mode::parallel, map_stage) &
            tbb::make_filter<std::shared_ptr<Batch>, void>(tbb::filter_mode::serial_in_order, consume_stage));
  });
  // Every record read before a read error is earlier in the input than it, so an error
  // found while accepting them comes first.
  DEDUP_RETURN_IF_ERROR(consume_status);
  return read_status;
}

}  // namespace

std::string MakeSnippet(std::string_view text, size_t max_chars) {
  std::string out;
  size_t chars = 0;
  bool space = false;
  for (size_t i = 0; i < text.size() && chars < max_chars;) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      space = !out.empty();
      ++i;
      continue;
    }
    if (space) {
      out.push_back(' ');
      ++chars;
      space = false;
      if (chars >= max_chars) break;
    }
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
    if (i + len > text.size()) len = text.size() - i;
    out.append(text.substr(i, len));
    i += len;
    ++chars;
  }
  return out;
}

absl::StatusOr<BoilerplateModel> LearnBoilerplate(const std::vector<std::string>& inputs,
                                                  const PipelineOptions& options) {
  DEDUP_RETURN_IF_ERROR(ValidateThreads(options.threads));
  DEDUP_RETURN_IF_ERROR(ValidateBoilerplateOptions(options.boilerplate));
  BoilerplateDetector detector(options.boilerplate);
  CorpusOptions corpus = options.corpus;
  corpus.on_warning = [](const std::string&) {};  // Pass 2 reports skipped lines.
  DEDUP_ASSIGN_OR_RETURN(std::unique_ptr<CorpusReader> reader, CorpusReader::Open(inputs, corpus));
  if (options.progress != nullptr) options.progress->StartPhase("reading and chrome pass", InputBytes(inputs, corpus));
  tbb::enumerable_thread_specific<TokenizedText> scratch;
  const int threads = options.threads > 0 ? options.threads : tbb::info::default_concurrency();
  DEDUP_RETURN_IF_ERROR(StreamCorpus(
      *reader, corpus, threads,
      [&](Item& item) -> absl::Status {
        TokenizedText& tokens = scratch.local();
        DEDUP_RETURN_IF_ERROR(Tokenize(item.doc.text, &tokens));
        item.line_keys = ComputeLineKeys(tokens);
        return absl::OkStatus();
      },
      [&](Item& item) { detector.AddLineKeys(SourceKey(item.doc.source), std::move(item.line_keys)); },
      options.progress));
  reader.reset();  // Its set of ids (duplicate checks) is not needed by the search.
  scratch.clear();
#if defined(__GLIBC__)
  // Hand the pass's freed memory (batches in flight, the id set, the detector's arrays
  // before they last grew) back to the system, so the search's tables do not come on
  // top of it.
  malloc_trim(0);
#endif
  BoilerplateModel model;
  tbb::task_arena arena(threads);
  arena.execute([&] { model = detector.Build(); });
  return model;
}

absl::StatusOr<PipelineResult> RunClusterPipeline(const std::vector<std::string>& inputs,
                                                  const PipelineOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  DEDUP_RETURN_IF_ERROR(ValidateThreads(options.threads));
  if (options.stories) DEDUP_RETURN_IF_ERROR(ValidateStoryOptions(options.story));
  SketchOptions sketch_options = options.sketch;
  // Openings (opening.h) only when the clusterer will use them.
  if (!options.cluster.exact && options.cluster.opening_threshold > 0.0) {
    sketch_options.opening = options.cluster.opening;
  }
  DEDUP_ASSIGN_OR_RETURN(Sketcher sketcher, Sketcher::Create(sketch_options));
  ClusterOptions cluster_options = options.cluster;
  // oph's densified bins copy other bins' values: their order says nothing (verify.h).
  cluster_options.ordered_slots = options.ordered_containment && options.sketch.engine != MinHashEngine::kOph;
  DEDUP_ASSIGN_OR_RETURN(std::unique_ptr<Clusterer> clusterer,
                         Clusterer::Create(cluster_options, options.sketch.num_perm));
  const int threads = options.threads > 0 ? options.threads : tbb::info::default_concurrency();

  PipelineOptions effective = options;
  internal::InputSpool spool;
  BoilerplateModel boilerplate;
  if (options.boilerplate.enabled) {
    // Pass 1: line statistics over the whole corpus. Standard input, pipes and FIFOs
    // are spooled to files so that pass 2 can read them again.
    DEDUP_RETURN_IF_ERROR(spool.Spool(inputs, &effective.corpus));
    DEDUP_ASSIGN_OR_RETURN(boilerplate, LearnBoilerplate(inputs, effective));
  }

  DEDUP_ASSIGN_OR_RETURN(std::unique_ptr<CorpusReader> reader, CorpusReader::Open(inputs, effective.corpus));
  const bool keep_shingles = options.cluster.exact;
  if (options.progress != nullptr) options.progress->StartPhase("signing", InputBytes(inputs, effective.corpus));
  tbb::enumerable_thread_specific<SketchScratch> scratch;
  tbb::enumerable_thread_specific<StoryScratch> story_scratch;
  std::vector<StoryFeatures> story_features;  // By input position, with options.stories.
  DEDUP_RETURN_IF_ERROR(StreamCorpus(
      *reader, effective.corpus, threads,
      [&](Item& item) -> absl::Status {
        DEDUP_RETURN_IF_ERROR(sketcher.Sketch(item.doc.text, keep_shingles, &scratch.local(), &item.sketch,
                                              &boilerplate, SourceKey(item.doc.source)));
        if (options.snippet_chars > 0) item.snippet = MakeSnippet(item.doc.text, options.snippet_chars);
        if (options.stories) ExtractStoryFeatures(item.doc.text, &story_scratch.local(), &item.story);
        return absl::OkStatus();
      },
      [&](Item& item) {
        if (options.stories) story_features.push_back(std::move(item.story));
        clusterer->Add(std::move(item.doc.id), std::move(item.snippet), std::move(item.sketch),
                       item.doc.published_time);
      },
      options.progress));

  PipelineResult result;
  tbb::task_arena arena(threads);
  arena.execute([&] {
    result.clusters = clusterer->Finish(options.progress);
    if (options.stories) result.story_stats = GroupClusterStories(story_features, options.story, &result.clusters);
  });
  result.skipped_lines = reader->skipped_lines();
  result.text_bytes = reader->text_bytes();
  result.sketch_description = DescribeSketchOptions(options.sketch);
  result.boilerplate_lines = static_cast<int64_t>(boilerplate.corpus_lines() + boilerplate.source_lines());
  if (options.keep_boilerplate_model) result.boilerplate_model = std::move(boilerplate);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace dedup
