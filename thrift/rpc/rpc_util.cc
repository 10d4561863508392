#include "thrift/rpc/rpc_util.h"

#include <cstdlib>

#include <thrift/server/TServer.h>
#include <thrift/transport/TSSLServerSocket.h>
#include <thrift/transport/TServerSocket.h>

namespace twopc::rpc {

using apache::thrift::protocol::TBinaryProtocolFactory;
using apache::thrift::server::TThreadedServer;
using apache::thrift::transport::TServerSocket;
using apache::thrift::transport::TSSLServerSocket;
using apache::thrift::transport::TTransportException;

StatusOr<HostPort> ParseHostPort(const std::string& text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    return Status::InvalidArgument("expected HOST:PORT, got '" + text + "'");
  }
  const std::string port_text = text.substr(colon + 1);
  char* end = nullptr;
  const long port = std::strtol(port_text.c_str(), &end, 10);
  if (*end != '\0' || port < 0 || port > 65535) {
    return Status::InvalidArgument("bad port in '" + text + "'");
  }
  return HostPort{text.substr(0, colon), static_cast<int>(port)};
}

std::string DescribeRpcFailure(const std::exception& error, const SecurityOptions& security) {
  std::string text = error.what();
  const auto* transport = dynamic_cast<const TTransportException*>(&error);
  // A TLS server drops a plain-TCP client without a word (it sees no handshake).
  if (transport != nullptr && !security.tls_enabled() &&
      (transport->getType() == TTransportException::END_OF_FILE ||
       transport->getType() == TTransportException::CORRUPTED_DATA)) {
    text += " (if the server uses TLS, give --tls-ca)";
  }
  // A server that requires client certificates ends the handshake of a
  // client without one; what the client sees depends on timing.
  if (transport != nullptr && security.tls_enabled() && security.tls_cert.empty() &&
      (text.find("authorize") != std::string::npos ||
       text.find("certificate required") != std::string::npos ||
       text.find("handshake failure") != std::string::npos)) {
    text += " (if the server requires client certificates, give --tls-cert and --tls-key)";
  }
  return text;
}

RpcServer::RpcServer(std::shared_ptr<apache::thrift::TProcessor> processor, const HostPort& address,
                     const ServerLimits& limits, const SecurityOptions& security) {
  std::shared_ptr<TServerSocket> socket;
  if (security.tls_enabled()) {
    socket =
        std::make_shared<TSSLServerSocket>(address.host, address.port, ServerTlsFactory(security));
  } else {
    socket = std::make_shared<TServerSocket>(address.host, address.port);
  }
  if (limits.idle_timeout_ms > 0) {
    socket->setRecvTimeout(limits.idle_timeout_ms);
    socket->setSendTimeout(limits.idle_timeout_ms);
  }
  auto transports = std::make_shared<LimitedFramedTransportFactory>(limits.max_frame_bytes);
  auto protocols = std::make_shared<TBinaryProtocolFactory>();
  // A hostile peer must not make us allocate a huge frame or string, and
  // bytes without a Thrift message header are refused at once.
  protocols->setStringSizeLimit(limits.max_frame_bytes);
  protocols->setContainerSizeLimit(limits.max_frame_bytes / 8);
  protocols->setStrict(true, true);
  server_ = std::make_unique<TThreadedServer>(
      std::make_shared<GuardedProcessor>(std::move(processor), limits), socket, transports,
      protocols);
  limiter_ = std::make_shared<ConnectionLimiter>(limits.max_connections);
  server_->setServerEventHandler(limiter_);
  // Refused connections hold a thread only briefly; past this many in all,
  // new ones wait in the listen backlog until a thread is free.
  if (limits.max_connections > 0) server_->setConcurrentClientLimit(limits.max_connections + 64);
}

void RpcServer::Serve() { server_->serve(); }

void RpcServer::Stop() { server_->stop(); }

void RpcServer::CountConnections(std::atomic<int64_t>* open) { limiter_->CountInto(open); }

}  // namespace twopc::rpc
