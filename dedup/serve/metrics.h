// Metrics: the counters and histograms of `dedup serve`, written in the Prometheus text
// exposition format (version 0.0.4) for GET /metrics.
//
//   dedup_http_requests_total{route,status}          counter
//   dedup_http_request_duration_seconds{route}       histogram (request read -> response ready)
//   dedup_decisions_total{decision}                  counter: new, duplicate, existing (inserts only)
//   dedup_commit_batch_documents                     histogram: documents per group commit
//   dedup_commit_seconds                             histogram: one CheckAndInsert transaction,
//                                                    its fsync included
//   dedup_index_documents, dedup_index_clusters,     gauges from IngestIndex::Stats()
//   dedup_index_candidate_pairs_total, dedup_index_verified_pairs_total,
//   dedup_index_file_bytes, dedup_index_wal_bytes
//   dedup_index_commits_total,                       counters from IngestIndex::Stats(): the
//   dedup_index_commit_sync_seconds_total            transactions and their time in COMMIT
//                                                    (WAL write + fsync)
//   dedup_index_load_seconds, dedup_index_ready      gauges
//
// `route` is a route template ("POST /v1/documents", "GET /v1/documents/{id}"), never a
// concrete path, so the label set stays small and no document id reaches the metrics.
//
// Thread-safe: every method may be called from any thread.
//
// Example:
//   dedup::serve::Metrics m;
//   m.CountRequest("GET /healthz", 200, 0.0001);
//   std::string text = m.Render(nullptr);
#ifndef DEDUP_SERVE_METRICS_H_
#define DEDUP_SERVE_METRICS_H_

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dedup/ingest_index.h"

namespace dedup::serve {

// A cumulative histogram with fixed upper bounds (Prometheus "le" buckets, +Inf implied).
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double v);
  // Appends the _bucket, _sum and _count lines of `name` with the label text `labels`
  // ("" or `route="x"`).
  void Render(std::string_view name, std::string_view labels, std::string* out) const;

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // Per bound, not cumulative; the last is +Inf.
  double sum_ = 0;
  uint64_t count_ = 0;
};

class Metrics {
 public:
  Metrics();
  void CountRequest(std::string_view route, int status, double seconds);
  void CountDecision(Decision d);
  void ObserveCommit(size_t documents, double seconds);
  void SetLoad(double seconds, bool ready);
  // The exposition; `stats` (the index's, when it is loaded) adds the index gauges.
  std::string Render(const IndexStats* stats) const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::map<std::string, Histogram, std::less<>> latency_;
  std::array<uint64_t, 3> decisions_{};
  Histogram batch_documents_;
  Histogram commit_seconds_;
  double load_seconds_ = 0;
  bool ready_ = false;
};

}  // namespace dedup::serve

#endif  // DEDUP_SERVE_METRICS_H_
