// dedup serve INDEX: the ingestion index (dedup/ingest_index.h) as an HTTP/JSON service.
// The routes are in dedup/serve/routes.h, the HTTP layer in dedup/serve/http_server.h,
// the batching writer in dedup/serve/group_commit.h; README.md shows a session.
//
// Start-up: the listener comes up first (its address is the first line on stderr,
// {"event":"listening","address":"127.0.0.1:PORT"}, and --port-file gets the port), then
// the index opens on a background thread (/readyz answers 503 until it is open; a missing
// index is created with the parameter flags, as `dedup index create` takes them). SIGTERM or SIGINT: stop accepting,
// finish the requests in flight and their commits, close the index, exit 0.
// Every request is logged as one JSON line on stderr: method, route template, status,
// duration, body sizes, peer -- never a token or a document's text or id.
#include <signal.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

#include "absl/strings/str_format.h"
#include "dedup/cli/commands.h"
#include "dedup/cli/param_flags.h"
#include "dedup/ingest_index.h"
#include "dedup/report.h"
#include "dedup/serve/group_commit.h"
#include "dedup/serve/http_server.h"
#include "dedup/serve/metrics.h"
#include "dedup/serve/routes.h"

namespace dedup::cli {
namespace {

struct ServeFlags {
  std::string path;
  std::string listen = "127.0.0.1:8080";
  std::string port_file;
  std::string token_file;
  bool auth_reads = false;
  std::string sync = "full";
  int threads = 1;
  int workers = 16;
  int io_threads = 2;
  int64_t max_body_bytes = int64_t{32} << 20;
  int64_t max_header_bytes = 16 << 10;
  int max_batch = 1000;
  int max_connections = 1024;
  double request_timeout = 30;
  double idle_timeout = 60;
  ParamFlags params;
};

std::mutex log_mu;
void Log(const std::string& json_line) {
  std::lock_guard<std::mutex> lock(log_mu);
  std::cerr << json_line << '\n' << std::flush;
}

// "HOST:PORT" or "[V6]:PORT".
absl::Status ParseListen(const std::string& text, std::string* host, uint16_t* port) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 == text.size()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("--listen: \"%s\": expected HOST:PORT (127.0.0.1:8080, [::1]:8080, 0.0.0.0:0)", text));
  }
  std::string h = text.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  int p = -1;
  try {
    size_t used = 0;
    p = std::stoi(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1) p = -1;
  } catch (...) {
    p = -1;
  }
  if (p < 0 || p > 65535 || h.empty()) {
    return absl::InvalidArgumentError(absl::StrFormat("--listen: \"%s\": the port must be 0..65535", text));
  }
  *host = h;
  *port = static_cast<uint16_t>(p);
  return absl::OkStatus();
}

// The token: --token-file's first line, else $DEDUP_TOKEN, else none.
absl::StatusOr<std::string> ReadToken(const std::string& file) {
  std::string token;
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) return absl::NotFoundError(absl::StrFormat("--token-file %s: cannot read it", file));
    std::getline(in, token);
    while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
    if (token.empty()) return absl::InvalidArgumentError(absl::StrFormat("--token-file %s: the first line is empty", file));
  } else if (const char* env = std::getenv("DEDUP_TOKEN"); env != nullptr) {
    token = env;
  }
  return token;
}

bool IsLoopback(const std::string& host) {
  return host == "::1" || host.rfind("127.", 0) == 0 || host == "localhost";
}

