// dedup-e2e-bench: the whole pipeline on one corpus, phase by phase, with quality.
//
// Usage:
//   dedup-e2e-bench --corpus corpus.jsonl --truth truth.tsv [--threads N] [--num-perm K]
//                   [--threshold T] [--oracle-max-docs N] [--reference-json ds.json]
//                   [--json out.json]
//
// Phases, each timed on the whole corpus (texts are held in memory after phase 1, so
// later phases measure computation, not I/O):
//   pipeline-1t / pipeline-Nt  the streaming `dedup cluster` pipeline (RunClusterPipeline),
//                              each in a forked child so that its peak RSS (wait4) is
//                              its own; the two outputs must be byte-identical
//   read                       JSONL parsing into documents held in memory (CorpusReader)
//   read-stream                the same, each document dropped after reading: one core's
//                              parsing throughput (the pipeline parses on all cores)
//   boilerplate                the boilerplate pass (LearnBoilerplate: read + tokenize + count)
//   boilerplate-build-1t / -Nt the boilerplate search alone (BoilerplateDetector::Build) on 1
//                              and N threads
//   tokenize                   Tokenize only (the first part of tokenize+hash)
//   tokenize+hash              Tokenize + HashShingles only: the reference for signing
//   sign-1t / sign-Nt          Sketcher::Sketch (tokenize, boilerplate removal, hash, MinHash)
//                              on 1 and N threads
//   sign-plain-1t              Sketcher::Sketch without a boilerplate model: tokenize, hash,
//                              count, MinHash -- the same work as tokenize+hash plus MinHash
//   read+sign-1t               JSONL in -> signatures out, streaming, no boilerplate model
//   read+tokenize+hash-1t      JSONL in -> shingle hashes out: read+sign-1t's reference with
//                              the same JSON parsing
//   index                      LshIndex query + insert for every document (p50/p99 query)
//   cluster                    Clusterer::Add for every document (pack the signature,
//                              append the columns) + Finish (band join, verify, union,
//                              results); the clusterer's bytes per document by part
//                              (Clusterer::Memory(), join scratch included) and its heap
//                              growth (mallinfo2) around the Adds
//   write                      the TSV report, atomically written
// Quality: pairwise precision/recall/F1 and ARI against the truth file; LSH recall and
// precision against the exact oracle when the corpus has at most --oracle-max-docs.
// A reference measured elsewhere in the same run (datasketch's timing JSON from
// bench/reference/datasketch_cluster.py on the same corpus) is shown as a ratio.
#include <malloc.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_format.h"
#include "dedup/atomic_file.h"
#include "dedup/boilerplate.h"
#include "dedup/cluster.h"
#include "dedup/corpus.h"
#include "dedup/eval.h"
#include "dedup/pipeline.h"
#include "dedup/report.h"
#include "dedup/sketch.h"
#include "oneapi/tbb/enumerable_thread_specific.h"
#include "oneapi/tbb/global_control.h"
#include "oneapi/tbb/parallel_for.h"
#include "oneapi/tbb/task_arena.h"
#include "simdjson.h"
#include <xxhash.h>

