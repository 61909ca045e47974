// ParamFlags: the index parameter flags (--shingle ... --boilerplate-source-min-contexts)
// shared by `dedup index create|add|query` and `dedup serve`.
#ifndef DEDUP_CLI_PARAM_FLAGS_H_
#define DEDUP_CLI_PARAM_FLAGS_H_

#include <string>

#include "absl/status/statusor.h"
#include "dedup/cli/common.h"
#include "dedup/ingest_index.h"

namespace dedup::cli {

// The index parameters: given to `create`; on `add` and `query`, each one given must
// equal the stored value (a guard for scripts), the others are taken from the index.
struct ParamFlags {
  SketchFlags sketch;
  // The index defaults (IndexParams{}: those of `dedup cluster`, see ingest_index.h).
  double threshold = IndexParams{}.match.threshold;
  double containment = IndexParams{}.match.containment_threshold;
  uint32_t min_containment_shingles = IndexParams{}.match.min_containment_shingles;
  double min_containment_ratio = IndexParams{}.match.min_containment_ratio;
  double containment_z = IndexParams{}.match.containment_z;
  std::string canonical = std::string(CanonicalRuleName(IndexParams{}.canonical));
  int bands = 0;
  int rows = 0;
  std::string boilerplate = IndexParams{}.chrome.enabled ? "on" : "off";
  BoilerplateOptions chrome = IndexParams{}.chrome;

  static constexpr const char* kNames[] = {"--shingle", "--num-perm", "--seed", "--minhash", "--threshold", "--containment",
                                           "--min-containment-shingles", "--min-containment-ratio", "--containment-z",
                                           "--canonical", "--bands", "--rows", "--boilerplate",
                                           "--boilerplate-min-docs", "--boilerplate-min-contexts",
                                           "--boilerplate-source-min-docs", "--boilerplate-source-min-contexts"};

  void Register(CLI::App* app) {
    sketch.shingle = ShingleSpec(IndexParams{}.sketch.shingle);  // IndexParams{} (the batch default).
    sketch.Register(app);
    app->add_option("--threshold", threshold, "Jaccard similarity needed to group two documents, in [0,1]")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    app->add_option("--containment", containment,
                    "Also group a document whose shingles are this share of a larger one's (an excerpt); "
                    "0 disables, in [0,1]")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    app->add_option("--min-containment-shingles", min_containment_shingles,
                    "Containment needs the smaller document to have at least this many shingles")
        ->capture_default_str();
    app->add_option("--min-containment-ratio", min_containment_ratio,
                    "Containment needs the smaller document to be at least this share of the larger, in (0,1]")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    app->add_option("--containment-z", containment_z,
                    "Containment needs its estimate minus this many standard errors to reach --containment")
        ->check(CLI::Range(0.0, 10.0))
        ->capture_default_str();
    app->add_option("--canonical", canonical,
                    "Canonical member of a cluster: earliest (published; else first inserted), first, longest")
        ->check(CLI::IsMember({"earliest", "first", "longest"}))
        ->capture_default_str();
    AddBandsRowsOptions(app, &bands, &rows, "LSH bands (with --rows; default: chosen from the thresholds)");
    app->add_option("--boilerplate", boilerplate,
                    "on: learn site chrome from the ingested documents and leave it out of signatures "
                    "(chrome_stream.h); off: compare whole pages")
        ->check(CLI::IsMember({"on", "off"}))
        ->capture_default_str();
    app->add_option("--boilerplate-min-docs", chrome.min_docs,
                    "Corpus-wide chrome: a line in at least this many documents ...")
        ->check(CLI::Range(1, 1 << 30))
        ->capture_default_str();
    app->add_option("--boilerplate-min-contexts", chrome.min_contexts, "... with this many different contexts")
        ->check(CLI::Range(1, kMaxBoilerplateContexts))
        ->capture_default_str();
    app->add_option("--boilerplate-source-min-docs", chrome.min_source_docs,
                    "Per-source chrome (JSONL \"source\" field): a line in this many documents of a source ...")
        ->check(CLI::Range(1, 1 << 30))
        ->capture_default_str();
    app->add_option("--boilerplate-source-min-contexts", chrome.min_source_contexts,
                    "... with this many different contexts")
        ->check(CLI::Range(1, kMaxBoilerplateContexts))
        ->capture_default_str();
  }

  bool AnyGiven(CLI::App* app) const {
    for (const char* name : kNames) {
      if (app->get_option(name)->count() > 0) return true;
    }
    return false;
  }

  // `base` with the flags given on the command line (all of them when `all`).
  absl::StatusOr<IndexParams> Apply(CLI::App* app, IndexParams base, bool all) const {
    auto given = [&](const char* name) { return all || app->get_option(name)->count() > 0; };
    absl::StatusOr<SketchOptions> s = sketch.ToOptions();
    if (!s.ok()) return s.status();
    if (given("--shingle")) base.sketch.shingle = s->shingle;
    if (given("--num-perm")) base.sketch.num_perm = s->num_perm;
    if (given("--seed")) base.sketch.seed = s->seed;
    if (given("--minhash")) base.sketch.engine = s->engine;
    if (given("--threshold")) base.match.threshold = threshold;
    if (given("--containment")) base.match.containment_threshold = containment;
    if (given("--min-containment-shingles")) base.match.min_containment_shingles = min_containment_shingles;
    if (given("--min-containment-ratio")) {
      if (!(min_containment_ratio > 0.0)) {
        return absl::InvalidArgumentError("--min-containment-ratio must be > 0");
      }
      base.match.min_containment_ratio = min_containment_ratio;
    }
    if (given("--containment-z")) base.match.containment_z = containment_z;
    if (given("--boilerplate")) base.chrome.enabled = boilerplate == "on";
    if (given("--boilerplate-min-docs")) base.chrome.min_docs = chrome.min_docs;
    if (given("--boilerplate-min-contexts")) base.chrome.min_contexts = chrome.min_contexts;
    if (given("--boilerplate-source-min-docs")) base.chrome.min_source_docs = chrome.min_source_docs;
    if (given("--boilerplate-source-min-contexts")) base.chrome.min_source_contexts = chrome.min_source_contexts;
    if (given("--canonical")) {
      absl::StatusOr<CanonicalRule> rule = ParseCanonicalRule(canonical);
      if (!rule.ok()) return rule.status();
      base.canonical = *rule;
    }
    if ((bands > 0) != (rows > 0)) return absl::InvalidArgumentError("--bands and --rows must be given together");
    if (bands > 0) {
      LshParams lsh{bands, rows};
      absl::Status st = ValidateLshParams(lsh, base.sketch.num_perm);
      if (!st.ok()) return st;
      base.lsh = lsh;
    } else if (all) {
      base.lsh.reset();
    } else if (given("--shingle") || given("--num-perm") || given("--threshold") || given("--containment") ||
               given("--min-containment-ratio")) {
      // Bands were chosen from the thresholds at creation; compare what these flags
      // would choose, unless the index was created with explicit bands.
      base.lsh.reset();
    }
    return base;
  }
};

}  // namespace dedup::cli

#endif  // DEDUP_CLI_PARAM_FLAGS_H_