int RunServe(CLI::App* app, const ServeFlags& f) {
  // The parameters of an index created here (a missing INDEX); for an existing one, each
  // flag given must equal its stored value.
  absl::StatusOr<IndexParams> create_params = f.params.Apply(app, IndexParams{}, /*all=*/true);
  if (!create_params.ok()) return Fail(create_params.status(), kExitUsage);
  serve::ServerOptions server_options;
  absl::Status st = ParseListen(f.listen, &server_options.host, &server_options.port);
  if (!st.ok()) return Fail(st, kExitUsage);
  absl::StatusOr<std::string> token = ReadToken(f.token_file);
  if (!token.ok()) return Fail(token.status(), kExitUsage);
  if (f.auth_reads && token->empty()) {
    return Fail(absl::InvalidArgumentError("--auth-reads needs a token (--token-file or DEDUP_TOKEN)"), kExitUsage);
  }
  server_options.workers = f.workers;
  server_options.io_threads = f.io_threads;
  server_options.max_body_bytes = static_cast<size_t>(f.max_body_bytes);
  server_options.max_header_bytes = static_cast<size_t>(f.max_header_bytes);
  server_options.max_connections = f.max_connections;
  server_options.request_timeout = std::chrono::milliseconds(static_cast<int64_t>(f.request_timeout * 1000));
  server_options.idle_timeout = std::chrono::milliseconds(static_cast<int64_t>(f.idle_timeout * 1000));

  // SIGTERM and SIGINT are taken by sigwait below: block them in every thread.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  serve::Metrics metrics;
  serve::RouterOptions router_options;
  router_options.max_batch_documents = static_cast<size_t>(f.max_batch);
  router_options.token = *token;
  router_options.auth_reads = f.auth_reads;
  serve::Router router(router_options, &metrics);
  auto logger = [&metrics](const serve::AccessRecord& r) {
    metrics.CountRequest(r.route == "-" ? "-" : r.route, r.status, r.seconds);
    Log(absl::StrFormat(
        "{\"event\":\"request\",\"method\":%s,\"route\":%s,\"status\":%d,\"duration_ms\":%.3f,"
        "\"request_bytes\":%d,\"response_bytes\":%d,\"remote\":%s}",
        JsonQuote(r.method.size() <= 16 && IsValidUtf8(r.method) ? r.method : "?"), JsonQuote(r.route), r.status,
        r.seconds * 1000, r.request_bytes, r.response_bytes, JsonQuote(r.remote)));
  };
  absl::StatusOr<std::unique_ptr<serve::HttpServer>> server = serve::HttpServer::Start(
      server_options, [&router](const serve::HttpRequest& r) { return router.Handle(r); }, logger);
  if (!server.ok()) return Fail(server.status());
  const std::string address = (*server)->address();
  Log(absl::StrFormat("{\"event\":\"listening\",\"address\":%s}", JsonQuote(address)));
  if (!IsLoopback(server_options.host) && token->empty()) {
    Log(absl::StrFormat(
        "{\"event\":\"warning\",\"message\":%s}",
        JsonQuote("listening beyond loopback (" + address +
                  ") without a token: anyone who reaches this port can insert and delete documents; "
                  "set --token-file or DEDUP_TOKEN")));
  }
  if (!f.port_file.empty()) {
    const std::string tmp = f.port_file + ".tmp";
    {
      std::ofstream out(tmp);
      out << address.substr(address.rfind(':') + 1) << '\n';
    }
    std::rename(tmp.c_str(), f.port_file.c_str());
  }

  // Open (or create) the index in the background; /readyz says when it is done.
  std::unique_ptr<IngestIndex> index;
  std::unique_ptr<serve::GroupCommitter> committer;
  std::atomic<int> load_state{0};  // 0 loading, 1 ready, 2 failed.
  std::thread loader([&] {
    IngestOptions options;
    options.durability = f.sync == "normal" ? Durability::kNormal : Durability::kFull;
    options.threads = f.threads;
    const auto t0 = std::chrono::steady_clock::now();
    absl::StatusOr<std::unique_ptr<IngestIndex>> opened = IngestIndex::Open(f.path, options);
    bool created = false;
    if (absl::IsNotFound(opened.status())) {
      options.params = *create_params;
      opened = IngestIndex::Create(f.path, options);
      created = true;
    } else if (opened.ok() && f.params.AnyGiven(app)) {
      absl::StatusOr<IndexParams> expected = f.params.Apply(app, (*opened)->params(), /*all=*/false);
      absl::Status same = expected.ok() ? (*opened)->CheckParams(*expected) : expected.status();
      if (!same.ok()) opened = same;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!opened.ok()) {
      router.SetLoadError(opened.status());
      Log(absl::StrFormat("{\"event\":\"error\",\"message\":%s}", JsonQuote(std::string(opened.status().message()))));
      load_state = 2;
      return;
    }
    index = std::move(*opened);
    committer = std::make_unique<serve::GroupCommitter>(
        index.get(), serve::GroupCommitter::Options{static_cast<size_t>(std::max(f.max_batch, 1))}, &metrics);
    metrics.SetLoad(seconds, true);
    const IndexStats stats = index->Stats();
    router.SetIndex(index.get(), committer.get());
    Log(absl::StrFormat("{\"event\":\"ready\",\"index\":%s,\"created\":%s,\"documents\":%d,\"clusters\":%d,"
                        "\"load_seconds\":%.3f}",
                        JsonQuote(f.path), created ? "true" : "false", stats.documents, stats.clusters, seconds));
    load_state = 1;
  });

  int signal_number = 0;
  while (load_state.load() != 2) {
    timespec wait{0, 100 * 1000 * 1000};
    const int s = sigtimedwait(&signals, nullptr, &wait);
    if (s > 0) {
      signal_number = s;
      break;
    }
  }
  Log(absl::StrFormat("{\"event\":\"stopping\",\"reason\":%s}",
                      JsonQuote(signal_number == SIGTERM ? "SIGTERM" : signal_number == SIGINT ? "SIGINT" : "index failed to open")));
  (*server)->Drain();
  (*server)->Wait();
  loader.join();
  router.SetIndex(nullptr, nullptr);
  if (committer) committer->Stop();
  committer.reset();
  index.reset();
  Log(absl::StrFormat("{\"event\":\"stopped\"}"));
  return load_state.load() == 1 ? kExitOk : kExitFailure;
}

}  // namespace

