#include "dedup/serve/routes.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <simdjson.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "dedup/corpus.h"
#include "dedup/internal/json_type_name.h"
#include "dedup/report.h"
#include "dedup/serve/answers.h"

namespace dedup::serve {
namespace {

using internal::JsonTypeName;

// The times /v1/expire accepts, as `dedup index expire` does: years 0001..9999.
constexpr int64_t kMinTime = -62135596800;
constexpr int64_t kMaxTime = 253402300799;

HttpResponse Json(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResponse Error(int status, std::string_view code, std::string_view message) {
  return Json(status, ErrorJson(code, message));
}

HttpResponse ErrorOf(const absl::Status& status, std::string_view prefix = {}) {
  const auto [code, name] = HttpStatusOf(status);
  std::string message(status.message());
  if (!prefix.empty()) message = std::string(prefix) + ": " + message;
  return Error(code, name, message);
}

std::string TimeJson(int64_t t) { return t == kNoTime ? "null" : std::to_string(t); }

// Percent-decoding of a path segment; false for a bad escape.
bool PercentDecode(std::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out->push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    int v = 0;
    auto [p, ec] = std::from_chars(in.data() + i + 1, in.data() + i + 3, v, 16);
    if (ec != std::errc() || p != in.data() + i + 3) return false;
    out->push_back(static_cast<char>(v));
    i += 2;
  }
  return true;
}

bool IsJson(std::string_view content_type) {
  const size_t semi = content_type.find(';');
  std::string_view type = content_type.substr(0, semi);
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  return absl::AsciiStrToLower(std::string(type)) == "application/json";
}

// Parses a request body into its root element (400 on failure, in *error).
bool ParseBody(simdjson::dom::parser& parser, const std::string& body, simdjson::dom::element* root,
               HttpResponse* error) {
  if (!IsValidUtf8(body)) {
    *error = Error(400, "invalid_argument", "body: invalid UTF-8");
    return false;
  }
  simdjson::error_code err = parser.parse(body).get(*root);
  if (err) {
    *error = Error(400, "invalid_argument", absl::StrFormat("body: invalid JSON: %s", simdjson::error_message(err)));
    return false;
  }
  return true;
}

// One document object, parsed by the corpus reader's RecordParser (one definition of the
// fields, their types, times and HTML handling with `dedup index add`).
absl::Status ParseDocument(RecordParser& records, simdjson::dom::element element, Document* doc) {
  if (element.type() != simdjson::dom::element_type::OBJECT) {
    return absl::InvalidArgumentError(absl::StrFormat("expected a document object, found %s",
                                                      JsonTypeName(element.type())));
  }
  RawRecord record;
  record.bytes = simdjson::minify(element);
  record.where = SourceLocation{"", 1};
  absl::Status st = records.Parse(&record, doc);
  if (st.ok()) return st;
  // Its messages start with "file:line: " (here ":1: "): the caller names the place.
  const std::string full(st.message());
  std::string_view message = full;
  if (message.substr(0, 4) == ":1: ") message.remove_prefix(4);
  return absl::Status(st.code(), std::string(message));
}

}  // namespace

std::pair<int, std::string_view> HttpStatusOf(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange: return {400, "invalid_argument"};
    case absl::StatusCode::kNotFound: return {404, "not_found"};
    case absl::StatusCode::kAlreadyExists: return {409, "conflict"};
    case absl::StatusCode::kResourceExhausted: return {507, "insufficient_storage"};
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kUnavailable: return {503, "unavailable"};
    default: return {500, "internal"};
  }
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  volatile unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff = diff | static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

Router::Router(RouterOptions options, Metrics* metrics) : options_(std::move(options)), metrics_(metrics) {}

void Router::SetIndex(IngestIndex* index, GroupCommitter* committer) {
  committer_.store(committer);
  index_.store(index);
}

void Router::SetLoadError(const absl::Status& status) {
  std::lock_guard<std::mutex> lock(load_error_mu_);
  load_error_ = status;
}

bool Router::Authorized(const HttpRequest& request) const {
  if (options_.token.empty()) return true;
  std::string_view auth = request.authorization;
  constexpr std::string_view kBearer = "Bearer ";
  if (auth.size() < kBearer.size() ||
      absl::AsciiStrToLower(std::string(auth.substr(0, kBearer.size()))) != "bearer ") {
    return false;
  }
  auth.remove_prefix(kBearer.size());
  return ConstantTimeEquals(auth, options_.token);
}

IngestIndex* Router::IndexOr503(HttpResponse* response) const {
  IngestIndex* index = index_.load();
  if (index == nullptr) *response = Error(503, "unavailable", "the index is loading; retry when /readyz answers 200");
  return index;
}

HttpResponse Router::Ready() const {
  if (index_.load() != nullptr) return Json(200, "{\"status\":\"ready\"}");
  std::lock_guard<std::mutex> lock(load_error_mu_);
  if (!load_error_.ok()) return Error(503, "unavailable", absl::StrFormat("the index failed to open: %s", load_error_.message()));
  return Error(503, "unavailable", "the index is loading");
}

HttpResponse Router::Handle(const HttpRequest& request) const {
  std::string_view path = request.target;
  if (const size_t q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
  return Dispatch(request, path);
}

HttpResponse Router::Dispatch(const HttpRequest& request, std::string_view path) const {
  constexpr std::string_view kDocs = "/v1/documents/";
  constexpr std::string_view kClusters = "/v1/clusters/";
  std::string_view tmpl, allow, param;
  bool write = false, read = false;
  if (path == "/healthz") {
    tmpl = "/healthz", allow = "GET";
  } else if (path == "/readyz") {
    tmpl = "/readyz", allow = "GET";
  } else if (path == "/metrics") {
    tmpl = "/metrics", allow = "GET", read = true;
  } else if (path == "/v1/documents") {
    tmpl = "/v1/documents", allow = "POST", write = true;
  } else if (path == "/v1/query") {
    tmpl = "/v1/query", allow = "POST", read = true;
  } else if (path == "/v1/expire") {
    tmpl = "/v1/expire", allow = "POST", write = true;
  } else if (path.size() > kDocs.size() && path.substr(0, kDocs.size()) == kDocs) {
    tmpl = "/v1/documents/{id}", allow = "GET, DELETE", param = path.substr(kDocs.size());
    write = request.method == "DELETE", read = !write;
  } else if (path.size() > kClusters.size() && path.substr(0, kClusters.size()) == kClusters) {
    tmpl = "/v1/clusters/{id}", allow = "GET", param = path.substr(kClusters.size()), read = true;
  } else {
    HttpResponse r = Error(404, "not_found", "no such route (see `dedup serve --help`)");
    r.route = "unmatched";
    return r;
  }
  const std::string route = request.method + " " + std::string(tmpl);
  auto with_route = [&](HttpResponse r) {
    r.route = route;
    return r;
  };
  const bool allowed = request.method == allow.substr(0, allow.find(',')) ||
                       (allow.find(',') != std::string_view::npos && request.method == allow.substr(allow.rfind(' ') + 1));
  if (!allowed) {
    // The method is the client's text: quoted only when it is a short UTF-8 word.
    const bool printable = request.method.size() <= 32 && IsValidUtf8(request.method);
    HttpResponse r = Error(405, "method_not_allowed",
                           absl::StrFormat("%s is not allowed on %s (allowed: %s)",
                                           printable ? request.method : "this method", tmpl, allow));
    r.headers.emplace_back("Allow", std::string(allow));
    r.route = std::string(tmpl);  // The method is not one of the route's.
    return r;
  }
  if ((write || (read && options_.auth_reads)) && !Authorized(request)) {
    HttpResponse r = Error(401, "unauthorized",
                           request.authorization.empty() ? "this route needs an Authorization: Bearer token"
                                                         : "the bearer token is not the server's");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return with_route(std::move(r));
  }
  if (request.method == "POST" && !IsJson(request.content_type)) {
    return with_route(Error(415, "unsupported_media_type",
                            absl::StrFormat("Content-Type must be application/json, not \"%s\"",
                                            request.content_type.size() <= 100 && IsValidUtf8(request.content_type)
                                                ? request.content_type
                                                : "?")));
  }
  if (tmpl == "/healthz") return with_route(Json(200, "{\"status\":\"alive\"}"));
  if (tmpl == "/readyz") return with_route(Ready());
  if (tmpl == "/metrics") {
    IngestIndex* index = index_.load();
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    if (index != nullptr) {
      const IndexStats stats = index->Stats();
      r.body = metrics_ != nullptr ? metrics_->Render(&stats) : "";
    } else {
      r.body = metrics_ != nullptr ? metrics_->Render(nullptr) : "";
    }
    return with_route(std::move(r));
  }
  if (tmpl == "/v1/documents") return with_route(PostDocuments(request, true));
  if (tmpl == "/v1/query") return with_route(PostDocuments(request, false));
  if (tmpl == "/v1/expire") return with_route(PostExpire(request));
  std::string id;
  if (!PercentDecode(param, &id) || !IsValidUtf8(id) || id.empty()) {
    return with_route(Error(400, "invalid_argument", "{id}: a bad percent-escape, empty, or not UTF-8"));
  }
  if (tmpl == "/v1/clusters/{id}") return with_route(GetCluster(id));
  if (request.method == "DELETE") return with_route(DeleteDocument(id));
  return with_route(GetDocument(id));
}

HttpResponse Router::PostDocuments(const HttpRequest& request, bool insert) const {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  HttpResponse error;
  if (!ParseBody(parser, request.body, &root, &error)) return error;
  if (root.type() != simdjson::dom::element_type::OBJECT) {
    return Error(400, "invalid_argument",
                 absl::StrFormat("body: expected a document object or {\"documents\": [...]}, found %s",
                                 JsonTypeName(root.type())));
  }
  RecordParser records{CorpusOptions{}};
  std::vector<Document> docs;
  simdjson::dom::element list;
  const bool batch = !root.at_key("documents").get(list);
  if (batch) {
    simdjson::dom::array array;
    if (list.get_array().get(array)) {
      return Error(400, "invalid_argument",
                   absl::StrFormat("field \"documents\" is %s, expected an array", JsonTypeName(list.type())));
    }
    const size_t n = array.size();
    if (n == 0) return Error(400, "invalid_argument", "field \"documents\" is empty");
    if (n > options_.max_batch_documents) {
      return Error(413, "payload_too_large",
                   absl::StrFormat("field \"documents\" holds %d documents, over the limit of %d", n,
                                   options_.max_batch_documents));
    }
    docs.resize(n);
    size_t i = 0;
    for (simdjson::dom::element e : array) {
      absl::Status st = ParseDocument(records, e, &docs[i]);
      if (!st.ok()) return ErrorOf(st, absl::StrFormat("documents[%d]", i));
      ++i;
    }
  } else {
    docs.resize(1);
    absl::Status st = ParseDocument(records, root, &docs[0]);
    if (!st.ok()) return ErrorOf(st, "body");
  }
  HttpResponse response;
  IngestIndex* index = IndexOr503(&response);
  if (index == nullptr) return response;
  std::vector<CheckResult> results;
  if (insert) {
    const size_t n = docs.size();
    GroupCommitter::Outcome o = committer_.load()->Insert(std::move(docs));
    if (!o.status.ok()) return ErrorOf(o.status, batch && o.failed < n ? absl::StrFormat("documents[%d]", o.failed) : "");
    results = std::move(o.results);
  } else {
    size_t failed = docs.size();
    absl::StatusOr<std::vector<CheckResult>> r = index->Query(docs, &failed);
    if (!r.ok()) return ErrorOf(r.status(), batch && failed < docs.size() ? absl::StrFormat("documents[%d]", failed) : "");
    results = std::move(*r);
  }
  if (!batch) return Json(200, CheckResultJson(results[0]));
  std::string body = "{\"results\":[";
  for (size_t i = 0; i < results.size(); ++i) {
    if (i > 0) body += ',';
    body += CheckResultJson(results[i]);
  }
  body += "]}";
  return Json(200, std::move(body));
}

HttpResponse Router::GetDocument(std::string_view id) const {
  HttpResponse response;
  IngestIndex* index = IndexOr503(&response);
  if (index == nullptr) return response;
  std::optional<StoredDocument> d = index->FindDocument(id);
  if (!d) return Error(404, "not_found", absl::StrFormat("no document \"%s\" in the index", std::string(id)));
  return Json(200, "{\"id\":" + JsonQuote(d->id) + ",\"cluster\":" + std::to_string(d->cluster) +
                       ",\"canonical\":" + JsonQuote(d->canonical) + ",\"published\":" + TimeJson(d->published) +
                       ",\"inserted\":" + std::to_string(d->inserted) +
                       ",\"num_shingles\":" + std::to_string(d->num_shingles) + "}");
}

HttpResponse Router::DeleteDocument(std::string_view id) const {
  HttpResponse response;
  IngestIndex* index = IndexOr503(&response);
  if (index == nullptr) return response;
  const std::string ids[] = {std::string(id)};
  absl::StatusOr<RemoveResult> r = index->Remove(ids);
  if (!r.ok()) return ErrorOf(r.status());
  if (r->removed == 0) return Error(404, "not_found", absl::StrFormat("no document \"%s\" in the index", ids[0]));
  return Json(200, "{\"id\":" + JsonQuote(ids[0]) + ",\"removed\":" + std::to_string(r->removed) +
                       ",\"clusters_deleted\":" + std::to_string(r->clusters_deleted) +
                       ",\"clusters_split\":" + std::to_string(r->clusters_split) + "}");
}

HttpResponse Router::GetCluster(std::string_view text) const {
  int64_t id = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || p != text.data() + text.size() || id <= 0) {
    return Error(400, "invalid_argument", "{id}: a cluster id is a positive integer");
  }
  HttpResponse response;
  IngestIndex* index = IndexOr503(&response);
  if (index == nullptr) return response;
  // Events first: a merge committed in between then shows in a later request's members,
  // never as members without the event that moved them.
  absl::StatusOr<std::vector<ClusterEvent>> events = index->ClusterEvents(id);
  if (!events.ok()) return ErrorOf(events.status());
  std::optional<StoredCluster> c = index->FindCluster(id);
  if (!c) {
    for (const ClusterEvent& e : *events) {
      if (e.kind == ClusterEvent::Kind::kMerge && e.old_cluster == id) {
        return Error(404, "not_found", absl::StrFormat("cluster %d was merged into cluster %d", id, e.new_cluster));
      }
    }
    return Error(404, "not_found", absl::StrFormat("no cluster %d in the index", id));
  }
  std::string body = "{\"cluster\":" + std::to_string(c->id) + ",\"canonical\":" + JsonQuote(c->canonical) +
                     ",\"created\":" + std::to_string(c->created) + ",\"size\":" + std::to_string(c->members.size()) +
                     ",\"members\":[";
  for (size_t i = 0; i < c->members.size(); ++i) {
    if (i > 0) body += ',';
    body += JsonQuote(c->members[i]);
  }
  body += "],\"events\":[";
  for (size_t i = 0; i < events->size(); ++i) {
    const ClusterEvent& e = (*events)[i];
    if (i > 0) body += ',';
    body += absl::StrFormat("{\"seq\":%d,\"time\":%d,\"kind\":\"%s\",\"old_cluster\":%d,\"new_cluster\":%d,\"document\":",
                            e.seq, e.time, e.kind == ClusterEvent::Kind::kMerge ? "merge" : "split", e.old_cluster,
                            e.new_cluster) +
            JsonQuote(e.document) + "}";
  }
  body += "]}";
  return Json(200, std::move(body));
}

HttpResponse Router::PostExpire(const HttpRequest& request) const {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  HttpResponse error;
  if (!ParseBody(parser, request.body, &root, &error)) return error;
  simdjson::dom::object obj;
  if (root.get_object().get(obj)) {
    return Error(400, "invalid_argument",
                 absl::StrFormat("body: expected an object {\"before\": ..., \"by\": ...}, found %s",
                                 JsonTypeName(root.type())));
  }
  simdjson::dom::element before;
  if (obj.at_key("before").get(before)) return Error(400, "invalid_argument", "missing field \"before\"");
  int64_t cutoff = 0;
  std::string_view s;
  if (!before.get_string().get(s)) {
    absl::StatusOr<int64_t> t = ParsePublishedTime(s);
    if (!t.ok()) return ErrorOf(t.status(), "field \"before\"");
    cutoff = *t;
  } else if (before.get_int64().get(cutoff)) {
    return Error(400, "invalid_argument",
                 absl::StrFormat("field \"before\" is %s, expected an RFC 3339 string or Unix seconds",
                                 JsonTypeName(before.type())));
  }
  if (cutoff < kMinTime || cutoff > kMaxTime) {
    return Error(400, "invalid_argument", "field \"before\": out of range (years 0001..9999)");
  }
  ExpireBy by = ExpireBy::kPublished;
  simdjson::dom::element by_element;
  if (!obj.at_key("by").get(by_element)) {
    std::string_view v;
    if (by_element.get_string().get(v) || (v != "published" && v != "inserted")) {
      return Error(400, "invalid_argument", "field \"by\": expected \"published\" or \"inserted\"");
    }
    by = v == "inserted" ? ExpireBy::kInserted : ExpireBy::kPublished;
  }
  HttpResponse response;
  IngestIndex* index = IndexOr503(&response);
  if (index == nullptr) return response;
  absl::StatusOr<RemoveResult> r = index->Expire(cutoff, by);
  if (!r.ok()) return ErrorOf(r.status());
  return Json(200, "{\"removed\":" + std::to_string(r->removed) + ",\"clusters_deleted\":" +
                       std::to_string(r->clusters_deleted) + ",\"clusters_split\":" + std::to_string(r->clusters_split) +
                       "}");
}

}  // namespace dedup::serve
