// minhash_pair_errors: how often each MinHash engine's estimate flips a match decision.
//
// Usage: build/release/bench/minhash_pair_errors --corpus corpus.jsonl [--truth truth.tsv]
//            [--seeds 32] [--first-seed 1] [--threshold 0.7] [--containment 0.8] [--max-pairs N]
//
// With --truth (the generator's truth TSV), the pairs also include every pair of the
// same topic (same-topic hard negatives, across sites) and of the same true group, and
// each error is split by whether the two documents are copies of one original ("same
// group": a false accept there is harmless) or not ("across groups": a false accept
// there merges distinct articles -- the error that costs precision).
//
// For every pair of documents of the same `source` (they share the site's header and
// footer: the hardest negatives, since no boilerplate is removed here -- the ingestion
// configuration) and K = 128, word 5-shingles, it compares the decision verify.h makes
// from the exact shingle sets with the one it makes from each engine's signatures:
//   false accepts   exact: no match, estimate: match   (what merges distinct articles)
//   false rejects   exact: match, estimate: no match   (missed copies)
// summed over the seeds. Candidate generation (LSH) and pairs across sites are left out: this isolates the
// estimator. The counts are over millions of pairs, so they compare engines with less
// noise than the clusters' merged-pair counts, where one wrong edge can join two large
// clusters -- but the errors still come in bursts: under one seed, one short page whose
// signature happens to over-sample its site's chrome is falsely accepted with dozens of
// other pages of that site at once. So the counts of a few seeds are not Poisson; the
// table gives the per-seed mean, standard deviation and maximum of the harmful errors,
// and engines should be compared over many seeds (the default 32; seeds run in parallel).
//
// --pipeline (needs --truth) measures the same errors where they happen: through the
// whole batch pipeline (RunClusterPipeline: LSH candidates, then verification), with
// --boilerplate on|off (off by default: the ingestion configuration). Per engine and
// seed it counts the verified pairs of documents from different true groups (harmful
// edges) and the candidate pairs, so that an engine whose bands make more candidates
// of chrome-sharing pages is charged for the false accepts among them. Seeds run one
// after another, each pipeline on all cores.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_format.h"
#include "dedup/corpus.h"
#include "dedup/eval.h"
#include "dedup/pipeline.h"
#include "dedup/sketch.h"
#include "dedup/verify.h"
#include "oneapi/tbb/parallel_for.h"

