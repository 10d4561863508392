// Thrift plumbing shared by every program: addresses, blocking clients and the
// threaded server. All connections are framed binary, over TCP or TLS, and
// carry the cluster's token when it has one (see rpc_security.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include <thrift/TProcessor.h>
#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/protocol/TMultiplexedProtocol.h>
#include <thrift/server/TThreadedServer.h>
#include <thrift/transport/TBufferTransports.h>
#include <thrift/transport/TSSLSocket.h>
#include <thrift/transport/TSocket.h>

#include "thrift/rpc/rpc_security.h"
#include "thrift/rpc/server_guard.h"
#include "thrift/rpc/socket_probe.h"
#include "thrift/rpc/tls_factories.h"
#include "wal/base/status.h"

namespace twopc::rpc {

struct HostPort {
  std::string host;
  int port = 0;
  std::string ToString() const { return host + ":" + std::to_string(port); }
};

// Parses "HOST:PORT". Returns InvalidArgument, saying why, when `text` is not
// HOST:PORT with a port in 0..65535.
StatusOr<HostPort> ParseHostPort(const std::string& text);

// A blocking client of one Thrift service over one connection. Not thread-safe:
// one user at a time (pool them for concurrency). With TLS options it speaks
// TLS (throwing TTransportException at construction if the files are
// unusable); with a token, every call carries it.
template <typename ClientT>
class RpcClient {
 public:
  RpcClient(const HostPort& address, int connect_timeout_ms, int io_timeout_ms,
            const SecurityOptions& security = {})
      : address_(address) {
    if (security.tls_enabled()) {
      tls_socket_ = ClientTlsFactory(security)->createSocket(address.host, address.port);
      socket_ = tls_socket_;
    } else {
      socket_ = std::make_shared<apache::thrift::transport::TSocket>(address.host, address.port);
    }
    socket_->setConnTimeout(connect_timeout_ms);
    socket_->setRecvTimeout(io_timeout_ms);
    socket_->setSendTimeout(io_timeout_ms);
    io_timeout_ms_ = io_timeout_ms;
    socket_->setNoDelay(true);
    transport_ = std::make_shared<apache::thrift::transport::TFramedTransport>(socket_);
    std::shared_ptr<apache::thrift::protocol::TProtocol> protocol =
        std::make_shared<apache::thrift::protocol::TBinaryProtocol>(transport_);
    if (security.token_enabled()) {
      // Every call goes out as "TOKEN:method" (see token_check.h).
      protocol = std::make_shared<apache::thrift::protocol::TMultiplexedProtocol>(protocol,
                                                                                  security.token);
    }
    client_ = std::make_unique<ClientT>(protocol);
  }
  ~RpcClient() { Close(); }
  RpcClient(const RpcClient&) = delete;
  RpcClient& operator=(const RpcClient&) = delete;

  // Connects if not connected, including the TLS handshake, so a certificate
  // problem shows here rather than in the first call. Throws
  // apache::thrift::transport::TTransportException.
  void EnsureOpen() {
    if (transport_->isOpen()) return;
    transport_->open();
    if (tls_socket_) {
      // An empty write runs the handshake (flush would not: it skips a socket
      // that has not started TLS yet).
      static const uint8_t kNothing = 0;
      tls_socket_->write(&kNothing, 0);
    }
  }
  void Close() {
    try {
      if (transport_->isOpen()) transport_->close();
    } catch (...) {  // closing a broken socket must not throw out of a destructor
    }
  }
  // Receive timeout for the next calls (0 = wait forever).
  void SetIoTimeout(int ms) {
    if (ms == io_timeout_ms_) return;  // two setsockopt calls saved per call
    socket_->setRecvTimeout(ms);
    socket_->setSendTimeout(ms);
    io_timeout_ms_ = ms;
  }
  // True when an idle connection can no longer be used: the server closed it
  // (e.g. its idle timeout) or sent something unasked.
  bool Stale() const { return !transport_->isOpen() || SocketHasInput(socket_->getSocketFD()); }
  ClientT* operator->() { return client_.get(); }
  // The socket's descriptor (-1 when closed), e.g. to check an idle connection.
  int socket_fd() const { return socket_->getSocketFD(); }
  const HostPort& address() const { return address_; }

 private:
  HostPort address_;
  std::shared_ptr<apache::thrift::transport::TSocket> socket_;
  std::shared_ptr<apache::thrift::transport::TSSLSocket> tls_socket_;  // null without TLS
  std::shared_ptr<apache::thrift::transport::TTransport> transport_;
  std::unique_ptr<ClientT> client_;
  int io_timeout_ms_ = 0;  // what the socket has now
};

// Why a call failed, for a one-line message: the exception's text, plus a hint
// when a plain-TCP client's connection was dropped (the server may want TLS)
// or a TLS client without a certificate was refused (it may want one).
std::string DescribeRpcFailure(const std::exception& error, const SecurityOptions& security);

// Serves one Thrift processor on HOST:PORT, a thread per connection, within
// `limits` (see server_guard.h), over TLS when `security` has TLS files (the
// token is checked by the processor: see secure_processors.h). Throws
// TTransportException if the TLS files are unusable.
class RpcServer {
 public:
  RpcServer(std::shared_ptr<apache::thrift::TProcessor> processor, const HostPort& address,
            const ServerLimits& limits = {}, const SecurityOptions& security = {});
  // Blocks until Stop() is called from another thread. Throws if it cannot listen.
  void Serve();
  void Stop();
  // Keeps *open equal to the number of client connections open now (for the
  // admin metrics). Call before Serve(); *open must outlive the server.
  void CountConnections(std::atomic<int64_t>* open);

 private:
  std::unique_ptr<apache::thrift::server::TThreadedServer> server_;
  std::shared_ptr<ConnectionLimiter> limiter_;
};

}  // namespace twopc::rpc
