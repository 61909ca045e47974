#include "dedup/serve/http_server.h"

#include <atomic>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "absl/strings/str_format.h"
#include "dedup/serve/answers.h"

namespace dedup::serve {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

std::string EndpointText(const tcp::endpoint& e) {
  const net::ip::address a = e.address();
  return a.is_v6() ? absl::StrFormat("[%s]:%d", a.to_string(), e.port())
                   : absl::StrFormat("%s:%d", a.to_string(), e.port());
}

class Session;

}  // namespace

struct HttpServer::Impl {
  ServerOptions options;
  Handler handler;
  Logger logger;
  net::io_context ioc;
  // On a strand of its own: its accept handler and Drain's close() never run at once.
  tcp::acceptor acceptor{net::make_strand(ioc)};
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::unique_ptr<net::thread_pool> workers;
  std::vector<std::thread> io_threads;
  std::atomic<int> connections{0};
  std::atomic<bool> draining{false};
  std::mutex sessions_mu;
  std::unordered_set<Session*> sessions;  // Live sessions (each removes itself).
  std::string address;
  bool joined = false;

  void Accept();
  void CloseIdleSessions();
};

namespace {

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, HttpServer::Impl* server) : stream_(std::move(socket)), server_(server) {
    beast::error_code ec;
    const tcp::endpoint remote = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = EndpointText(remote);
  }
  ~Session() {
    {
      std::lock_guard<std::mutex> lock(server_->sessions_mu);
      server_->sessions.erase(this);
    }
    server_->connections.fetch_sub(1);
  }

  void Start() {
    {
      std::lock_guard<std::mutex> lock(server_->sessions_mu);
      server_->sessions.insert(this);
    }
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->ReadHeader(); });
  }

  // On the session's strand: closes the connection if it waits for a new request.
  void CloseIfIdle() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->waiting_ && !(self->parser_ && self->parser_->got_some()) && self->buffer_.size() == 0) {
        self->Close();
      }
    });
  }

 private:
  void ReadHeader() {
    if (server_->draining.load()) return Close();
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(server_->options.max_header_bytes));
    parser_->body_limit(server_->options.max_body_bytes);
    waiting_ = true;
    stream_.expires_after(server_->options.idle_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    waiting_ = false;
    start_ = Clock::now();
    if (ec) return OnReadError(ec);
    stream_.expires_after(server_->options.request_timeout);
    const auto& req = parser_->get();
    if (beast::iequals(req[http::field::expect], "100-continue") && !parser_->is_done()) {
      net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                       [self = shared_from_this()](beast::error_code ec, size_t) {
                         if (ec) return self->Close();
                         self->ReadBody();
                       });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == net::error::eof || ec == beast::error::timeout ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset || ec == net::error::bad_descriptor) {
      return Close();
    }
    HttpResponse r;
    if (ec == http::error::body_limit) {
      r.status = 413;
      r.body = ErrorJson("payload_too_large",
                         absl::StrFormat("the body is over the limit of %d bytes", server_->options.max_body_bytes));
    } else if (ec == http::error::header_limit) {
      r.status = 431;
      r.body = ErrorJson("header_too_large",
                         absl::StrFormat("the header is over the limit of %d bytes", server_->options.max_header_bytes));
    } else if (ec.category() == beast::error_code(http::error::body_limit).category()) {  // Beast's HTTP errors.
      r.status = 400;
      r.body = ErrorJson("bad_request", absl::StrFormat("malformed HTTP request: %s", ec.message()));
    } else {
      return Close();
    }
    r.route = "-";
    Write(std::move(r), /*keep_alive=*/false, "-", 0);
  }

  void OnRead(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    http::request<http::string_body> req = parser_->release();
    HttpRequest request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    request.content_type = std::string(req[http::field::content_type]);
    request.authorization = std::string(req[http::field::authorization]);
    request.body = std::move(req.body());
    const bool keep_alive = req.keep_alive();
    stream_.expires_never();
    net::post(*server_->workers, [self = shared_from_this(), request = std::move(request), keep_alive] {
      HttpResponse response = self->server_->handler(request);
      net::post(self->stream_.get_executor(), [self, response = std::move(response), keep_alive,
                                               method = request.method, bytes = request.body.size()]() mutable {
        self->Write(std::move(response), keep_alive, method, bytes);
      });
    });
  }

  void Write(HttpResponse r, bool keep_alive, std::string method, size_t request_bytes) {
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(r.status), 11);
    res->set(http::field::server, "dedup");
    res->set(http::field::content_type, r.content_type);
    for (const auto& [name, value] : r.headers) res->set(name, value);
    const bool keep = keep_alive && !server_->draining.load();
    res->keep_alive(keep);
    if (!r.body.empty() && r.body.back() != '\n' && r.content_type == "application/json") r.body += '\n';
    res->body() = std::move(r.body);
    res->prepare_payload();
    stream_.expires_after(server_->options.request_timeout);
    AccessRecord record;
    record.method = std::move(method);
    record.route = std::move(r.route);
    record.status = r.status;
    record.request_bytes = request_bytes;
    record.response_bytes = res->body().size();
    record.remote = remote_;
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res, keep, record = std::move(record)](beast::error_code ec,
                                                                                           size_t) mutable {
                        record.seconds = std::chrono::duration<double>(Clock::now() - self->start_).count();
                        if (self->server_->logger) self->server_->logger(record);
                        if (ec || !keep) return self->Close();
                        self->ReadHeader();
                      });
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  HttpServer::Impl* server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool waiting_ = false;  // Between requests: waiting for a header's first bytes.
  Clock::time_point start_ = Clock::now();
  std::string remote_ = "-";
};

}  // namespace