namespace {

// --pipeline: harmful verified edges and candidates per engine and seed (see above).
int PipelineErrors(const std::string& corpus, const std::string& truth_path, int first_seed, int seeds,
                   double threshold, double containment, bool boilerplate) {
  auto truth = dedup::GroundTruth::Read(truth_path);
  if (!truth.ok()) {
    std::fprintf(stderr, "%s\n", std::string(truth.status().message()).c_str());
    return 1;
  }
  std::printf("%s: whole pipeline, boilerplate %s, threshold %.2f, containment %.2f, K=128, seeds %d..%d\n\n",
              corpus.c_str(), boilerplate ? "on" : "off", threshold, containment, first_seed,
              first_seed + seeds - 1);
  std::printf("| engine | harmful verified edges: total, per seed mean ± sd, max | candidate pairs per seed "
              "(mean) | verified pairs per seed (mean) | harmful edges by seed |\n");
  std::printf("| --- | --- | --- | --- | --- |\n");
  for (dedup::MinHashEngine engine :
       {dedup::MinHashEngine::kClassic, dedup::MinHashEngine::kOph, dedup::MinHashEngine::kFss}) {
    std::vector<int64_t> harmful;
    double candidates = 0, verified = 0;
    for (int s = 0; s < seeds; ++s) {
      dedup::PipelineOptions options;
      options.sketch.engine = engine;
      options.sketch.seed = static_cast<uint64_t>(first_seed + s);
      options.cluster.threshold = threshold;
      options.cluster.containment_threshold = containment;
      options.cluster.record_pairs = true;
      options.boilerplate.enabled = boilerplate;
      absl::StatusOr<dedup::PipelineResult> r = dedup::RunClusterPipeline({corpus}, options);
      if (!r.ok()) {
        std::fprintf(stderr, "%s\n", std::string(r.status().message()).c_str());
        return 1;
      }
      int64_t bad = 0;
      for (const auto& [a, b] : r->clusters.verified_pairs) {
        const dedup::TruthRecord* ta = truth->Find(r->clusters.documents[a].id);
        const dedup::TruthRecord* tb = truth->Find(r->clusters.documents[b].id);
        bad += ta != nullptr && tb != nullptr && ta->source_id != tb->source_id;
      }
      harmful.push_back(bad);
      candidates += static_cast<double>(r->clusters.stats.candidate_pairs);
      verified += static_cast<double>(r->clusters.stats.verified_pairs);
    }
    double sum = 0, sum2 = 0;
    int64_t max = 0;
    std::string by_seed;
    for (int64_t h : harmful) {
      sum += static_cast<double>(h);
      sum2 += static_cast<double>(h) * static_cast<double>(h);
      max = std::max(max, h);
      by_seed += (by_seed.empty() ? "" : " ") + std::to_string(h);
    }
    const double mean = sum / seeds;
    const double sd = seeds > 1 ? std::sqrt(std::max(0.0, (sum2 - seeds * mean * mean) / (seeds - 1))) : 0.0;
    std::printf("| %s | %.0f, %.2f ± %.2f, %lld | %.0f | %.0f | %s |\n", dedup::MinHashEngineFlag(engine), sum, mean,
                sd, static_cast<long long>(max), candidates / seeds, verified / seeds, by_seed.c_str());
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"How often each MinHash engine's estimate flips a match decision"};
  std::string corpus, truth_path;
  int seeds = 32;
  int first_seed = 1;
  double threshold = 0.7, containment = 0.8;
  int64_t max_pairs = 20'000'000;
  app.add_option("--corpus", corpus, "JSONL corpus with a source field (e.g. from dedup-gen-corpus)")->required();
  app.add_option("--truth", truth_path, "Its truth TSV: adds same-topic and same-group pairs");
  app.add_option("--seeds", seeds, "How many seeds (consecutive, from --first-seed)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--first-seed", first_seed, "The first seed")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--threshold", threshold, "Jaccard threshold")->check(CLI::Range(0.0, 1.0))->capture_default_str();
  app.add_option("--containment", containment, "Containment threshold")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--max-pairs", max_pairs, "Stop collecting pairs at this many")->capture_default_str();
  bool pipeline = false;
  std::string boilerplate = "off";
  app.add_flag("--pipeline", pipeline, "Count harmful verified edges through the whole pipeline (needs --truth)");
  app.add_option("--boilerplate", boilerplate, "With --pipeline: boilerplate removal")
      ->check(CLI::IsMember({"on", "off"}))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (pipeline) {
    if (truth_path.empty()) {
      std::fprintf(stderr, "--pipeline needs --truth\n");
      return 2;
    }
    return PipelineErrors(corpus, truth_path, first_seed, seeds, threshold, containment, boilerplate == "on");
  }
  auto reader = dedup::CorpusReader::Open({corpus}, {});
  if (!reader.ok()) {
    std::fprintf(stderr, "%s\n", std::string(reader.status().message()).c_str());
    return 1;
  }
  std::vector<dedup::Document> docs;
  absl::flat_hash_map<std::string, std::vector<uint32_t>> by_source;
  for (dedup::Document d;;) {
    absl::StatusOr<bool> more = (*reader)->Next(&d);
    if (!more.ok()) {
      std::fprintf(stderr, "%s\n", std::string(more.status().message()).c_str());
      return 1;
    }
    if (!*more) break;
    by_source[d.source].push_back(static_cast<uint32_t>(docs.size()));
    docs.push_back(std::move(d));
  }
  const dedup::MatchOptions match{.threshold = threshold, .containment_threshold = containment};
  const dedup::MinHashEngine engines[] = {dedup::MinHashEngine::kClassic, dedup::MinHashEngine::kOph,
                                          dedup::MinHashEngine::kFss};
  const int k = 128;
  // Exact shingle sets (the seed of the shingle hash does not change the sets' sizes or
  // overlaps beyond 64-bit collisions, so one exact pass serves every seed).
  std::vector<std::vector<uint64_t>> shingles(docs.size());
  {
    auto sketcher = *dedup::Sketcher::Create({});
    dedup::SketchScratch scratch;
    for (size_t i = 0; i < docs.size(); ++i) (void)sketcher.Shingles(docs[i].text, &scratch, &shingles[i]);
  }
  // The groups whose pairs are examined: sources, and with a truth file topics and true
  // groups too.
  std::vector<std::vector<uint32_t>> groups;
  for (auto& [source, members] : by_source) groups.push_back(members);
  std::vector<std::string> group_of(docs.size());  // True group (source_id); empty without truth.
  if (!truth_path.empty()) {
    auto truth = dedup::GroundTruth::Read(truth_path);
    if (!truth.ok()) {
      std::fprintf(stderr, "%s\n", std::string(truth.status().message()).c_str());
      return 1;
    }
    absl::flat_hash_map<std::string, std::vector<uint32_t>> by_topic, by_group;
    for (uint32_t d = 0; d < docs.size(); ++d) {
      const dedup::TruthRecord* r = truth->Find(docs[d].id);
      if (r == nullptr) continue;
      group_of[d] = r->source_id;
      by_group[r->source_id].push_back(d);
      if (!r->topic.empty()) by_topic[r->topic].push_back(d);
    }
    for (auto& [k, v] : by_topic) groups.push_back(v);
    for (auto& [k, v] : by_group) groups.push_back(v);
  }
  // Exact decisions of every pair, each pair once.
  std::vector<std::pair<uint32_t, uint32_t>> pairs;
  std::vector<bool> exact_match;
  absl::flat_hash_set<uint64_t> seen;
  for (const auto& members : groups) {
    for (size_t x = 0; x < members.size(); ++x) {
      for (size_t y = x + 1; y < members.size() && static_cast<int64_t>(pairs.size()) < max_pairs; ++y) {
        const uint32_t a = std::min(members[x], members[y]), b = std::max(members[x], members[y]);
        if (!seen.insert((static_cast<uint64_t>(a) << 32) | b).second) continue;
        const auto e = dedup::ExactPair(shingles[a], shingles[b]);
        pairs.push_back({a, b});
        exact_match.push_back(dedup::Classify(e, static_cast<uint32_t>(shingles[a].size()),
                                              static_cast<uint32_t>(shingles[b].size()), match) !=
                              dedup::MatchKind::kNone);
      }
    }
  }
  int64_t exact_matches = 0;
  for (bool m : exact_match) exact_matches += m;
  std::printf("%zu documents, %zu pairs, %lld exact matches; threshold %.2f, containment %.2f, "
              "K=%d, seeds %d..%d\n\n",
              docs.size(), pairs.size(), static_cast<long long>(exact_matches), threshold, containment, k,
              first_seed, first_seed + seeds - 1);
  std::printf("| engine | false accepts | false rejects | per million pairs (accepts / rejects) | "
              "false accepts across groups: total, per seed mean ± sd, max | false rejects within groups |\n");
  std::printf("| --- | --- | --- | --- | --- | --- |\n");
  // The counts of one seed.
  struct Counts {
    int64_t false_accepts = 0, false_rejects = 0, accepts_across = 0, rejects_within = 0;
  };
  for (dedup::MinHashEngine engine : engines) {
    std::vector<Counts> per_seed(static_cast<size_t>(seeds));
    // Seeds are independent: one task each (the result does not depend on the thread count).
    tbb::parallel_for(0, seeds, [&](int s) {
      dedup::SketchOptions options;
      options.engine = engine;
      options.seed = static_cast<uint64_t>(first_seed + s);
      auto sketcher = *dedup::Sketcher::Create(options);
      dedup::SketchScratch scratch;
      std::vector<uint32_t> sigs(docs.size() * k);
      std::vector<uint32_t> sizes(docs.size());
      dedup::SketchedDocument sketch;
      for (size_t i = 0; i < docs.size(); ++i) {
        (void)sketcher.Sketch(docs[i].text, false, &scratch, &sketch);
        std::copy(sketch.signature.values().begin(), sketch.signature.values().end(), sigs.begin() + i * k);
        sizes[i] = sketch.num_shingles;
      }
      Counts& c = per_seed[static_cast<size_t>(s)];
      for (size_t p = 0; p < pairs.size(); ++p) {
        const auto [a, b] = pairs[p];
        const auto e = dedup::EstimatePair(&sigs[a * k], sizes[a], &sigs[b * k], sizes[b], k);
        const bool m = dedup::Classify(e, sizes[a], sizes[b], match) != dedup::MatchKind::kNone;
        const bool same_group = !group_of[a].empty() && group_of[a] == group_of[b];
        c.false_accepts += m && !exact_match[p];
        c.false_rejects += !m && exact_match[p];
        c.accepts_across += m && !exact_match[p] && !same_group;
        c.rejects_within += !m && exact_match[p] && same_group;
      }
    });
    Counts total;
    double sum = 0, sum2 = 0;
    int64_t max_across = 0;
    for (const Counts& c : per_seed) {
      total.false_accepts += c.false_accepts;
      total.false_rejects += c.false_rejects;
      total.accepts_across += c.accepts_across;
      total.rejects_within += c.rejects_within;
      sum += static_cast<double>(c.accepts_across);
      sum2 += static_cast<double>(c.accepts_across) * static_cast<double>(c.accepts_across);
      max_across = std::max(max_across, c.accepts_across);
    }
    const double mean = sum / seeds;
    const double sd = seeds > 1 ? std::sqrt(std::max(0.0, (sum2 - seeds * mean * mean) / (seeds - 1))) : 0.0;
    const double million = static_cast<double>(pairs.size()) * seeds / 1e6;
    std::printf("| %s | %lld | %lld | %.2f / %.2f | %s | %s |\n", dedup::MinHashEngineFlag(engine),
                static_cast<long long>(total.false_accepts), static_cast<long long>(total.false_rejects),
                total.false_accepts / million, total.false_rejects / million,
                truth_path.empty() ? "-"
                                   : absl::StrFormat("%d, %.2f ± %.2f, %d", total.accepts_across, mean, sd,
                                                     max_across)
                                         .c_str(),
                truth_path.empty() ? "-" : std::to_string(total.rejects_within).c_str());
  }
  return 0;
}