Command RegisterServeCommand(CLI::App& app) {
  auto f = std::make_shared<ServeFlags>();
  CLI::App* cmd = app.add_subcommand(
      "serve",
      "Serve an ingestion index over HTTP/JSON: POST /v1/documents (check-and-insert, one\n"
      "document or {\"documents\": [...]}), POST /v1/query, GET|DELETE /v1/documents/{id},\n"
      "GET /v1/clusters/{id}, POST /v1/expire, GET /healthz, /readyz, /metrics. Concurrent\n"
      "inserts share one commit (group commit); each answer is sent once it is durable.\n"
      "Opens INDEX (created with the parameter flags if missing) after the listener is up.\n"
      "SIGTERM/SIGINT: stop accepting, finish requests in flight, exit 0. See README.md.");
  cmd->add_option("INDEX", f->path, "The index file (created here with the parameter flags if missing)")
      ->required();
  cmd->add_option("--listen", f->listen,
                  "Address to listen on, HOST:PORT ([::1]:PORT for IPv6); port 0 picks a free port, printed "
                  "on stderr as {\"event\":\"listening\",\"address\":...}")
      ->capture_default_str();
  cmd->add_option("--port-file", f->port_file, "Also write the bound port to FILE (for scripts and tests)");
  cmd->add_option("--token-file", f->token_file,
                  "Require `Authorization: Bearer TOKEN` for writes, TOKEN being FILE's first line "
                  "(default: $DEDUP_TOKEN if set, else no token)");
  cmd->add_flag("--auth-reads", f->auth_reads, "Require the token for reads and /metrics too (not /healthz, /readyz)");
  cmd->add_option("--sync", f->sync,
                  "full: fsync every commit (survives power loss); normal: fsync at checkpoints "
                  "(survives kill -9)")
      ->check(CLI::IsMember({"full", "normal"}))
      ->capture_default_str();
  AddThreadsOption(cmd, &f->threads);
  cmd->add_option("--workers", f->workers, "Requests handled at once (threads); the rest wait in a queue")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  cmd->add_option("--io-threads", f->io_threads, "Threads reading and writing sockets")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_option("--max-body-bytes", f->max_body_bytes, "Largest request body; larger ones get 413")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 32))
      ->capture_default_str();
  cmd->add_option("--max-header-bytes", f->max_header_bytes, "Largest request header; larger ones get 431")
      ->check(CLI::Range(int64_t{256}, int64_t{1} << 20))
      ->capture_default_str();
  cmd->add_option("--max-batch", f->max_batch,
                  "Most documents in one request ({\"documents\": [...]}; more get 413) and in one group commit")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_option("--max-connections", f->max_connections, "Open connections; beyond it new ones get 503")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  cmd->add_option("--request-timeout", f->request_timeout,
                  "Seconds to receive a request's body once its header began, and to send a response")
      ->check(CLI::Range(0.001, 3600.0))
      ->capture_default_str();
  cmd->add_option("--idle-timeout", f->idle_timeout,
                  "Seconds a connection may wait for a request's header (keep-alive idle time)")
      ->check(CLI::Range(0.001, 86400.0))
      ->capture_default_str();
  f->params.Register(cmd);
  cmd->footer(
      "\nThe parameter flags (--shingle ... --boilerplate-source-min-contexts) set the parameters of\n"
      "an index created here; for an existing index each one given must equal its stored value.\n"
      "Environment: DEDUP_TOKEN, the bearer token when --token-file is not given.\n"
      "Statuses: 400 bad JSON or field (named), 401 token, 404, 405, 409 id replayed with another\n"
      "text, 413 body or batch over the limit, 415 not application/json, 431 header too large,\n"
      "503 index loading or too many connections, 507 index file size limit.");
  return Command{cmd, [cmd, f] { return RunServe(cmd, *f); }};
}

}  // namespace dedup::cli
