#include "dedup/pipeline.h"

#include <chrono>
#include <memory>
#include <utility>

#include "dedup/status_macros.h"
#include "oneapi/tbb/enumerable_thread_specific.h"
#include "oneapi/tbb/parallel_pipeline.h"
#include "oneapi/tbb/task_arena.h"

namespace dedup {
namespace {

// Documents travel through the pipeline in batches to amortize per-token overhead.
constexpr size_t kBatchDocs = 64;
constexpr size_t kBatchBytes = 1 << 20;

struct Item {
  Document doc;
  SketchedDocument sketch;
  std::string snippet;
};

struct Batch {
  std::vector<Item> items;
  absl::Status status;  // First sketching error in this batch (none expected: input is validated).
};

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

absl::StatusOr<PipelineResult> RunClusterPipeline(const std::vector<std::string>& inputs,
                                                  const PipelineOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  DEDUP_ASSIGN_OR_RETURN(Sketcher sketcher, Sketcher::Create(options.sketch));
  DEDUP_ASSIGN_OR_RETURN(std::unique_ptr<Clusterer> clusterer,
                         Clusterer::Create(options.cluster, options.sketch.num_perm));
  DEDUP_ASSIGN_OR_RETURN(std::unique_ptr<CorpusReader> reader,
                         CorpusReader::Open(inputs, options.corpus));

  const bool keep_shingles = options.cluster.exact;
  absl::Status read_status;
  absl::Status sketch_status;
  tbb::enumerable_thread_specific<SketchScratch> scratch;

  auto read_stage = [&](tbb::flow_control& fc) -> std::shared_ptr<Batch> {
    if (!read_status.ok()) {
      fc.stop();
      return nullptr;
    }
    auto batch = std::make_shared<Batch>();
    size_t bytes = 0;
    while (batch->items.size() < kBatchDocs && bytes < kBatchBytes) {
      Item item;
      absl::StatusOr<bool> more = reader->Next(&item.doc);
      if (!more.ok()) {
        read_status = more.status();
        break;
      }
      if (!*more) break;
      bytes += item.doc.text.size();
      batch->items.push_back(std::move(item));
    }
    if (batch->items.empty()) {
      fc.stop();
      return nullptr;
    }
    return batch;
  };
  auto sketch_stage = [&](std::shared_ptr<Batch> batch) -> std::shared_ptr<Batch> {
    SketchScratch& s = scratch.local();
    for (Item& item : batch->items) {
      absl::Status st = sketcher.Sketch(item.doc.text, keep_shingles, &s, &item.sketch);
      if (!st.ok() && batch->status.ok()) {
        batch->status = absl::InvalidArgumentError(
            "document \"" + item.doc.id + "\": " + std::string(st.message()));
      }
      if (options.snippet_chars > 0) item.snippet = MakeSnippet(item.doc.text, options.snippet_chars);
      // The text is not needed past this stage.
      std::string().swap(item.doc.text);
    }
    return batch;
  };
  auto cluster_stage = [&](std::shared_ptr<Batch> batch) {
    if (!sketch_status.ok()) return;
    if (!batch->status.ok()) {
      sketch_status = batch->status;
      return;
    }
    for (Item& item : batch->items) {
      clusterer->Add(std::move(item.doc.id), std::move(item.snippet), std::move(item.sketch));
    }
  };

  const int threads = options.threads > 0 ? options.threads : tbb::info::default_concurrency();
  tbb::task_arena arena(threads);
  arena.execute([&] {
    tbb::parallel_pipeline(
        static_cast<size_t>(threads) * 4,
        tbb::make_filter<void, std::shared_ptr<Batch>>(tbb::filter_mode::serial_in_order, read_stage) &
            tbb::make_filter<std::shared_ptr<Batch>, std::shared_ptr<Batch>>(tbb::filter_mode::parallel,
                                                                             sketch_stage) &
            tbb::make_filter<std::shared_ptr<Batch>, void>(tbb::filter_mode::serial_in_order,
                                                           cluster_stage));
  });
  DEDUP_RETURN_IF_ERROR(read_status);
  DEDUP_RETURN_IF_ERROR(sketch_status);

  PipelineResult result;
  result.clusters = clusterer->Finish();
  result.skipped_lines = reader->skipped_lines();
  result.text_bytes = reader->text_bytes();
  result.sketch_description = DescribeSketchOptions(options.sketch);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace dedup
