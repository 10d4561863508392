#include "thrift/admin/admin_server.h"

#include <chrono>
#include <optional>
#include <thread>

#include <glog/logging.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace twopc::admin {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// A client that neither sends a request nor reads the answer is dropped after this.
constexpr std::chrono::seconds kIdleTimeout{10};

// One connection: one request, one response, then closed.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const Routes* routes) : stream_(std::move(socket)), routes_(routes) {}

  void Start() {
    parser_.emplace();
    parser_->header_limit(16 * 1024);
    parser_->body_limit(4 * 1024);
    stream_.expires_after(kIdleTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (!ec) self->Respond();
                     });
  }

 private:
  void Respond() {
    const http::request<http::string_body>& request = parser_->get();
    HttpResponse answer;
    std::string path(request.target());
    path = path.substr(0, path.find('?'));
    if (request.method() != http::verb::get && request.method() != http::verb::head) {
      answer = {405, "text/plain; charset=utf-8", "only GET is served here\n"};
    } else if (auto route = routes_->find(path); route != routes_->end()) {
      try {
        answer = route->second();
      } catch (const std::exception& e) {  // a page must never take the process down
        LOG(ERROR) << "admin " << path << ": " << e.what();
        answer = {500, "text/plain; charset=utf-8", std::string("internal error: ") + e.what()};
      }
    } else {
      answer = {404, "text/plain; charset=utf-8", "not found: " + path + "\n"};
    }
    response_.result(static_cast<http::status>(answer.status));
    response_.version(request.version());
    response_.set(http::field::content_type, answer.content_type);
    response_.set(http::field::cache_control, "no-store");
    response_.body() = request.method() == http::verb::head ? "" : std::move(answer.body);
    response_.keep_alive(false);
    response_.prepare_payload();
    http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code, size_t) {
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    });
  }

  beast::tcp_stream stream_;
  const Routes* routes_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
};

}  // namespace

struct AdminServer::Impl {
  Impl(rpc::HostPort a, Routes r) : address(std::move(a)), routes(std::move(r)) {}

  void Accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) std::make_shared<Session>(std::move(socket), &routes)->Start();
      Accept();
    });
  }

  const rpc::HostPort address;
  const Routes routes;
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::thread thread;
};

AdminServer::AdminServer(rpc::HostPort address, Routes routes)
    : impl_(std::make_unique<Impl>(std::move(address), std::move(routes))) {}

AdminServer::~AdminServer() { Stop(); }

Status AdminServer::Start() {
  const std::string where = "--admin-listen " + impl_->address.ToString();
  beast::error_code ec;
  const asio::ip::address ip = asio::ip::make_address(impl_->address.host, ec);
  if (ec) return Status::InvalidArgument(where + ": not an IP address");
  const tcp::endpoint endpoint(ip, static_cast<uint16_t>(impl_->address.port));
  tcp::acceptor& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::IoError(where + ": cannot listen: " + ec.message());
  impl_->Accept();
  impl_->thread = std::thread([this] { impl_->io.run(); });
  return Status::Ok();
}

void AdminServer::Stop() {
  if (!impl_->thread.joinable()) return;
  impl_->io.stop();
  impl_->thread.join();
}

}  // namespace twopc::admin
