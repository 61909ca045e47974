// ingest_benchmark: throughput, open time and size of the durable ingestion index
// (dedup/ingest_index.h), as BENCHMARKS.md reports them.
//
//   ingest_benchmark --corpus C.jsonl --docs N [--queries Q] [--batch-size B]
//                    [--sync full|normal] [--threads T] [--index PATH] [--keep]
//     Inserts the first N documents of C (timing CheckAndInsert only, not JSON
//     reading), closes, reopens (open time: reading every signature and rebuilding
//     the LSH tables), then queries the next Q documents one at a time and in batches
//     of 256 (queries/s), and reports bytes on disk per document.
//
//   Both modes take the index parameters --threshold T --containment C --bands B --rows R
//   --minhash classic|oph|fss (default: those of `dedup cluster`; chrome learned).
//
//   ingest_benchmark --stream --corpus C.jsonl --days D --per-day P --window W
//                    [--batch-size B] [--sync ...] [--index PATH]
//     A steady stream: each simulated day inserts P documents, then expires those
//     inserted more than W days ago; prints live documents and file size per day.
//     The file must stop growing once the window is full (freed pages are reused).
//
// Output is Markdown table rows. Build with the release preset:
//   cmake --preset release && cmake --build --preset release -j2 --target ingest_benchmark
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "dedup/corpus.h"
#include "dedup/ingest_index.h"
#include "dedup/sketch.h"

namespace {

using Clock = std::chrono::steady_clock;
double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

struct Flags {
  std::string corpus;
  int64_t docs = 10000;
  int64_t queries = 10000;
  int batch_size = 1000;
  std::string sync = "full";
  int threads = 0;
  std::string index;
  bool keep = false;
  bool stream = false;
  int days = 30;
  int64_t per_day = 10000;
  int window = 7;
  // Index parameters (default: those of `dedup cluster`).
  double threshold = -1;
  double containment = -1;
  int bands = 0, rows = 0;
  std::string minhash;  // Empty: the default engine.
};

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "ingest_benchmark: %s\n", message.c_str());
  std::exit(1);
}

int64_t FileSize(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? st.st_size : 0;
}

int64_t RssBytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atoll(line.c_str() + 6) * 1024;
  }
  return 0;
}

// Reads up to `n` documents (all with n < 0).
bool ReadBatch(dedup::CorpusReader* reader, int64_t n, std::vector<dedup::Document>* out) {
  out->clear();
  while (n < 0 || static_cast<int64_t>(out->size()) < n) {
    dedup::Document d;
    absl::StatusOr<bool> more = reader->Next(&d);
    if (!more.ok()) Die(std::string(more.status().message()));
    if (!*more) break;
    out->push_back(std::move(d));
  }
  return !out->empty();
}

dedup::IngestOptions Options(const Flags& f) {
  dedup::IngestOptions o;
  dedup::IndexParams p;
  if (f.threshold >= 0) p.match.threshold = f.threshold;
  if (f.containment >= 0) p.match.containment_threshold = f.containment;
  if (f.bands > 0) p.lsh = dedup::LshParams{f.bands, f.rows};
  if (!f.minhash.empty()) {
    absl::StatusOr<dedup::MinHashEngine> engine = dedup::ParseMinHashEngine(f.minhash);
    if (!engine.ok()) Die(std::string(engine.status().message()));
    p.sketch.engine = *engine;
  }
  o.params = p;
  o.durability = f.sync == "normal" ? dedup::Durability::kNormal : dedup::Durability::kFull;
  o.threads = f.threads;
  return o;
}

