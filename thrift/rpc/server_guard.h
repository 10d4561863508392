// What keeps a server serving when a peer misbehaves: a cap on concurrent
// connections, a largest frame, an idle timeout, and a clear reply (a Thrift
// TApplicationException) to a request it cannot read or will not serve,
// instead of a silent disconnect.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include <thrift/TProcessor.h>
#include <thrift/server/TServer.h>
#include <thrift/transport/TBufferTransports.h>

namespace twopc::rpc {

// Largest Thrift frame any process accepts, unless configured otherwise.
constexpr int kDefaultMaxFrameBytes = 16 << 20;

struct ServerLimits {
  int max_frame_bytes = kDefaultMaxFrameBytes;
  // Connections served at once; one more is answered "too many connections"
  // on its first request and closed. 0: no limit.
  int max_connections = 0;
  // A connection that sends nothing for this long is closed. 0: never.
  int idle_timeout_ms = 0;
};

// Framed transports that refuse a frame larger than the limit before
// allocating it.
class LimitedFramedTransportFactory : public apache::thrift::transport::TTransportFactory {
 public:
  explicit LimitedFramedTransportFactory(uint32_t max_frame_bytes)
      : max_frame_bytes_(max_frame_bytes) {}
  std::shared_ptr<apache::thrift::transport::TTransport> getTransport(
      std::shared_ptr<apache::thrift::transport::TTransport> transport) override;

 private:
  const uint32_t max_frame_bytes_;
};

// Counts the connections being served. A connection beyond the limit gets a
// context marking it refused (see GuardedProcessor); it is not counted.
class ConnectionLimiter : public apache::thrift::server::TServerEventHandler {
 public:
  explicit ConnectionLimiter(int max_connections) : max_connections_(max_connections) {}
  void* createContext(std::shared_ptr<apache::thrift::protocol::TProtocol> input,
                      std::shared_ptr<apache::thrift::protocol::TProtocol> output) override;
  void deleteContext(void* context, std::shared_ptr<apache::thrift::protocol::TProtocol> input,
                     std::shared_ptr<apache::thrift::protocol::TProtocol> output) override;
  static bool Refused(const void* context);
  // Keeps *open equal to the connections served now (for metrics).
  void CountInto(std::atomic<int64_t>* open) { open_ = open; }

 private:
  const int max_connections_;
  std::mutex mu_;
  int served_ = 0;
  std::atomic<int64_t>* open_ = nullptr;
};

// Wraps a service's processor. A refused connection, an oversized frame or
// bytes that are not a Thrift request get one TApplicationException reply of
// type PROTOCOL_ERROR saying why (sent before the rest of the request is read
// and dropped, so that closing does not reset it away), then the connection
// is closed. Only this guard answers PROTOCOL_ERROR: it means the request was
// not run.
class GuardedProcessor : public apache::thrift::TProcessor {
 public:
  GuardedProcessor(std::shared_ptr<apache::thrift::TProcessor> inner, const ServerLimits& limits)
      : inner_(std::move(inner)), limits_(limits) {}
  bool process(std::shared_ptr<apache::thrift::protocol::TProtocol> in,
               std::shared_ptr<apache::thrift::protocol::TProtocol> out,
               void* connection_context) override;

 private:
  const std::shared_ptr<apache::thrift::TProcessor> inner_;
  const ServerLimits limits_;
};

}  // namespace twopc::rpc