namespace {

using Clock = std::chrono::steady_clock;
int64_t FileSize(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<int64_t>(size);
}
double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

struct Phase {
  std::string name;
  double seconds = 0;
  int64_t docs = 0;
  int64_t bytes = 0;
  std::string note;
};

struct ChildResult {
  double seconds = 0;
  int64_t docs = 0, bytes = 0;
  uint64_t output_hash = 0;
  int64_t peak_rss = 0;
  bool ok = false;
};

// Runs the streaming pipeline in a child process; returns its time, output hash and peak RSS.
ChildResult RunPipelineInChild(const std::string& corpus, dedup::PipelineOptions options, int threads) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    options.threads = threads;
    auto start = Clock::now();
    auto r = dedup::RunClusterPipeline({corpus}, options);
    ChildResult c;
    if (r.ok()) {
      std::ostringstream out;
      dedup::ReportInfo info;
      dedup::WriteReport(r->clusters, info, dedup::ReportFormat::kTsv, out);
      c.seconds = Seconds(start);
      c.docs = r->clusters.stats.documents;
      c.bytes = r->text_bytes;
      std::string s = out.str();
      c.output_hash = XXH3_64bits(s.data(), s.size());
      c.ok = true;
    } else {
      std::cerr << "pipeline failed: " << r.status().message() << "\n";
    }
    ssize_t n = write(fds[1], &c, sizeof c);
    _exit(n == sizeof c ? 0 : 1);
  }
  close(fds[1]);
  ChildResult c;
  ssize_t n = read(fds[0], &c, sizeof c);
  close(fds[0]);
  int status = 0;
  struct rusage ru {};
  wait4(pid, &status, 0, &ru);
  if (n != sizeof c) c.ok = false;
  c.peak_rss = static_cast<int64_t>(ru.ru_maxrss) * 1024;
  return c;
}

size_t HeapInUse() { return mallinfo2().uordblks + mallinfo2().hblkhd; }

struct Reference {
  bool present = false;
  double docs_per_s = 0, mb_per_s = 0;
  int64_t docs = 0, peak_rss = 0;
  std::string label;
};