void RunThroughput(const Flags& f) {
  auto reader = dedup::CorpusReader::Open({f.corpus}, {});
  if (!reader.ok()) Die(std::string(reader.status().message()));
  std::filesystem::remove(f.index);
  dedup::IngestOptions options = Options(f);
  auto created = dedup::IngestIndex::Create(f.index, options);
  if (!created.ok()) Die(std::string(created.status().message()));
  std::unique_ptr<dedup::IngestIndex> index = std::move(*created);

  // Inserts, timed per batch; the last tenth gives the rate at (nearly) full size.
  std::vector<dedup::Document> batch;
  double insert_seconds = 0, tail_seconds = 0;
  int64_t inserted = 0, tail_docs = 0, duplicates = 0;
  const int64_t tail_from = f.docs - f.docs / 10;
  while (inserted < f.docs && ReadBatch(reader->get(), std::min<int64_t>(f.batch_size, f.docs - inserted), &batch)) {
    const auto start = Clock::now();
    auto r = index->CheckAndInsert(batch);
    const double s = Seconds(start);
    if (!r.ok()) Die(std::string(r.status().message()));
    for (const dedup::CheckResult& c : *r) duplicates += c.decision != dedup::Decision::kNew;
    insert_seconds += s;
    if (inserted + static_cast<int64_t>(batch.size()) > tail_from) {
      tail_seconds += s;
      tail_docs += static_cast<int64_t>(batch.size());
    }
    inserted += static_cast<int64_t>(batch.size());
    if (inserted % (f.docs / 10 > 0 ? f.docs / 10 : 1) < static_cast<int64_t>(batch.size())) {
      std::fprintf(stderr, "  %lld documents, %.0f inserts/s so far\n", static_cast<long long>(inserted),
                   inserted / insert_seconds);
    }
  }
  const int64_t rss_after_insert = RssBytes();
  const dedup::IndexStats after_insert = index->Stats();
  index.reset();  // Closing checkpoints the WAL into the file.
  const int64_t file_bytes = FileSize(f.index);

  // Open: read every signature, rebuild the band tables.
  const auto open_start = Clock::now();
  auto reopened = dedup::IngestIndex::Open(f.index, options);
  const double open_seconds = Seconds(open_start);
  if (!reopened.ok()) Die(std::string(reopened.status().message()));
  index = std::move(*reopened);
  const int64_t rss_after_open = RssBytes();

  // Queries: documents that are not in the index, one at a time, then in batches.
  std::vector<dedup::Document> queries;
  ReadBatch(reader->get(), f.queries, &queries);
  double single_seconds = 0, batch_seconds = 0;
  std::vector<double> latencies;
  int64_t query_duplicates = 0;
  for (const dedup::Document& d : queries) {
    const auto start = Clock::now();
    auto r = index->Query(d);
    const double s = Seconds(start);
    if (!r.ok()) Die(std::string(r.status().message()));
    query_duplicates += r->decision != dedup::Decision::kNew;
    single_seconds += s;
    latencies.push_back(s);
  }
  for (size_t i = 0; i < queries.size(); i += 256) {
    const auto start = Clock::now();
    auto r = index->Query(absl::MakeConstSpan(queries).subspan(i, std::min<size_t>(256, queries.size() - i)));
    batch_seconds += Seconds(start);
    if (!r.ok()) Die(std::string(r.status().message()));
  }
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) {
    return latencies.empty() ? 0.0 : latencies[std::min(latencies.size() - 1, static_cast<size_t>(p * latencies.size()))];
  };
  index.reset();

  std::printf(
      "| documents | batch | sync | inserts/s (all) | inserts/s (last 10%%) | duplicates | open s | file MB | bytes/doc "
      "| RSS after open MB | queries/s (1 doc) | p50 / p99 ms | queries/s (256/batch) |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  std::printf("| %lld | %d | %s | %.0f | %.0f | %.1f%% | %.2f | %.1f | %.0f | %.0f | %.0f | %.2f / %.2f | %.0f |\n",
              static_cast<long long>(inserted), f.batch_size, f.sync.c_str(), inserted / insert_seconds,
              tail_docs / std::max(tail_seconds, 1e-9), 100.0 * duplicates / std::max<int64_t>(1, inserted),
              open_seconds, file_bytes / 1e6, static_cast<double>(file_bytes) / std::max<int64_t>(1, inserted),
              rss_after_open / 1e6, queries.size() / std::max(single_seconds, 1e-9), 1e3 * pct(0.5),
              1e3 * pct(0.99), queries.size() / std::max(batch_seconds, 1e-9));
  std::fprintf(stderr,
               "  LSH %d x %d, threshold %g, containment %g; %lld clusters; %lld candidate pairs, %lld verified; RSS "
               "after inserting %.0f MB; %lld of %zu queries matched; %lld chrome lines\n",
               after_insert.lsh.bands, after_insert.lsh.rows, after_insert.params.match.threshold,
               after_insert.params.match.containment_threshold,
               static_cast<long long>(after_insert.clusters), static_cast<long long>(after_insert.candidate_pairs),
               static_cast<long long>(after_insert.verified_pairs), rss_after_insert / 1e6,
               static_cast<long long>(query_duplicates), queries.size(),
               static_cast<long long>(after_insert.chrome_lines));
}