void HttpServer::Impl::Accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (!acceptor.is_open()) return;  // Draining.
      return Accept();                  // E.g. out of file descriptors: keep serving the others.
    }
    if (draining.load()) return;
    if (connections.fetch_add(1) >= options.max_connections) {
      connections.fetch_sub(1);
      static const std::string kBusy = [] {
        const std::string body =
            ErrorJson("unavailable", "too many connections; retry later") + "\n";
        return absl::StrFormat(
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
            "Connection: close\r\nRetry-After: 1\r\n\r\n%s",
            body.size(), body);
      }();
      beast::error_code ignored;
      AccessRecord record;  // Logged and counted like any answer.
      record.method = "-";
      record.route = "refused";
      record.status = 503;
      record.response_bytes = kBusy.size();
      const tcp::endpoint remote = socket.remote_endpoint(ignored);
      if (!ignored) record.remote = EndpointText(remote);
      ignored = {};
      socket.non_blocking(true, ignored);
      socket.write_some(net::buffer(kBusy), ignored);
      socket.shutdown(tcp::socket::shutdown_send, ignored);
      socket.close(ignored);
      if (logger) logger(record);
    } else {
      std::make_shared<Session>(std::move(socket), this)->Start();
    }
    Accept();
  });
}

void HttpServer::Impl::CloseIdleSessions() {
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard<std::mutex> lock(sessions_mu);
    for (Session* s : sessions) {
      // A session being destroyed has no owner left: skip it.
      std::shared_ptr<Session> p = s->weak_from_this().lock();
      if (p) live.push_back(std::move(p));
    }
  }
  for (const auto& s : live) s->CloseIfIdle();
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() {
  Drain();
  Wait();
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const ServerOptions& options, Handler handler,
                                                              Logger logger) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->handler = std::move(handler);
  impl->logger = std::move(logger);
  beast::error_code ec;
  const net::ip::address address = net::ip::make_address(options.host, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrFormat("--listen: \"%s\" is not an IP address (e.g. 127.0.0.1 or ::1)", options.host));
  }
  const tcp::endpoint endpoint(address, options.port);
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrFormat("--listen %s: cannot listen: %s", EndpointText(endpoint), ec.message()));
  }
  impl->address = EndpointText(impl->acceptor.local_endpoint());
  impl->workers = std::make_unique<net::thread_pool>(static_cast<size_t>(std::max(1, options.workers)));
  impl->work.emplace(impl->ioc.get_executor());
  impl->Accept();
  Impl* raw = impl.get();
  for (int i = 0; i < std::max(1, options.io_threads); ++i) {
    impl->io_threads.emplace_back([raw] { raw->ioc.run(); });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

std::string HttpServer::address() const { return impl_->address; }

void HttpServer::Drain() {
  if (impl_->draining.exchange(true)) return;
  Impl* impl = impl_.get();
  net::post(impl->acceptor.get_executor(), [impl] {
    beast::error_code ec;
    impl->acceptor.close(ec);
    impl->CloseIdleSessions();
  });
}

void HttpServer::Wait() {
  if (impl_->joined) return;
  // Sessions in flight finish their responses (then close, as draining); a session that
  // was between its read and its handler closes after it.
  while (impl_->connections.load() > 0 || !impl_->draining.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (impl_->draining.load()) impl_->CloseIdleSessions();
  }
  impl_->work.reset();
  impl_->ioc.stop();
  for (std::thread& t : impl_->io_threads) t.join();
  impl_->workers->join();
  impl_->joined = true;
}

}  // namespace dedup::serve
