#include "thrift/admin/http_get.h"

#include <chrono>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace twopc::admin {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

HttpResult HttpGet(const rpc::HostPort& address, const std::string& path, int timeout_ms) {
  HttpResult result;
  asio::io_context io;
  tcp::resolver resolver(io);
  beast::tcp_stream stream(io);
  beast::flat_buffer buffer;
  http::request<http::empty_body> request{http::verb::get, path, 11};
  request.set(http::field::host, address.host);
  request.keep_alive(false);
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 << 20);
  beast::error_code failure;

  // The deadline covers connecting, sending and reading the whole answer.
  stream.expires_after(std::chrono::milliseconds(timeout_ms));
  resolver.async_resolve(
      address.host, std::to_string(address.port),
      [&](beast::error_code ec, tcp::resolver::results_type endpoints) {
        if (ec) {
          failure = ec;
          return;
        }
        stream.async_connect(endpoints, [&](beast::error_code ec2, const tcp::endpoint&) {
          if (ec2) {
            failure = ec2;
            return;
          }
          http::async_write(stream, request, [&](beast::error_code ec3, size_t) {
            if (ec3) {
              failure = ec3;
              return;
            }
            http::async_read(stream, buffer, parser,
                             [&](beast::error_code ec4, size_t) { failure = ec4; });
          });
        });
      });
  io.run();
  if (failure) {
    result.error = failure == beast::error::timeout
                       ? "no answer within " + std::to_string(timeout_ms) + " ms"
                       : failure.message();
    return result;
  }
  result.status = static_cast<int>(parser.get().result_int());
  result.body = parser.get().body();
  return result;
}

}  // namespace twopc::admin
