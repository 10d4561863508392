// Thrift plumbing shared by every program: addresses, blocking clients and the
// threaded server. All connections are framed binary TCP.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include <thrift/TProcessor.h>
#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/server/TThreadedServer.h>
#include <thrift/transport/TBufferTransports.h>
#include <thrift/transport/TSocket.h>

namespace twopc::rpc {

struct HostPort {
  std::string host;
  int port = 0;
  std::string ToString() const { return host + ":" + std::to_string(port); }
};

// Parses "HOST:PORT". On failure returns false and says why in *error.
bool ParseHostPort(const std::string& text, HostPort* out, std::string* error);

// Largest Thrift frame any process accepts, unless configured otherwise.
constexpr int kDefaultMaxFrameBytes = 16 << 20;

// A blocking client of one Thrift service over one connection. Not thread-safe:
// one user at a time (pool them for concurrency).
template <typename ClientT>
class RpcClient {
 public:
  RpcClient(const HostPort& address, int connect_timeout_ms, int io_timeout_ms)
      : address_(address) {
    socket_ = std::make_shared<apache::thrift::transport::TSocket>(address.host, address.port);
    socket_->setConnTimeout(connect_timeout_ms);
    socket_->setRecvTimeout(io_timeout_ms);
    socket_->setSendTimeout(io_timeout_ms);
    socket_->setNoDelay(true);
    transport_ = std::make_shared<apache::thrift::transport::TFramedTransport>(socket_);
    client_ = std::make_unique<ClientT>(
        std::make_shared<apache::thrift::protocol::TBinaryProtocol>(transport_));
  }
  ~RpcClient() { Close(); }
  RpcClient(const RpcClient&) = delete;
  RpcClient& operator=(const RpcClient&) = delete;

  // Connects if not connected. Throws apache::thrift::transport::TTransportException.
  void EnsureOpen() {
    if (!transport_->isOpen()) transport_->open();
  }
  void Close() {
    try {
      if (transport_->isOpen()) transport_->close();
    } catch (...) {  // closing a broken socket must not throw out of a destructor
    }
  }
  // Receive timeout for the next calls (0 = wait forever).
  void SetIoTimeout(int ms) {
    socket_->setRecvTimeout(ms);
    socket_->setSendTimeout(ms);
  }
  ClientT* operator->() { return client_.get(); }
  const HostPort& address() const { return address_; }

 private:
  HostPort address_;
  std::shared_ptr<apache::thrift::transport::TSocket> socket_;
  std::shared_ptr<apache::thrift::transport::TTransport> transport_;
  std::unique_ptr<ClientT> client_;
};

// Serves one Thrift processor on HOST:PORT, a thread per connection.
class RpcServer {
 public:
  RpcServer(std::shared_ptr<apache::thrift::TProcessor> processor, const HostPort& address,
            int max_frame_bytes = kDefaultMaxFrameBytes);
  // Blocks until Stop() is called from another thread. Throws if it cannot listen.
  void Serve();
  void Stop();
  // Keeps *open equal to the number of client connections open now (for the
  // admin metrics). Call before Serve(); *open must outlive the server.
  void CountConnections(std::atomic<int64_t>* open);

 private:
  std::unique_ptr<apache::thrift::server::TThreadedServer> server_;
};

}  // namespace twopc::rpc
