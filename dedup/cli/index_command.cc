// dedup index: a durable near-duplicate index on disk (dedup/ingest_index.h).
//
//   dedup index create PATH [parameters]        a new, empty index
//   dedup index add PATH INPUT...               check-and-insert; one decision per document
//   dedup index query PATH INPUT...             the same decisions, nothing inserted
//   dedup index remove PATH ID...               delete documents, re-cluster what remains
//   dedup index expire PATH --before TIME       delete documents older than TIME
//   dedup index stats PATH                      counts, times, parameters, sizes
//   dedup index export PATH --format F          the clusters, in the report formats
//   dedup index events PATH                     the merges and splits, oldest first
//   dedup index verify PATH                     integrity and consistency checks
#include <charconv>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "dedup/cli/commands.h"
#include "dedup/cli/param_flags.h"
#include "dedup/ingest_index.h"
#include "dedup/output_file.h"
#include "dedup/report.h"
#include "dedup/serve/answers.h"

namespace dedup::cli {
namespace {

// --- Flags -------------------------------------------------------------------------

// --sync full|normal, --threads, --now.
struct WriteFlags {
  std::string sync = "full";
  std::string now;

  void Register(CLI::App* app) {
    app->add_option("--sync", sync,
                    "full: fsync every commit (survives power loss); normal: fsync at checkpoints "
                    "(survives kill -9, may lose the last commits on power loss)")
        ->check(CLI::IsMember({"full", "normal"}))
        ->capture_default_str();
    app->add_option("--now", now, "Use TIME as the current time (backfills, tests): RFC 3339, a date, or @SECONDS");
  }
};

// The times the flags accept: years 0001..9999 (UTC). Cutoffs computed from them must
// lie in the same range, so that no arithmetic on them can overflow.
constexpr int64_t kMinTime = -62135596800;  // 0001-01-01T00:00:00Z
constexpr int64_t kMaxTime = 253402300799;  // 9999-12-31T23:59:59Z
constexpr char kTimeRange[] = "0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z (@-62135596800 .. @253402300799)";

// Unix seconds from RFC 3339, "YYYY-MM-DD[ HH:MM:SS]", or "@SECONDS", in years 0001..9999.
absl::StatusOr<int64_t> ParseTime(const std::string& flag, const std::string& text) {
  bool read = false;
  int64_t t = 0;
  if (!text.empty() && text[0] == '@') {
    auto [p, ec] = std::from_chars(text.data() + 1, text.data() + text.size(), t);
    if (ec == std::errc::result_out_of_range) t = text[1] == '-' ? INT64_MIN : INT64_MAX, ec = std::errc();
    read = ec == std::errc() && p == text.data() + text.size() && text.size() > 1;
  } else {
    absl::StatusOr<int64_t> parsed = ParsePublishedTime(text);
    read = parsed.ok();
    if (read) t = *parsed;
  }
  if (!read) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: cannot read \"%s\" as a time (expected RFC 3339, YYYY-MM-DD, or @SECONDS)", flag, text));
  }
  if (t < kMinTime || t > kMaxTime) {
    return absl::OutOfRangeError(absl::StrFormat("%s: \"%s\" is out of range: times must be within %s", flag, text,
                                                 kTimeRange));
  }
  return t;
}

// "90s", "15m", "12h", "7d", "2w" -> seconds, at most the span of kMinTime .. kMaxTime.
absl::StatusOr<int64_t> ParseDuration(const std::string& text) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  const bool too_large = ec == std::errc::result_out_of_range;
  if (too_large) {
    ec = std::errc();
    while (p != text.data() + text.size() && *p >= '0' && *p <= '9') ++p;
  }
  const std::string_view unit(p, text.data() + text.size() - p);
  int64_t scale = 0;
  if (unit == "s") scale = 1;
  if (unit == "m") scale = 60;
  if (unit == "h") scale = 3600;
  if (unit == "d") scale = 86400;
  if (unit == "w") scale = 7 * 86400;
  if (ec != std::errc() || p == text.data() || v < 0 || scale == 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "--older-than: cannot read \"%s\" as a duration (expected a number and s, m, h, d or w: 7d)", text));
  }
  int64_t seconds = 0;
  if (too_large || __builtin_mul_overflow(v, scale, &seconds) || seconds > kMaxTime - kMinTime) {
    return absl::OutOfRangeError(absl::StrFormat(
        "--older-than: \"%s\" is out of range: at most %ds (%dd), the span of %s", text, kMaxTime - kMinTime,
        (kMaxTime - kMinTime) / 86400, kTimeRange));
  }
  return seconds;
}

