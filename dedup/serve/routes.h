// Router: the HTTP/JSON API of `dedup serve` as a pure function from a request to a
// response, with no sockets (http_server.h carries requests to it), so that it can be
// unit-tested and fuzzed (tests/fuzz/serve_request_fuzzer.cc).
//
// Routes (JSON bodies; every error is {"error":{"code":…,"message":…}}):
//   POST   /v1/documents       one document {"id","text"[,"source","published","url"]} or
//                              {"documents":[…]} (1 .. max_batch_documents). Check-and-insert
//                              through the GroupCommitter; answers after the commit:
//                              one answer object (answers.h) or {"results":[…]}.
//                              A batch is all or nothing.
//   POST   /v1/query           the same bodies: the answers without inserting.
//   GET    /v1/documents/{id}  {"id","cluster","canonical","published","inserted","num_shingles"}
//   DELETE /v1/documents/{id}  removes it: {"id","removed","clusters_deleted","clusters_split"}
//   GET    /v1/clusters/{id}   {"cluster","canonical","created","size","members":[…],"events":[…]}
//   POST   /v1/expire          {"before": RFC 3339 | Unix seconds, "by": "published"|"inserted"}
//   GET    /healthz            200 while the process serves
//   GET    /readyz             200 once the index is open, 503 while it loads
//   GET    /metrics            Prometheus text (metrics.h)
// {id} is percent-decoded. Times in answers are Unix seconds (null: unknown).
//
// Statuses: 400 bad JSON or a bad field (the message names it: "documents[2]: missing
// field \"text\""), 401 a write (or, with auth_reads, a read) without the bearer token,
// 404 no such route, document or cluster, 405 a known route with another method (Allow
// lists the methods), 409 an id replayed with another text (named), 413 a batch over
// max_batch_documents (the HTTP layer answers 413 for a body over its limit), 415 a body
// that is not application/json, 503 the index is loading (or the server is stopping),
// 507 the index file reached its size limit, 500 anything else.
//
// Checks run in this order: route, method, token, content type, body, readiness; so a bad
// request is refused the same way whether the index is open or not.
//
// Thread-safe: Handle() runs on many threads at once; reads go to the index in parallel
// (IngestIndex readers), inserts through the one GroupCommitter, removals and expiry to the
// index's serialized writer.
//
// Example:
//   dedup::serve::Router router(options, &metrics);
//   router.SetIndex(index.get(), &committer);
//   HttpResponse r = router.Handle({.method = "GET", .target = "/readyz"});
#ifndef DEDUP_SERVE_ROUTES_H_
#define DEDUP_SERVE_ROUTES_H_

#include <atomic>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "dedup/ingest_index.h"
#include "dedup/serve/group_commit.h"
#include "dedup/serve/metrics.h"

namespace dedup::serve {

struct HttpRequest {
  std::string method;         // "GET", "POST", ...
  std::string target;         // Path and query, as sent: "/v1/documents/a%2Fb?x=1".
  std::string content_type;   // The Content-Type header ("" when absent).
  std::string authorization;  // The Authorization header ("" when absent).
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::string route;  // The route template, for metrics and the access log ("unmatched").
  std::vector<std::pair<std::string, std::string>> headers;  // Extra headers (Allow, ...).
};

struct RouterOptions {
  size_t max_batch_documents = 1000;  // Per POST /v1/documents or /v1/query.
  std::string token;                  // Bearer token; empty: no authentication.
  bool auth_reads = false;            // Also require the token for reads and /metrics.
};

class Router {
 public:
  // `metrics` (may be null) must outlive the router.
  Router(RouterOptions options, Metrics* metrics);

  // The index is open: readiness turns 200. `index` and `committer` must outlive the
  // router (or until SetIndex(nullptr, nullptr)).
  void SetIndex(IngestIndex* index, GroupCommitter* committer);
  // The index failed to open: /readyz answers 503 with this message.
  void SetLoadError(const absl::Status& status);

  HttpResponse Handle(const HttpRequest& request) const;

 private:
  HttpResponse Dispatch(const HttpRequest& request, std::string_view path) const;
  HttpResponse PostDocuments(const HttpRequest& request, bool insert) const;
  HttpResponse GetDocument(std::string_view id) const;
  HttpResponse DeleteDocument(std::string_view id) const;
  HttpResponse GetCluster(std::string_view id) const;
  HttpResponse PostExpire(const HttpRequest& request) const;
  HttpResponse Ready() const;
  bool Authorized(const HttpRequest& request) const;
  // 503 while loading (sets *response), else the index.
  IngestIndex* IndexOr503(HttpResponse* response) const;

  const RouterOptions options_;
  Metrics* const metrics_;
  std::atomic<IngestIndex*> index_{nullptr};
  std::atomic<GroupCommitter*> committer_{nullptr};
  mutable std::mutex load_error_mu_;
  absl::Status load_error_;
};

// The HTTP status and error code for a Status: InvalidArgument 400 invalid_argument,
// NotFound 404 not_found, AlreadyExists 409 conflict, ResourceExhausted 507
// insufficient_storage, FailedPrecondition and Unavailable 503 unavailable, others 500
// internal.
std::pair<int, std::string_view> HttpStatusOf(const absl::Status& status);

// Equal strings, in time that depends only on their lengths (for tokens).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace dedup::serve

#endif  // DEDUP_SERVE_ROUTES_H_