void RunStream(const Flags& f) {
  auto reader = dedup::CorpusReader::Open({f.corpus}, {});
  if (!reader.ok()) Die(std::string(reader.status().message()));
  std::filesystem::remove(f.index);
  int64_t now = 1700000000;
  dedup::IngestOptions options = Options(f);
  options.clock = [&now] { return now; };
  auto created = dedup::IngestIndex::Create(f.index, options);
  if (!created.ok()) Die(std::string(created.status().message()));
  std::unique_ptr<dedup::IngestIndex> index = std::move(*created);
  std::printf("| day | inserted | expired | live documents | file MB | WAL MB | bytes/live doc | insert s | expire s |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  std::vector<dedup::Document> batch;
  for (int day = 1; day <= f.days; ++day) {
    now += 86400;
    int64_t today = 0;
    const auto insert_start = Clock::now();
    while (today < f.per_day && ReadBatch(reader->get(), std::min<int64_t>(f.batch_size, f.per_day - today), &batch)) {
      auto r = index->CheckAndInsert(batch);
      if (!r.ok()) Die(std::string(r.status().message()));
      today += static_cast<int64_t>(batch.size());
    }
    const double insert_seconds = Seconds(insert_start);
    const auto expire_start = Clock::now();
    auto expired = index->Expire(now - static_cast<int64_t>(f.window) * 86400, dedup::ExpireBy::kInserted);
    if (!expired.ok()) Die(std::string(expired.status().message()));
    const double expire_seconds = Seconds(expire_start);
    const dedup::IndexStats s = index->Stats();
    std::printf("| %d | %lld | %lld | %lld | %.1f | %.1f | %.0f | %.1f | %.1f |\n", day, static_cast<long long>(today),
                static_cast<long long>(expired->removed), static_cast<long long>(s.documents), s.file_bytes / 1e6,
                s.wal_bytes / 1e6, static_cast<double>(s.file_bytes) / std::max<int64_t>(1, s.documents),
                insert_seconds, expire_seconds);
    std::fflush(stdout);
    if (today < f.per_day) break;  // The corpus ran out.
  }
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Die("missing value for " + a);
      return argv[++i];
    };
    if (a == "--corpus") f.corpus = value();
    else if (a == "--docs") f.docs = std::atoll(value().c_str());
    else if (a == "--queries") f.queries = std::atoll(value().c_str());
    else if (a == "--batch-size") f.batch_size = std::atoi(value().c_str());
    else if (a == "--sync") f.sync = value();
    else if (a == "--threads") f.threads = std::atoi(value().c_str());
    else if (a == "--index") f.index = value();
    else if (a == "--keep") f.keep = true;
    else if (a == "--stream") f.stream = true;
    else if (a == "--days") f.days = std::atoi(value().c_str());
    else if (a == "--per-day") f.per_day = std::atoll(value().c_str());
    else if (a == "--window") f.window = std::atoi(value().c_str());
    else if (a == "--threshold") f.threshold = std::atof(value().c_str());
    else if (a == "--containment") f.containment = std::atof(value().c_str());
    else if (a == "--bands") f.bands = std::atoi(value().c_str());
    else if (a == "--rows") f.rows = std::atoi(value().c_str());
    else if (a == "--minhash") f.minhash = value();
    else Die("unknown argument " + a + " (see the comment at the top of bench/ingest_benchmark.cc)");
  }
  if (f.corpus.empty()) Die("--corpus FILE.jsonl is required");
  if (f.batch_size < 1 || f.docs < 1 || (f.sync != "full" && f.sync != "normal")) Die("bad --batch-size, --docs or --sync");
  std::string temp_dir;
  if (f.index.empty()) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "ingest_benchmark.XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) Die("cannot create a temporary folder");
    temp_dir = tmpl;
    f.index = temp_dir + "/bench.dedup";
  }
  if (f.stream) {
    RunStream(f);
  } else {
    RunThroughput(f);
  }
  if (!f.keep) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(f.index + suffix);
    if (!temp_dir.empty()) std::filesystem::remove(temp_dir);
  }
  return 0;
}
