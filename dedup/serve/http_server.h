// HttpServer: the HTTP/1.1 plumbing of `dedup serve`, on Boost.Beast and Boost.Asio.
//
// Asynchronous: an idle keep-alive connection costs a socket and a small buffer, not a
// thread (the reason for Beast over a thread-per-connection server; README.md). A few I/O
// threads read and write; each complete request is handed to a pool of `workers` threads
// that run the handler (which may block: reads of the index, a group commit), and the
// response is written back on the connection's strand.
//
// Limits, each answered with a JSON error and the connection closed:
//   - header bigger than max_header_bytes: 431;
//   - body bigger than max_body_bytes (by Content-Length or as it arrives): 413;
//   - no request header within idle_timeout (an idle keep-alive connection, or a client
//     that stalls in its header), a body not received within request_timeout of its
//     header, or a response not written within request_timeout: the connection is closed
//     without an answer (a stalled client would not read one);
//   - more than max_connections open connections: the new one gets 503 and is closed;
//   - a malformed request: 400.
//
// Shutdown (Drain): stop accepting, close idle keep-alive connections, let requests in
// flight finish and their responses be written (with Connection: close), then return.
//
// Example:
//   auto server = HttpServer::Start(options, [&](const HttpRequest& r) { return router.Handle(r); }, log);
//   std::cerr << (*server)->address();
//   (*server)->Drain();   // from another thread, e.g. on SIGTERM
//   (*server)->Wait();
#ifndef DEDUP_SERVE_HTTP_SERVER_H_
#define DEDUP_SERVE_HTTP_SERVER_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "dedup/serve/routes.h"

namespace dedup::serve {

struct ServerOptions {
  std::string host = "127.0.0.1";  // An IPv4 or IPv6 address (not a name).
  uint16_t port = 8080;            // 0: an ephemeral port (see address()).
  int io_threads = 2;
  int workers = 16;                // Requests handled at once; the others wait in a queue. More do
                                   // not help on few cores: at 1M documents, 16 inserted 1.4-2x
                                   // faster than 128 (BENCHMARKS.md).
  size_t max_body_bytes = size_t{32} << 20;
  size_t max_header_bytes = 16 << 10;
  int max_connections = 1024;
  std::chrono::milliseconds request_timeout{30000};
  std::chrono::milliseconds idle_timeout{60000};  // A keep-alive connection with no request.
};

// One finished request, for the access log: no body, no header values.
struct AccessRecord {
  std::string method;
  std::string route;  // The route template ("unmatched"; "-" for a request that never parsed;
                      // "refused" for a connection over max_connections, closed after its 503).
  int status = 0;
  double seconds = 0;       // First byte read to response written.
  size_t request_bytes = 0;  // Body bytes.
  size_t response_bytes = 0;
  std::string remote;       // "ip:port"
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;
  using Logger = std::function<void(const AccessRecord&)>;

  // Binds and listens (errors: the address cannot be parsed or bound), and starts the
  // I/O threads and the worker pool.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const ServerOptions& options, Handler handler,
                                                           Logger logger);
  ~HttpServer();

  // The bound address, "127.0.0.1:PORT" or "[::1]:PORT".
  std::string address() const;
  // Starts the shutdown described above; returns at once. Idempotent; any thread (not a
  // signal handler).
  void Drain();
  // Returns when the drain finished: no connection left, the threads joined.
  void Wait();

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dedup::serve

#endif  // DEDUP_SERVE_HTTP_SERVER_H_
