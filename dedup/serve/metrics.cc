#include "dedup/serve/metrics.h"

#include "absl/strings/str_format.h"

namespace dedup::serve {
namespace {

// Request latency: 100 us .. 10 s, roughly x2.5 per bucket.
std::vector<double> LatencyBounds() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::string Double(double x) { return absl::StrFormat("%.9g", x); }

// Route templates are dedup's own constants; quote them anyway as the format requires.
std::string LabelValue(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::Observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  ++counts_[i];
  sum_ += v;
  ++count_;
}

void Histogram::Render(std::string_view name, std::string_view labels, std::string* out) const {
  const std::string sep = labels.empty() ? "" : ",";
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i];
    const std::string le = i < bounds_.size() ? Double(bounds_[i]) : "+Inf";
    absl::StrAppendFormat(out, "%s_bucket{%s%sle=\"%s\"} %d\n", name, labels, sep, le, cumulative);
  }
  const std::string braces = labels.empty() ? "" : absl::StrFormat("{%s}", labels);
  absl::StrAppendFormat(out, "%s_sum%s %s\n%s_count%s %d\n", name, braces, Double(sum_), name, braces, count_);
}

Metrics::Metrics()
    : batch_documents_({1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}),
      commit_seconds_({0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}) {}

void Metrics::CountRequest(std::string_view route, int status, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[{std::string(route), status}];
  auto it = latency_.find(route);
  if (it == latency_.end()) it = latency_.emplace(std::string(route), Histogram(LatencyBounds())).first;
  it->second.Observe(seconds);
}

void Metrics::CountDecision(Decision d) {
  std::lock_guard<std::mutex> lock(mu_);
  ++decisions_[static_cast<size_t>(d)];
}

void Metrics::ObserveCommit(size_t documents, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  batch_documents_.Observe(static_cast<double>(documents));
  commit_seconds_.Observe(seconds);
}

void Metrics::SetLoad(double seconds, bool ready) {
  std::lock_guard<std::mutex> lock(mu_);
  load_seconds_ = seconds;
  ready_ = ready;
}

std::string Metrics::Render(const IndexStats* stats) const {
  std::string out;
  std::lock_guard<std::mutex> lock(mu_);
  out += "# HELP dedup_http_requests_total HTTP requests answered, by route template and status.\n"
         "# TYPE dedup_http_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    absl::StrAppendFormat(&out, "dedup_http_requests_total{route=\"%s\",status=\"%d\"} %d\n", LabelValue(key.first),
                          key.second, n);
  }
  out += "# HELP dedup_http_request_duration_seconds Time from a request read to its response ready.\n"
         "# TYPE dedup_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    h.Render("dedup_http_request_duration_seconds", absl::StrFormat("route=\"%s\"", LabelValue(route)), &out);
  }
  out += "# HELP dedup_decisions_total Inserted documents by decision.\n# TYPE dedup_decisions_total counter\n";
  for (Decision d : {Decision::kNew, Decision::kDuplicate, Decision::kExisting}) {
    absl::StrAppendFormat(&out, "dedup_decisions_total{decision=\"%s\"} %d\n", DecisionName(d),
                          decisions_[static_cast<size_t>(d)]);
  }
  out += "# HELP dedup_commit_batch_documents Documents per group commit (one transaction).\n"
         "# TYPE dedup_commit_batch_documents histogram\n";
  batch_documents_.Render("dedup_commit_batch_documents", "", &out);
  out += "# HELP dedup_commit_seconds Time of one check-and-insert transaction, its fsync included.\n"
         "# TYPE dedup_commit_seconds histogram\n";
  commit_seconds_.Render("dedup_commit_seconds", "", &out);
  absl::StrAppendFormat(&out,
                        "# HELP dedup_index_load_seconds Time to open the index.\n# TYPE dedup_index_load_seconds gauge\n"
                        "dedup_index_load_seconds %s\n"
                        "# HELP dedup_index_ready 1 once the index is open.\n# TYPE dedup_index_ready gauge\n"
                        "dedup_index_ready %d\n",
                        Double(load_seconds_), ready_ ? 1 : 0);
  if (stats != nullptr) {
    auto gauge = [&](const char* name, const char* type, const char* help, int64_t v) {
      absl::StrAppendFormat(&out, "# HELP %s %s\n# TYPE %s %s\n%s %d\n", name, help, name, type, name, v);
    };
    gauge("dedup_index_documents", "gauge", "Documents in the index.", stats->documents);
    gauge("dedup_index_clusters", "gauge", "Clusters in the index, singletons included.", stats->clusters);
    gauge("dedup_index_duplicate_clusters", "gauge", "Clusters of two or more documents.", stats->duplicate_clusters);
    gauge("dedup_index_candidate_pairs_total", "counter", "Candidate pairs checked since the index was created.",
          stats->candidate_pairs);
    gauge("dedup_index_verified_pairs_total", "counter", "Verified pairs since the index was created.",
          stats->verified_pairs);
    gauge("dedup_index_file_bytes", "gauge", "Size of the index file.", stats->file_bytes);
    gauge("dedup_index_wal_bytes", "gauge", "Size of its write-ahead log.", stats->wal_bytes);
    gauge("dedup_index_commits_total", "counter", "Write transactions committed by this process.", stats->commits);
    absl::StrAppendFormat(&out,
                          "# HELP dedup_index_commit_sync_seconds_total Seconds in SQLite COMMIT: writing the WAL "
                          "and its fsync.\n# TYPE dedup_index_commit_sync_seconds_total counter\n"
                          "dedup_index_commit_sync_seconds_total %s\n",
                          Double(stats->commit_sync_seconds));
  }
  return out;
}

}  // namespace dedup::serve