Reference ReadReference(const std::string& path) {
  Reference ref;
  if (path.empty()) return ref;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.load(path).get(doc)) {
    std::cerr << "warning: cannot read reference JSON " << path << "\n";
    return ref;
  }
  double v;
  int64_t i;
  if (!doc["docs_per_s"].get(v)) ref.docs_per_s = v;
  if (!doc["mb_per_s"].get(v)) ref.mb_per_s = v;
  if (!doc["docs"].get(i)) ref.docs = i;
  if (!doc["peak_rss_bytes"].get(i)) ref.peak_rss = i;
  std::string_view desc;
  if (!doc["datasketch"]["describe"].get(desc)) ref.label = "datasketch " + std::string(desc);
  if (ref.label.empty()) ref.label = "datasketch";
  ref.present = ref.docs_per_s > 0;
  return ref;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"dedup end-to-end benchmark: throughput per phase, memory and quality"};
  std::string corpus, truth_path, json_path, reference_path;
  int threads = 0, num_perm = dedup::kDefaultNumPerm;
  std::string minhash = dedup::MinHashEngineFlag(dedup::SketchOptions{}.engine);
  double threshold = dedup::kDefaultThreshold;
  int64_t oracle_max_docs = 20000;
  app.add_option("--corpus", corpus, "JSONL corpus (e.g. from dedup-gen-corpus)")->required();
  app.add_option("--truth", truth_path, "Truth TSV for the quality figures");
  app.add_option("--threads", threads, "Threads for the parallel phases (default: all cores)");
  app.add_option("--num-perm", num_perm, "MinHash K")->capture_default_str();
  app.add_option("--minhash", minhash, "MinHash engine: classic, oph or fss")
      ->check(CLI::IsMember({"classic", "oph", "fss"}))
      ->capture_default_str();
  int signature_bits = 32;
  app.add_option("--signature-bits", signature_bits, "Bits kept per slot for verification: 32, 16, 8")
      ->check(CLI::IsMember({8, 16, 32}))
      ->capture_default_str();
  int bands = 0, rows = 0;
  app.add_option("--bands", bands, "LSH bands (with --rows; default: chosen from the threshold)")
      ->check(CLI::PositiveNumber);
  app.add_option("--rows", rows, "LSH rows per band (with --bands)")->check(CLI::PositiveNumber);
  app.add_option("--threshold", threshold, "Similarity threshold")->capture_default_str();
  app.add_option("--oracle-max-docs", oracle_max_docs, "Run the exact oracle up to this many documents")
      ->capture_default_str();
  app.add_option("--reference-json", reference_path, "datasketch_cluster.py --timing output on the same corpus");
  app.add_option("--json", json_path, "Write all figures as JSON here");
  CLI11_PARSE(app, argc, argv);
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));

  dedup::PipelineOptions options;
  options.sketch.num_perm = num_perm;
  if (auto engine = dedup::ParseMinHashEngine(minhash); engine.ok()) {
    options.sketch.engine = *engine;
  } else {
    std::cerr << "dedup-e2e-bench: " << engine.status().message() << "\n";
    return 2;
  }
  options.cluster.threshold = threshold;
  options.cluster.signature_bits = signature_bits;
  if ((bands > 0) != (rows > 0)) {
    std::cerr << "dedup-e2e-bench: --bands and --rows go together\n";
    return 2;
  }
  if (bands > 0) options.cluster.lsh = dedup::LshParams{bands, rows};
  std::vector<Phase> phases;

  // Streaming pipeline, in children (first, so their RSS is not inflated by ours).
  ChildResult p1 = RunPipelineInChild(corpus, options, 1);
  ChildResult pn = RunPipelineInChild(corpus, options, threads);
  if (!p1.ok || !pn.ok) {
    std::cerr << "dedup-e2e-bench: the pipeline failed\n";
    return 1;
  }
  phases.push_back({"pipeline-1t", p1.seconds, p1.docs, p1.bytes, absl::StrFormat("peak RSS %.1f MiB", p1.peak_rss / 1048576.0)});
  phases.push_back({absl::StrFormat("pipeline-%dt", threads), pn.seconds, pn.docs, pn.bytes,
                    absl::StrFormat("peak RSS %.1f MiB; output %s 1-thread run", pn.peak_rss / 1048576.0,
                                    pn.output_hash == p1.output_hash ? "identical to the" : "DIFFERS from the")});

  // Read.
  auto start = Clock::now();
  auto reader = dedup::CorpusReader::Open({corpus}, {});
  if (!reader.ok()) {
    std::cerr << reader.status().message() << "\n";
    return 1;
  }
  std::vector<dedup::Document> docs;
  int64_t bytes = 0;
  while (true) {
    dedup::Document d;
    auto more = (*reader)->Next(&d);
    if (!more.ok()) {
      std::cerr << more.status().message() << "\n";
      return 1;
    }
    if (!*more) break;
    bytes += static_cast<int64_t>(d.text.size());
    docs.push_back(std::move(d));
  }
  const int64_t n = static_cast<int64_t>(docs.size());
  phases.push_back({"read", Seconds(start), n, bytes, "JSONL parse (simdjson) into memory"});
  {
    start = Clock::now();
    auto stream = dedup::CorpusReader::Open({corpus}, {});
    dedup::Document d;
    int64_t stream_docs = 0;
    // The corpus already parsed in "read"; an error here would end the loop early.
    while (stream.ok() && (*stream)->Next(&d).value_or(false)) ++stream_docs;
    phases.push_back({"read-stream", Seconds(start), stream_docs, bytes,
                      absl::StrFormat("JSONL parse, documents dropped; %.2f GB/s of JSONL file",
                                      static_cast<double>(FileSize(corpus)) / 1e9 / Seconds(start))});
  }

  // Boilerplate model (pass 1 of the pipeline: reads and tokenizes the corpus again).
  start = Clock::now();
  auto learned = dedup::LearnBoilerplate({corpus}, options);
  if (!learned.ok()) {
    std::cerr << learned.status().message() << "\n";
    return 1;
  }
  const dedup::BoilerplateModel boilerplate = *std::move(learned);
  phases.push_back({absl::StrFormat("boilerplate-%dt", threads), Seconds(start), n, bytes,
                    absl::StrFormat("%d corpus + %d per-source boilerplate lines", boilerplate.corpus_lines(),
                                    boilerplate.source_lines())});
  // The boilerplate search alone (BoilerplateDetector::Build over line keys computed
  // beforehand), on 1 and N threads: how much of pass 1 is the search, and how it scales.
  {
    dedup::BoilerplateDetector detector(options.boilerplate);
    dedup::TokenizedText tokens;
    for (const auto& d : docs) {
      (void)dedup::Tokenize(d.text, &tokens);
      detector.AddDocument(d.source, tokens);
    }
    for (int t : {1, threads}) {
      tbb::task_arena arena(t);
      dedup::BoilerplateModel model;
      start = Clock::now();
      arena.execute([&] { model = detector.Build(); });
      if (!(model == boilerplate)) {
        std::cerr << "the boilerplate search on " << t << " threads found another model than pass 1\n";
        return 1;
      }
      phases.push_back({absl::StrFormat("boilerplate-build-%dt", t), Seconds(start), n, bytes,
                        "the model of the pass above"});
    }
  }
  std::vector<uint64_t> source_keys;
  for (const auto& d : docs) source_keys.push_back(dedup::SourceKey(d.source));

  auto sketcher = *dedup::Sketcher::Create(options.sketch);
  // Tokenize only: how tokenize+hash splits.
  {
    dedup::SketchScratch s;
    uint64_t sink = 0;
    start = Clock::now();
    for (const auto& d : docs) {
      (void)dedup::Tokenize(d.text, &s.tokens);
      sink += s.tokens.size();
    }
    phases.push_back({"tokenize-1t", Seconds(start), n, bytes, absl::StrFormat("%d tokens", sink)});
  }
  // Tokenize + hash only (the reference for signing).
  auto tokenize_hash = [&](std::string_view text, dedup::SketchScratch* s) {
    (void)dedup::Tokenize(text, &s->tokens);
    s->hashes.clear();
    dedup::HashShingles(s->tokens, options.sketch.shingle, options.sketch.seed, &s->hashes);
    return s->hashes.size();
  };
  {
    dedup::SketchScratch s;
    uint64_t sink = 0;
    start = Clock::now();
    for (const auto& d : docs) sink += tokenize_hash(d.text, &s);
    phases.push_back({"tokenize+hash-1t", Seconds(start), n, bytes, absl::StrFormat("%d shingles", sink)});
  }
  // Sign, 1 thread and N threads.
  std::vector<dedup::SketchedDocument> sketches(docs.size());
  {
    dedup::SketchScratch s;
    start = Clock::now();
    for (size_t i = 0; i < docs.size(); ++i) {
      (void)sketcher.Sketch(docs[i].text, false, &s, &sketches[i], &boilerplate, source_keys[i]);
    }
    phases.push_back({"sign-1t", Seconds(start), n, bytes, ""});
  }
  {
    dedup::SketchScratch s;
    dedup::SketchedDocument out;
    start = Clock::now();
    for (size_t i = 0; i < docs.size(); ++i) (void)sketcher.Sketch(docs[i].text, false, &s, &out);
    phases.push_back({"sign-plain-1t", Seconds(start), n, bytes, "no boilerplate model"});
  }
  // Streams the corpus file (JSON parsing included), calling f on each text; returns the
  // number of documents.
  auto for_each_streamed = [&](auto&& f) {
    auto stream = dedup::CorpusReader::Open({corpus}, {});
    dedup::Document d;
    int64_t count = 0;
    while (stream.ok() && (*stream)->Next(&d).value_or(false)) {
      f(d.text);
      ++count;
    }
    return count;
  };
  {
    dedup::SketchScratch s;
    dedup::SketchedDocument out;
    start = Clock::now();
    const int64_t signed_docs =
        for_each_streamed([&](const std::string& text) { (void)sketcher.Sketch(text, false, &s, &out); });
    phases.push_back({"read+sign-1t", Seconds(start), signed_docs, bytes, "JSONL in, signatures out"});
  }
  {
    // The same stream with tokenize + hash instead of signing: read+sign-1t's reference
    // on the same input (JSON parsing on both sides).
    dedup::SketchScratch s;
    start = Clock::now();
    const int64_t read_docs = for_each_streamed([&](const std::string& text) { tokenize_hash(text, &s); });
    phases.push_back({"read+tokenize+hash-1t", Seconds(start), read_docs, bytes, "JSONL in, shingle hashes out"});
  }
  {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
    tbb::enumerable_thread_specific<dedup::SketchScratch> scratch;
    std::vector<dedup::SketchedDocument> parallel(docs.size());
    start = Clock::now();
    tbb::parallel_for(size_t{0}, docs.size(), [&](size_t i) {
      (void)sketcher.Sketch(docs[i].text, false, &scratch.local(), &parallel[i], &boilerplate, source_keys[i]);
    });
    double t = Seconds(start);
    bool same = true;
    for (size_t i = 0; i < docs.size(); ++i) same &= parallel[i].signature == sketches[i].signature;
    phases.push_back({absl::StrFormat("sign-%dt", threads), t, n, bytes,
                      same ? "signatures identical to 1 thread" : "SIGNATURES DIFFER"});
  }
  // Index: query + insert, with per-query latency.
  // The banding the clusterer chooses (candidate threshold, recall-weighted).
  const dedup::LshParams lsh = (*dedup::Clusterer::Create(options.cluster, num_perm))->lsh_params();
  {
    auto index = *dedup::LshIndex::Create(lsh, num_perm);
    std::vector<double> latency;
    latency.reserve(docs.size());
    std::vector<dedup::DocIndex> cand;
    start = Clock::now();
    for (size_t i = 0; i < docs.size(); ++i) {
      cand.clear();
      auto q = Clock::now();
      index->Query(sketches[i], &cand);
      latency.push_back(std::chrono::duration<double, std::micro>(Clock::now() - q).count());
      index->Insert(static_cast<dedup::DocIndex>(i), sketches[i]);
    }
    double t = Seconds(start);
    std::sort(latency.begin(), latency.end());
    auto pct = [&](double p) { return latency.empty() ? 0.0 : latency[static_cast<size_t>(p * (latency.size() - 1))]; };
    phases.push_back({"index", t, n, bytes,
                      absl::StrFormat("%dx%d bands; query p50 %.2f us, p99 %.2f us", lsh.bands, lsh.rows, pct(0.5), pct(0.99))});
  }
  // Cluster, with the clusterer's bytes per document: exact (Clusterer::Memory(), at
  // capacity, before Finish()) by part, and the heap growth (mallinfo2) around the Adds.
  dedup::ClusterResult result;
  int64_t heap_per_doc = 0;
  dedup::ClustererMemory memory;
  {
    std::vector<std::string> ids;
    ids.reserve(docs.size());
    for (const auto& d : docs) ids.push_back(d.id);
    auto clusterer = *dedup::Clusterer::Create(options.cluster, num_perm);
    std::vector<dedup::SketchedDocument> copies = sketches;  // Add() consumes its sketch.
    size_t before = HeapInUse();
    start = Clock::now();
    for (size_t i = 0; i < docs.size(); ++i) {
      clusterer->Add(ids[i], "", std::move(copies[i]), docs[i].published_time);
    }
    double t_add = Seconds(start);
    size_t after = HeapInUse();
    heap_per_doc = n ? static_cast<int64_t>((after > before ? after - before : 0) / n) : 0;
    memory = clusterer->Memory();
    start = Clock::now();
    result = clusterer->Finish();
    double t = t_add + Seconds(start);
    auto per_doc = [&](size_t b) { return n ? static_cast<double>(b) / static_cast<double>(n) : 0.0; };
    phases.push_back(
        {"cluster", t, n, bytes,
         absl::StrFormat("%d clusters, %d duplicates; %.0f B/doc = band join %.0f + signatures %.0f + ids %.0f + "
                         "other %.0f (heap growth ~%d B/doc)",
                         result.stats.clusters, result.stats.duplicates, per_doc(memory.total()),
                         per_doc(memory.index), per_doc(memory.signatures), per_doc(memory.ids_and_snippets),
                         per_doc(memory.other), heap_per_doc)});
  }
  // Write.
  {
    std::string path = "/tmp/dedup-e2e-report.tsv";
    start = Clock::now();
    auto w = dedup::AtomicFileWriter::Open(path);
    dedup::WriteReport(result, {}, dedup::ReportFormat::kTsv, (*w)->stream());
    (void)(*w)->Commit();
    phases.push_back({"write", Seconds(start), n, bytes, "TSV report, atomic"});
    std::remove(path.c_str());
  }

  // Quality.
  std::optional<dedup::Evaluation> eval;
  if (!truth_path.empty()) {
    auto truth = dedup::GroundTruth::Read(truth_path);
    if (!truth.ok()) {
      std::cerr << truth.status().message() << "\n";
      return 1;
    }
    auto e = dedup::Evaluate(result, *truth);
    if (!e.ok()) {
      std::cerr << e.status().message() << "\n";
      return 1;
    }
    eval = *e;
    if (n <= oracle_max_docs) {
      dedup::PipelineOptions lsh_opts = options, exact_opts = options;
      lsh_opts.cluster.record_pairs = exact_opts.cluster.record_pairs = true;
      exact_opts.cluster.exact = true;
      auto a = dedup::RunClusterPipeline({corpus}, lsh_opts);
      start = Clock::now();
      auto b = dedup::RunClusterPipeline({corpus}, exact_opts);
      double t_exact = Seconds(start);
      if (a.ok() && b.ok()) {
        eval->oracle = dedup::CompareWithOracle(a->clusters.verified_pairs, b->clusters.verified_pairs);
        phases.push_back({"exact-oracle", t_exact, n, bytes, "brute-force exact Jaccard (inverted index)"});
      }
    }
  }
  Reference ref = ReadReference(reference_path);

  // Report.
  std::cout << absl::StrFormat("dedup end-to-end benchmark: %s\n", corpus);
  std::cout << absl::StrFormat("  %d documents, %.1f MB of text, %s, threshold %g, %d threads\n", n, bytes / 1e6,
                               dedup::DescribeSketchOptions(options.sketch), threshold, threads);
  std::cout << absl::StrFormat("\n  %-18s %10s %10s %12s  %s\n", "phase", "seconds", "MB/s", "docs/s", "notes");
  for (const Phase& p : phases) {
    std::cout << absl::StrFormat("  %-22s %10.3f %10.1f %12.0f  %s\n", p.name, p.seconds, p.bytes / 1e6 / p.seconds,
                                 p.docs / p.seconds, p.note);
  }
  auto find = [&](const std::string& name) -> const Phase* {
    for (const Phase& p : phases) {
      if (p.name == name) return &p;
    }
    return nullptr;
  };
  const Phase* tok = find("tokenize+hash-1t");
  const Phase* s1 = find("sign-1t");
  const Phase* sn = find(absl::StrFormat("sign-%dt", threads));
  std::cout << "\n  ratios (same run):\n";
  std::cout << absl::StrFormat("    sign-1t / tokenize+hash-1t throughput   %.3f\n", tok->seconds / s1->seconds);
  std::cout << absl::StrFormat("    sign-plain-1t / tokenize+hash-1t         %.3f\n",
                               tok->seconds / find("sign-plain-1t")->seconds);
  std::cout << absl::StrFormat("    read+sign-1t / tokenize+hash-1t          %.3f\n",
                               tok->seconds / find("read+sign-1t")->seconds);
  std::cout << absl::StrFormat("    read+sign-1t / read+tokenize+hash-1t     %.3f\n",
                               find("read+tokenize+hash-1t")->seconds / find("read+sign-1t")->seconds);
  std::cout << absl::StrFormat("    sign-%dt / sign-1t speed-up               %.2fx\n", threads, s1->seconds / sn->seconds);
  std::cout << absl::StrFormat("    pipeline-%dt / pipeline-1t speed-up       %.2fx\n", threads, p1.seconds / pn.seconds);
  if (ref.present) {
    std::cout << absl::StrFormat("    pipeline-1t docs/s / %s docs/s   %.1fx  (reference %.0f docs/s, %.2f MB/s, peak RSS %.0f MiB)\n",
                                 ref.label, (p1.docs / p1.seconds) / ref.docs_per_s, ref.docs_per_s, ref.mb_per_s,
                                 ref.peak_rss / 1048576.0);
  }
  std::cout << absl::StrFormat(
      "\n  memory: pipeline peak RSS %.1f MiB (%d bytes/doc); clusterer %d bytes/doc (band join + signatures + ids: %d)\n",
      pn.peak_rss / 1048576.0, n ? pn.peak_rss / n : 0, n ? memory.total() / n : 0,
      n ? (memory.index + memory.signatures + memory.ids_and_snippets) / n : 0);
  if (eval) {
    std::cout << "\n  quality:\n";
    std::ostringstream q;
    dedup::WriteEvaluation(*eval, false, q);
    std::istringstream lines(q.str());
    for (std::string line; std::getline(lines, line);) std::cout << "    " << line << "\n";
  }

  if (!json_path.empty()) {
    std::ostringstream j;
    j << "{\n  \"corpus\": " << dedup::JsonQuote(corpus) << ", \"documents\": " << n << ", \"bytes\": " << bytes
      << ", \"threads\": " << threads << ", \"sketch\": " << dedup::JsonQuote(dedup::DescribeSketchOptions(options.sketch))
      << ", \"threshold\": " << threshold << ",\n  \"phases\": {";
    for (size_t i = 0; i < phases.size(); ++i) {
      const Phase& p = phases[i];
      j << (i ? ",\n" : "\n") << "    " << dedup::JsonQuote(p.name)
        << absl::StrFormat(": {\"seconds\": %.6g, \"mb_per_s\": %.6g, \"docs_per_s\": %.6g, \"note\": %s}", p.seconds,
                           p.bytes / 1e6 / p.seconds, p.docs / p.seconds, dedup::JsonQuote(p.note));
    }
    j << "\n  },\n" << absl::StrFormat("  \"pipeline_peak_rss_bytes\": %d, \"pipeline_1t_peak_rss_bytes\": %d, "
                                       "\"heap_bytes_per_doc\": %d, \"clusterer_bytes\": {\"index\": %d, "
                                       "\"signatures\": %d, \"ids_and_snippets\": %d, \"other\": %d}, "
                                       "\"deterministic_across_threads\": %s,\n",
                                       pn.peak_rss, p1.peak_rss, heap_per_doc, memory.index, memory.signatures,
                                       memory.ids_and_snippets, memory.other,
                                       pn.output_hash == p1.output_hash ? "true" : "false");
    j << absl::StrFormat("  \"sign_over_tokenize_hash\": %.6g, \"sign_speedup\": %.6g, \"pipeline_speedup\": %.6g",
                         tok->seconds / s1->seconds, s1->seconds / sn->seconds, p1.seconds / pn.seconds);
    if (ref.present) {
      j << absl::StrFormat(",\n  \"reference\": {\"label\": %s, \"docs_per_s\": %.6g, \"mb_per_s\": %.6g, "
                           "\"peak_rss_bytes\": %d, \"pipeline_1t_speedup_over_reference\": %.6g}",
                           dedup::JsonQuote(ref.label), ref.docs_per_s, ref.mb_per_s, ref.peak_rss,
                           (p1.docs / p1.seconds) / ref.docs_per_s);
    }
    if (eval) {
      std::ostringstream q;
      dedup::WriteEvaluation(*eval, true, q);
      std::string s = q.str();
      while (!s.empty() && s.back() == '\n') s.pop_back();
      j << ",\n  \"quality\": " << s;
    }
    j << "\n}\n";
    auto w = dedup::AtomicFileWriter::Open(json_path);
    if (!w.ok()) {
      std::cerr << w.status().message() << "\n";
      return 1;
    }
    (*w)->stream() << j.str();
    auto st = (*w)->Commit();
    if (!st.ok()) {
      std::cerr << st.message() << "\n";
      return 1;
    }
  }
  return pn.output_hash == p1.output_hash ? 0 : 3;
}
