#include "thrift/etcd/http_connection.h"

#include <chrono>
#include <optional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace twopc::etcd {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {
// The largest answer read: a range over many decisions stays far below.
constexpr uint64_t kMaxBodyBytes = 64 << 20;
}  // namespace

struct HttpConnection::State {
  asio::io_context io;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
};

HttpConnection::HttpConnection(rpc::HostPort address)
    : address_(std::move(address)), state_(std::make_unique<State>()) {}

HttpConnection::~HttpConnection() = default;

HttpAnswer HttpConnection::Request(Method method, const std::string& path, const std::string& body,
                                   int timeout_ms) {
  const bool reused = state_->stream.has_value();
  HttpAnswer answer = RequestOnce(method, path, body, timeout_ms);
  // A kept-alive connection the server closed while idle fails at once; that
  // says nothing about the member: once more on a new connection.
  if (reused && answer.status == 0 && answer.closed_by_peer)
    answer = RequestOnce(method, path, body, timeout_ms);
  return answer;
}

HttpAnswer HttpConnection::RequestOnce(Method method, const std::string& path,
                                       const std::string& body, int timeout_ms) {
  HttpAnswer answer;
  State& s = *state_;
  beast::error_code failure;
  http::request<http::string_body> request{
      method == Method::kGet ? http::verb::get : http::verb::post, path, 11};
  request.set(http::field::host, address_.host);
  if (method == Method::kPost) request.set(http::field::content_type, "application/json");
  request.keep_alive(true);
  request.body() = body;
  request.prepare_payload();
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxBodyBytes);

  auto send = [&] {
    http::async_write(*s.stream, request, [&](beast::error_code ec, size_t) {
      if (ec) {
        failure = ec;
        return;
      }
      http::async_read(*s.stream, s.buffer, parser,
                       [&](beast::error_code ec2, size_t) { failure = ec2; });
    });
  };
  s.io.restart();
  const bool fresh = !s.stream.has_value();
  if (fresh) {
    s.stream.emplace(s.io);
    s.buffer.clear();
  }
  // The deadline covers connecting, sending and reading the whole answer.
  s.stream->expires_after(std::chrono::milliseconds(timeout_ms));
  if (fresh) {
    // Resolved without a deadline of its own: an IP address or a name in
    // /etc/hosts resolves at once.
    beast::error_code resolve_error;
    tcp::resolver resolver(s.io);
    const tcp::resolver::results_type endpoints =
        resolver.resolve(address_.host, std::to_string(address_.port), resolve_error);
    if (resolve_error) {
      s.stream.reset();
      answer.error = "cannot resolve '" + address_.host + "': " + resolve_error.message();
      return answer;
    }
    s.stream->async_connect(endpoints, [&](beast::error_code ec, const tcp::endpoint&) {
      if (ec) {
        failure = ec;
        return;
      }
      send();
    });
  } else {
    send();
  }
  s.io.run();
  if (failure) {
    s.stream.reset();  // whatever state it is in, it is not reused
    answer.closed_by_peer = failure == http::error::end_of_stream || failure == asio::error::eof ||
                            failure == asio::error::connection_reset ||
                            failure == asio::error::broken_pipe;
    answer.error = failure == beast::error::timeout
                       ? "no answer within " + std::to_string(timeout_ms) + " ms"
                       : failure.message();
    return answer;
  }
  answer.status = static_cast<int>(parser.get().result_int());
  answer.body = std::move(parser.get().body());
  if (!parser.get().keep_alive()) s.stream.reset();
  return answer;
}

}  // namespace twopc::etcd
