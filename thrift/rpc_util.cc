#include "thrift/rpc_util.h"

#include <cstdlib>

#include <thrift/transport/TServerSocket.h>

namespace twopc::rpc {

using apache::thrift::protocol::TBinaryProtocolFactory;
using apache::thrift::server::TThreadedServer;
using apache::thrift::transport::TServerSocket;

bool ParseHostPort(const std::string& text, HostPort* out, std::string* error) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    *error = "expected HOST:PORT, got '" + text + "'";
    return false;
  }
  const std::string port_text = text.substr(colon + 1);
  char* end = nullptr;
  const long port = std::strtol(port_text.c_str(), &end, 10);
  if (*end != '\0' || port < 0 || port > 65535) {
    *error = "bad port in '" + text + "'";
    return false;
  }
  out->host = text.substr(0, colon);
  out->port = static_cast<int>(port);
  return true;
}

RpcServer::RpcServer(std::shared_ptr<apache::thrift::TProcessor> processor, const HostPort& address,
                     const ServerLimits& limits) {
  auto socket = std::make_shared<TServerSocket>(address.host, address.port);
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
  server_->setServerEventHandler(std::make_shared<ConnectionLimiter>(limits.max_connections));
  // Refused connections hold a thread only briefly; past this many in all,
  // new ones wait in the listen backlog until a thread is free.
  if (limits.max_connections > 0) server_->setConcurrentClientLimit(limits.max_connections + 64);
}

void RpcServer::Serve() { server_->serve(); }

void RpcServer::Stop() { server_->stop(); }

}  // namespace twopc::rpc