// --now, parsed (the system clock when not given).
absl::StatusOr<int64_t> NowFromFlag(const std::string& now) {
  if (now.empty()) return absl::ToUnixSeconds(absl::Now());
  return ParseTime("--now", now);
}

std::string FormatTime(int64_t t) {
  if (t == kNoTime) return "-";
  return absl::FormatTime("%E4Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(t), absl::UTCTimeZone());
}

std::string Num(double x) { return absl::StrFormat("%.6g", x); }

// Opens PATH for a command; --now (in `write`) fixes the clock.
absl::StatusOr<std::unique_ptr<IngestIndex>> OpenIndex(const std::string& path, bool read_only,
                                                       const WriteFlags* write, int threads) {
  IngestOptions options;
  options.read_only = read_only;
  options.threads = threads;
  if (write != nullptr) {
    options.durability = write->sync == "normal" ? Durability::kNormal : Durability::kFull;
    if (!write->now.empty()) {
      // Checked by CheckWriteFlags() before anything was opened.
      absl::StatusOr<int64_t> now = ParseTime("--now", write->now);
      if (!now.ok()) return now.status();
      const int64_t t = *now;
      options.clock = [t] { return t; };
    }
  }
  return IngestIndex::Open(path, options);
}

// Usage errors of the write flags, reported (exit 2) before the index is opened.
absl::Status CheckWriteFlags(const WriteFlags& write) {
  if (write.now.empty()) return absl::OkStatus();
  return ParseTime("--now", write.now).status();
}

// --- create ------------------------------------------------------------------------

struct CreateFlags {
  std::string path;
  ParamFlags params;
};

int RunCreate(CLI::App* app, const CreateFlags& f) {
  absl::StatusOr<IndexParams> params = f.params.Apply(app, IndexParams{}, /*all=*/true);
  if (!params.ok()) return Fail(params.status(), kExitUsage);
  IngestOptions options;
  options.params = *params;
  absl::StatusOr<std::unique_ptr<IngestIndex>> index = IngestIndex::Create(f.path, options);
  if (!index.ok()) return Fail(index.status(), absl::IsInvalidArgument(index.status()) ? kExitUsage : kExitFailure);
  const IndexParams& p = (*index)->params();
  std::cout << absl::StrFormat("created %s: %s, threshold %s, containment %s, canonical %s, LSH %d bands x %d rows\n",
                               f.path, (*index)->sketch_description(), Num(p.match.threshold),
                               p.match.containment_threshold > 0 ? Num(p.match.containment_threshold) : "off",
                               CanonicalRuleName(p.canonical), (*index)->lsh_params().bands,
                               (*index)->lsh_params().rows);
  return kExitOk;
}

// --- add / query -------------------------------------------------------------------

struct CheckFlags {
  std::string path;
  std::vector<std::string> inputs;
  InputFlags input;
  ParamFlags params;
  WriteFlags write;
  std::string format = "tsv";
  std::string output;  // Empty: standard output.
  int batch_size = 256;
  int threads = 0;
};

void PrintResult(const CheckResult& r, bool jsonl, std::ostream& out) {
  if (jsonl) {
    out << serve::CheckResultJson(r) << '\n';  // The same bytes as `dedup serve` answers.
  } else {
    out << TsvEscape(r.id) << '\t' << DecisionName(r.decision) << '\t' << r.cluster << '\t' << TsvEscape(r.canonical)
        << '\t' << Num(r.similarity) << '\t' << Num(r.containment) << '\n';
  }
}

int RunCheck(CLI::App* app, const CheckFlags& f, bool insert) {
  const bool jsonl = f.format == "jsonl";
  if (insert) {
    absl::Status st = CheckWriteFlags(f.write);
    if (!st.ok()) return Fail(st, kExitUsage);
  }
  // Before anything is opened: -o must name none of the inputs, nor the index's files.
  if (!f.output.empty()) {
    std::vector<std::string> inputs = f.inputs;
    inputs.push_back(f.path);
    absl::Status output_ok =
        CheckOutputPath(f.output, inputs, {f.path, f.path + "-wal", f.path + "-shm", f.path + "-journal"});
    if (!output_ok.ok()) return Fail(output_ok, kExitUsage);
  }
  absl::StatusOr<std::unique_ptr<IngestIndex>> index =
      OpenIndex(f.path, /*read_only=*/!insert, insert ? &f.write : nullptr, f.threads);
  if (!index.ok()) return Fail(index.status());
  if (f.params.AnyGiven(app)) {
    absl::StatusOr<IndexParams> expected = f.params.Apply(app, (*index)->params(), /*all=*/false);
    if (!expected.ok()) return Fail(expected.status(), kExitUsage);
    absl::Status st = (*index)->CheckParams(*expected);
    if (!st.ok()) return Fail(st);
  }
  CorpusOptions corpus = f.input.ToOptions();
  // The index decides about repeated ids (a replay, or a conflict), across sessions too.
  corpus.reject_duplicate_ids = false;
  absl::StatusOr<std::unique_ptr<CorpusReader>> reader = CorpusReader::Open(f.inputs, corpus);
  if (!reader.ok()) return Fail(reader.status());

  // With -o the decisions go to FILE, made complete (atomically, for a regular file)
  // when the command ends; a failed run leaves FILE as it was.
  std::unique_ptr<OutputFile> file;
  if (!f.output.empty()) {
    absl::StatusOr<std::unique_ptr<OutputFile>> opened = OutputFile::Open(f.output);
    if (!opened.ok()) return Fail(opened.status());
    file = std::move(*opened);
  }
  std::ostream& out = file != nullptr ? file->stream() : std::cout;
  if (!jsonl) out << "id\tdecision\tcluster\tcanonical\tsimilarity\tcontainment\n";
  std::vector<Document> batch;
  std::vector<SourceLocation> where;
  int64_t committed = 0;
  bool done = false;
  while (!done) {
    batch.clear();
    where.clear();
    while (batch.size() < static_cast<size_t>(f.batch_size)) {
      Document doc;
      SourceLocation loc;
      absl::StatusOr<bool> more = (*reader)->Next(&doc, &loc);
      if (!more.ok()) {
        if (insert && committed > 0) {
          return Fail(absl::Status(more.status().code(),
                                   absl::StrFormat("%s (the %d documents before were committed)",
                                                   more.status().message(), committed)));
        }
        return Fail(more.status());
      }
      if (!*more) {
        done = true;
        break;
      }
      batch.push_back(std::move(doc));
      where.push_back(std::move(loc));
    }
    if (batch.empty()) break;
    size_t failed = batch.size();
    absl::StatusOr<std::vector<CheckResult>> results =
        insert ? (*index)->CheckAndInsert(batch, &failed) : (*index)->Query(batch, &failed);
    if (!results.ok()) {
      std::string message(results.status().message());
      if (failed < batch.size()) message = where[failed].ToString() + ": " + message;
      if (insert) message += absl::StrFormat(" (nothing of this batch was stored; %d documents before it were)", committed);
      return Fail(absl::Status(results.status().code(), message));
    }
    // Printed only after the commit: a printed decision is a durable one.
    for (const CheckResult& r : *results) PrintResult(r, jsonl, out);
    out.flush();
    if (!out) {
      return Fail(absl::UnavailableError(file != nullptr ? f.output + ": write failed"
                                                         : std::string("writing to standard output failed")));
    }
    committed += static_cast<int64_t>(batch.size());
  }
  if (file != nullptr) {
    absl::Status st = file->Commit();
    if (!st.ok()) return Fail(st);
  }
  return kExitOk;
}

// --- remove / expire ---------------------------------------------------------------

struct RemoveFlags {
  std::string path;
  std::vector<std::string> ids;
  std::string ids_from;
  WriteFlags write;
};

int RunRemove(const RemoveFlags& f) {
  std::vector<std::string> ids = f.ids;
  if (!f.ids_from.empty()) {
    std::ifstream file;
    std::istream* in = &std::cin;
    if (f.ids_from != "-") {
      file.open(f.ids_from);
      if (!file) return Fail(absl::NotFoundError(absl::StrFormat("%s: cannot open", f.ids_from)));
      in = &file;
    }
    std::string line;
    while (std::getline(*in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!line.empty()) ids.push_back(line);
    }
  }
  if (ids.empty()) return Fail(absl::InvalidArgumentError("no ids given (ID... or --ids-from FILE)"), kExitUsage);
  absl::Status checked = CheckWriteFlags(f.write);
  if (!checked.ok()) return Fail(checked, kExitUsage);
  absl::StatusOr<std::unique_ptr<IngestIndex>> index = OpenIndex(f.path, false, &f.write, 1);
  if (!index.ok()) return Fail(index.status());
  absl::StatusOr<RemoveResult> r = (*index)->Remove(ids);
  if (!r.ok()) return Fail(r.status());
  absl::flat_hash_set<std::string> missing(r->missing.begin(), r->missing.end());
  absl::flat_hash_set<std::string> printed;
  std::cout << "id\tresult\n";
  for (const std::string& id : ids) {
    if (!printed.insert(id).second) continue;
    std::cout << TsvEscape(id) << '\t' << (missing.contains(id) ? "absent" : "removed") << '\n';
  }
  std::cerr << absl::StrFormat("removed %d documents; %d clusters deleted, %d split off\n", r->removed,
                               r->clusters_deleted, r->clusters_split);
  return kExitOk;
}

struct ExpireFlags {
  std::string path;
  std::string before;
  std::string older_than;
  std::string by = "published";
  WriteFlags write;
};

int RunExpire(const ExpireFlags& f) {
  if (f.before.empty() == f.older_than.empty()) {
    return Fail(absl::InvalidArgumentError("give exactly one of --before TIME and --older-than DURATION"), kExitUsage);
  }
  // Every time flag is read and the cutoff computed (checked: no wrap-around) before
  // the index is opened; a usage error touches nothing.
  absl::StatusOr<int64_t> now = NowFromFlag(f.write.now);
  if (!now.ok()) return Fail(now.status(), kExitUsage);
  int64_t cutoff = 0;
  if (!f.before.empty()) {
    absl::StatusOr<int64_t> t = ParseTime("--before", f.before);
    if (!t.ok()) return Fail(t.status(), kExitUsage);
    cutoff = *t;
  } else {
    absl::StatusOr<int64_t> d = ParseDuration(f.older_than);
    if (!d.ok()) return Fail(d.status(), kExitUsage);
    if (__builtin_sub_overflow(*now, *d, &cutoff) || cutoff < kMinTime) {
      return Fail(absl::OutOfRangeError(absl::StrFormat(
                      "--older-than: the cutoff %s before %s is out of range: cutoffs must be within %s",
                      f.older_than, FormatTime(*now), kTimeRange)),
                  kExitUsage);
    }
  }
  absl::StatusOr<std::unique_ptr<IngestIndex>> index = OpenIndex(f.path, false, &f.write, 1);
  if (!index.ok()) return Fail(index.status());
  const ExpireBy by = f.by == "inserted" ? ExpireBy::kInserted : ExpireBy::kPublished;
  absl::StatusOr<RemoveResult> r = (*index)->Expire(cutoff, by);
  if (!r.ok()) return Fail(r.status());
  const IndexStats s = (*index)->Stats();
  std::cout << absl::StrFormat(
      "expired %d documents %s before %s; %d clusters deleted, %d split off; %d documents in %d clusters remain\n",
      r->removed, f.by, FormatTime(cutoff), r->clusters_deleted, r->clusters_split, s.documents, s.clusters);
  return kExitOk;
}

// --- stats / export / events / verify ------------------------------------------------

struct ReadFlags {
  std::string path;
  std::string format;
  std::string output;
  bool dense_ids = false;
  bool quick = false;
  int64_t cluster = 0;
};

int RunStats(const ReadFlags& f) {
  absl::StatusOr<std::unique_ptr<IngestIndex>> index = OpenIndex(f.path, true, nullptr, 1);
  if (!index.ok()) return Fail(index.status());
  const IndexStats s = (*index)->Stats();
  const IndexParams& p = s.params;
  const double per_doc = s.documents > 0 ? static_cast<double>(s.file_bytes + s.wal_bytes) / s.documents : 0;
  if (f.format == "json") {
    auto time = [](int64_t t) { return t == kNoTime ? std::string("null") : JsonQuote(FormatTime(t)); };
    std::cout << "{\"path\": " << JsonQuote(f.path) << ", \"documents\": " << s.documents
              << ", \"empty_documents\": " << s.empty_documents << ", \"clusters\": " << s.clusters
              << ", \"duplicate_clusters\": " << s.duplicate_clusters << ", \"duplicates\": " << s.duplicates
              << ", \"merges\": " << s.merges << ", \"splits\": " << s.splits
              << ", \"next_cluster\": " << s.next_cluster << ", \"candidate_pairs\": " << s.candidate_pairs
              << ", \"verified_pairs\": " << s.verified_pairs
              << ", \"oldest_inserted\": " << (s.documents ? time(s.oldest_inserted) : "null")
              << ", \"newest_inserted\": " << (s.documents ? time(s.newest_inserted) : "null")
              << ", \"oldest_published\": " << time(s.oldest_published)
              << ", \"newest_published\": " << time(s.newest_published) << ", \"file_bytes\": " << s.file_bytes
              << ", \"wal_bytes\": " << s.wal_bytes << ", \"bytes_per_document\": " << Num(per_doc)
              << ", \"load_seconds\": " << Num(s.load_seconds) << ", \"sketch\": " << JsonQuote(s.sketch_description)
              << ", \"threshold\": " << Num(p.match.threshold)
              << ", \"containment_threshold\": " << Num(p.match.containment_threshold)
              << ", \"canonical\": \"" << CanonicalRuleName(p.canonical) << "\", \"bands\": " << s.lsh.bands
              << ", \"rows\": " << s.lsh.rows << ", \"chrome\": " << JsonQuote(DescribeChromeRule(p.chrome))
              << ", \"chrome_lines\": " << s.chrome_lines << ", \"chrome_history\": " << s.chrome_history
              << ", \"exact_copies\": " << s.exact_copies << ", \"hot_keys\": " << s.hot_keys << "}\n";
    return kExitOk;
  }
  std::cout << absl::StrFormat("index       %s\n", f.path)
            << absl::StrFormat("documents   %d (%d empty)\n", s.documents, s.empty_documents)
            << absl::StrFormat("clusters    %d (%d with duplicates; %d duplicates)\n", s.clusters,
                               s.duplicate_clusters, s.duplicates)
            << absl::StrFormat("events      %d merges, %d splits; next cluster id %d\n", s.merges, s.splits,
                               s.next_cluster)
            << absl::StrFormat("pairs       %d candidates, %d verified (since creation)\n", s.candidate_pairs,
                               s.verified_pairs)
            << absl::StrFormat("copies      %d documents are exact copies of an earlier one (looked up through it)\n",
                               s.exact_copies)
            << absl::StrFormat("hot keys    %d LSH keys hold more than 64 documents (grouped by cluster)\n", s.hot_keys)
            << absl::StrFormat("inserted    %s .. %s\n", s.documents ? FormatTime(s.oldest_inserted) : "-",
                               s.documents ? FormatTime(s.newest_inserted) : "-")
            << absl::StrFormat("published   %s .. %s\n", FormatTime(s.oldest_published),
                               FormatTime(s.newest_published))
            << absl::StrFormat("sketch      %s\n", s.sketch_description)
            << absl::StrFormat("matching    threshold %s, containment %s, canonical %s, LSH %d bands x %d rows\n",
                               Num(p.match.threshold),
                               p.match.containment_threshold > 0 ? Num(p.match.containment_threshold) : "off",
                               CanonicalRuleName(p.canonical), s.lsh.bands, s.lsh.rows)
            << absl::StrFormat("chrome      %s\n", DescribeChromeRule(p.chrome))
            << absl::StrFormat("            %d lines are chrome, learned from %d documents\n", s.chrome_lines,
                               s.chrome_history)
            << absl::StrFormat("size        %d bytes + %d bytes of WAL (%.0f bytes per document)\n", s.file_bytes,
                               s.wal_bytes, per_doc)
            << absl::StrFormat("load        %.3f s\n", s.load_seconds);
  return kExitOk;
}

int RunExport(const ReadFlags& f) {
  absl::StatusOr<ReportFormat> format = ParseReportFormat(f.format);
  if (!format.ok()) return Fail(format.status(), kExitUsage);
  // Before the index is opened: -o must not name the index or its SQLite files.
  absl::Status output_ok = CheckOutputPath(f.output, {f.path},
                                           {f.path, f.path + "-wal", f.path + "-shm", f.path + "-journal"});
  if (!output_ok.ok()) return Fail(output_ok, kExitUsage);
  absl::StatusOr<std::unique_ptr<IngestIndex>> index = OpenIndex(f.path, true, nullptr, 1);
  if (!index.ok()) return Fail(index.status());
  const ClusterResult result = (*index)->ExportClusters(f.dense_ids);
  ReportInfo info;
  info.sketch_description = (*index)->sketch_description();
  info.shingle_spec = ShingleSpec((*index)->params().sketch.shingle);
  info.num_perm = (*index)->params().sketch.num_perm;
  info.threshold = (*index)->params().match.threshold;
  absl::Status st = WriteOutput(f.output, [&](std::ostream& out) { WriteReport(result, info, *format, out); });
  if (!st.ok()) return Fail(st);
  return kExitOk;
}

int RunEvents(const ReadFlags& f, bool one_cluster) {
  absl::StatusOr<std::unique_ptr<IngestIndex>> index = OpenIndex(f.path, true, nullptr, 1);
  if (!index.ok()) return Fail(index.status());
  absl::StatusOr<std::vector<ClusterEvent>> events =
      (*index)->ClusterEvents(one_cluster ? std::optional<int64_t>(f.cluster) : std::nullopt);
  if (!events.ok()) return Fail(events.status());
  std::cout << "time\tevent\told_cluster\tnew_cluster\tdocument\n";
  for (const ClusterEvent& e : *events) {
    std::cout << FormatTime(e.time) << '\t' << (e.kind == ClusterEvent::Kind::kMerge ? "merge" : "split") << '\t'
              << e.old_cluster << '\t' << e.new_cluster << '\t' << TsvEscape(e.document) << '\n';
  }
  return kExitOk;
}

int RunVerify(const ReadFlags& f) {
  VerifyOptions options;
  options.quick = f.quick;
  absl::StatusOr<VerifyReport> report = IngestIndex::VerifyFile(f.path, options);
  if (!report.ok()) return Fail(report.status());
  if (!report->ok()) {
    for (const std::string& p : report->problems) std::cout << "problem: " << p << '\n';
    const std::string& first = report->problems[0];
    const std::string where = first.rfind(f.path + ":", 0) == 0 ? first : f.path + ": " + first;
    return Fail(absl::DataLossError(absl::StrFormat("%s (verification: %d problem%s, listed on stdout)", where,
                                                    report->problems.size(), report->problems.size() == 1 ? "" : "s")));
  }
  std::cout << absl::StrFormat("ok: %s: %d documents, %d clusters, %d events; %s%s (%.2f s)\n", f.path,
                               report->documents, report->clusters, report->events,
                               f.quick ? "quick_check, checksums, invariants"
                                       : "integrity_check, checksums, invariants",
                               f.quick ? "" : ", re-clustering", report->seconds);
  return kExitOk;
}

}  // namespace

