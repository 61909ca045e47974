// The batch pipeline: inputs -> documents -> sketches -> clusters.
//
// RunClusterPipeline() streams documents from a CorpusReader, parses and sketches them
// on all cores (oneTBB parallel_pipeline: a serial stage reading lines or files, a
// parallel stage parsing and sketching them, and a serial in-order stage accepting them
// -- skipped lines, duplicate ids, errors in input order, see corpus.h -- and clustering)
// and returns the clusters. Because parsing and sketching are pure functions of the
// record and everything else sees documents in input order, the result, the warnings
// and the first error are the same for every thread count.
//
// Memory: the texts of the documents in flight (a few batches), plus per document
// what Clusterer keeps (id, signature, band entries, optional snippet).
//
// Example:
//   dedup::PipelineOptions options;
//   options.cluster.threshold = 0.8;
//   absl::StatusOr<dedup::PipelineResult> r = dedup::RunClusterPipeline({"news.jsonl"}, options);
#ifndef DEDUP_PIPELINE_H_
#define DEDUP_PIPELINE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dedup/boilerplate.h"
#include "dedup/cluster.h"
#include "dedup/corpus.h"
#include "dedup/progress.h"
#include "dedup/sketch.h"
#include "dedup/story.h"

namespace dedup {

struct PipelineOptions {
  CorpusOptions corpus;
  SketchOptions sketch;
  ClusterOptions cluster;
  // Corpus-level boilerplate removal (boilerplate.h): a first pass over the inputs
  // counts lines; standard input, pipes and FIFOs are spooled to temporary files for
  // it (internal/input_spool.h), unless corpus.spooled_inputs already maps them.
  BoilerplateOptions boilerplate;
  // Estimate containment from the signature slots' order (verify.h, "Ordered slots")
  // where the engine allows it (fss, classic; 32-bit signatures), else from the Jaccard
  // estimate and the sizes, as the ingestion index does.
  bool ordered_containment = true;
  int threads = 0;           // 0: all cores (oneTBB's default); at most kMaxThreads (threads.h).
  size_t snippet_chars = 0;  // Keep this many characters of each text for reports.
  // Return the boilerplate model in PipelineResult::boilerplate_model (for reports that
  // explain pairs with it, explain.h).
  bool keep_boilerplate_model = false;
  // Told the phases and the documents and bytes read (progress.h); not owned; may be null.
  // Never changes the result.
  ProgressObserver* progress = nullptr;
  // The story tier (story.h): group the clusters into stories (ClusterResult::stories).
  // Costs per document its story features (story_terms.h: <= 4 * 96 bytes) until the
  // clusters are known.
  bool stories = false;
  StoryOptions story;
};

struct PipelineResult {
  ClusterResult clusters;
  int64_t skipped_lines = 0;
  int64_t text_bytes = 0;
  double seconds = 0;
  std::string sketch_description;  // DescribeSketchOptions().
  int64_t boilerplate_lines = 0;   // Distinct boilerplate lines found (corpus + per source).
  BoilerplateModel boilerplate_model;  // With PipelineOptions::keep_boilerplate_model.
  StoryStats story_stats;          // With `stories`.
};

// Pass 1 of a run with boilerplate removal: the boilerplate model of the inputs.
absl::StatusOr<BoilerplateModel> LearnBoilerplate(const std::vector<std::string>& inputs,
                                                  const PipelineOptions& options);

absl::StatusOr<PipelineResult> RunClusterPipeline(const std::vector<std::string>& inputs,
                                                  const PipelineOptions& options);

// The first `max_chars` code points of `text` with runs of white space collapsed to
// one space (for reports). Never splits a UTF-8 sequence.
std::string MakeSnippet(std::string_view text, size_t max_chars);

}  // namespace dedup

#endif  // DEDUP_PIPELINE_H_