Command RegisterIndexCommand(CLI::App& app) {
  CLI::App* index = app.add_subcommand(
      "index",
      "A durable near-duplicate index on disk (SQLite, WAL mode): check-and-insert documents as\n"
      "they arrive, query, remove, expire, export the clusters. It answers as `dedup cluster`\n"
      "over the same documents; an acknowledged insert survives crashes. See README.md.");
  index->require_subcommand(1);
  struct Sub {
    CLI::App* app;
    std::function<int()> run;
  };
  auto subs = std::make_shared<std::vector<Sub>>();

  {
    auto f = std::make_shared<CreateFlags>();
    CLI::App* cmd = index->add_subcommand("create", "Create a new, empty index with these parameters (fixed for its life).");
    cmd->add_option("PATH", f->path, "The index file to create (must not exist)")->required();
    f->params.Register(cmd);
    subs->push_back({cmd, [cmd, f] { return RunCreate(cmd, *f); }});
  }
  for (bool insert : {true, false}) {
    auto f = std::make_shared<CheckFlags>();
    CLI::App* cmd = index->add_subcommand(
        insert ? "add" : "query",
        insert ? "Check each document against the index and insert it. Prints one line per document:\n"
                 "id, decision (new; duplicate; existing: the id is already indexed with the same text),\n"
                 "cluster id, canonical member, similarity and containment with it. Each batch is one\n"
                 "transaction; its decisions are printed once it is durably committed."
               : "Print the decision `add` would make for each document, inserting nothing. Each\n"
                 "document is checked on its own (documents of one query are not compared).");
    cmd->add_option("PATH", f->path, "The index file")->required();
    cmd->add_option("INPUT", f->inputs, "Inputs as for `dedup cluster`: .jsonl files, folders, text files, -")
        ->required();
    cmd->add_option("--format", f->format, "Output: tsv or jsonl")
        ->check(CLI::IsMember({"tsv", "jsonl"}))
        ->capture_default_str();
    cmd->add_option("--output,-o", f->output,
                    "Write the decisions to FILE instead of stdout (atomically, when the command ends)");
    if (insert) {
      cmd->add_option("--batch-size", f->batch_size, "Documents per transaction (and per acknowledgement)")
          ->check(CLI::Range(1, 1000000))
          ->capture_default_str();
      f->write.Register(cmd);
    } else {
      f->batch_size = 1024;
    }
    AddThreadsOption(cmd, &f->threads);
    f->input.Register(cmd);
    f->params.Register(cmd);
    cmd->footer(
        "\nThe parameter flags (--shingle ... --rows) are optional: each one given must equal the\n"
        "index's value, or the command fails before reading any input.");
    subs->push_back({cmd, [cmd, f, insert] { return RunCheck(cmd, *f, insert); }});
  }
  {
    auto f = std::make_shared<RemoveFlags>();
    CLI::App* cmd = index->add_subcommand(
        "remove",
        "Delete documents by id and re-cluster what remains of their clusters (a cluster that\n"
        "only held together through a removed document splits; the part with the earliest\n"
        "inserted member keeps the id). Prints id and removed/absent per id.");
    cmd->add_option("PATH", f->path, "The index file")->required();
    cmd->add_option("ID", f->ids, "Document ids");
    cmd->add_option("--ids-from", f->ids_from, "Also read ids from FILE, one per line (- for stdin)");
    f->write.Register(cmd);
    subs->push_back({cmd, [f] { return RunRemove(*f); }});
  }
  {
    auto f = std::make_shared<ExpireFlags>();
    CLI::App* cmd = index->add_subcommand(
        "expire",
        "Delete documents older than a cutoff, with their band entries, re-clustering what remains.\n"
        "Freed pages are reused, so under a steady stream with expiry the file stops growing.");
    cmd->add_option("PATH", f->path, "The index file")->required();
    cmd->add_option("--before", f->before, "Cutoff: RFC 3339, YYYY-MM-DD, or @SECONDS");
    cmd->add_option("--older-than", f->older_than, "Cutoff relative to now: 90s, 15m, 12h, 7d, 2w");
    cmd->add_option("--by", f->by,
                    "published (documents without a publication time use their insert time) or inserted")
        ->check(CLI::IsMember({"published", "inserted"}))
        ->capture_default_str();
    f->write.Register(cmd);
    subs->push_back({cmd, [f] { return RunExpire(*f); }});
  }
  {
    auto f = std::make_shared<ReadFlags>();
    f->format = "text";
    CLI::App* cmd = index->add_subcommand("stats", "Counts, time ranges, parameters, file size, load time.");
    cmd->add_option("PATH", f->path, "The index file")->required();
    cmd->add_option("--format", f->format, "text or json")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    subs->push_back({cmd, [f] { return RunStats(*f); }});
  }
  {
    auto f = std::make_shared<ReadFlags>();
    f->format = "text";
    CLI::App* cmd = index->add_subcommand(
        "export",
        "Write the clusters in the formats of `dedup cluster` (documents in insertion order;\n"
        "representative = canonical member). The cluster column is the stable cluster id, or with\n"
        "--dense-ids a number 0, 1, ... by first document, exactly as `dedup cluster` numbers them.");
    cmd->add_option("PATH", f->path, "The index file")->required();
    cmd->add_option("--format", f->format, "text, json, jsonl, tsv, csv or html")
        ->check(CLI::IsMember({"text", "json", "jsonl", "tsv", "csv", "html"}))
        ->capture_default_str();
    cmd->add_option("--output,-o", f->output, "Write to FILE (atomically) instead of stdout");
    cmd->add_flag("--dense-ids", f->dense_ids, "Number clusters 0, 1, ... as `dedup cluster` does");
    subs->push_back({cmd, [f] { return RunExport(*f); }});
  }
  {
    auto f = std::make_shared<ReadFlags>();
    CLI::App* cmd = index->add_subcommand("events", "List cluster merges and splits, oldest first.");
    cmd->add_option("PATH", f->path, "The index file")->required();
    CLI::Option* cluster = cmd->add_option("--cluster", f->cluster, "Only events naming this cluster id");
    subs->push_back({cmd, [f, cluster] { return RunEvents(*f, cluster->count() > 0); }});
  }
  {
    auto f = std::make_shared<ReadFlags>();
    CLI::App* cmd = index->add_subcommand(
        "verify",
        "Check the index: SQLite integrity_check, header, parameters, row checksums, clusters\n"
        "against documents, events, and that re-clustering the stored signatures from scratch gives\n"
        "the stored clusters. Exit 0 if all is well; 1 with the problems listed otherwise.");
    cmd->add_option("PATH", f->path, "The index file")->required();
    cmd->add_flag("--quick", f->quick, "quick_check instead of integrity_check; no re-clustering");
    subs->push_back({cmd, [f] { return RunVerify(*f); }});
  }
  return Command{index, [subs] {
                   for (const Sub& s : *subs) {
                     if (s.app->parsed()) return s.run();
                   }
                   return kExitUsage;
                 }};
}

}  // namespace dedup::cli
