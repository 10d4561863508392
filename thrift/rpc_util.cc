#include "thrift/rpc_util.h"

#include <cstdlib>

#include <thrift/server/TServer.h>
#include <thrift/transport/TServerSocket.h>

namespace twopc::rpc {

using apache::thrift::protocol::TBinaryProtocolFactory;
using apache::thrift::server::TThreadedServer;
using apache::thrift::transport::TFramedTransportFactory;
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
                     int max_frame_bytes) {
  auto socket = std::make_shared<TServerSocket>(address.host, address.port);
  auto transports = std::make_shared<TFramedTransportFactory>();
  auto protocols = std::make_shared<TBinaryProtocolFactory>();
  // A hostile peer must not make us allocate a huge frame or string.
  protocols->setStringSizeLimit(max_frame_bytes);
  protocols->setContainerSizeLimit(max_frame_bytes / 8);
  server_ = std::make_unique<TThreadedServer>(std::move(processor), socket, transports, protocols);
}

void RpcServer::Serve() { server_->serve(); }

void RpcServer::Stop() { server_->stop(); }

namespace {

class ConnectionCounter : public apache::thrift::server::TServerEventHandler {
 public:
  explicit ConnectionCounter(std::atomic<int64_t>* open) : open_(open) {}
  void* createContext(std::shared_ptr<apache::thrift::protocol::TProtocol>,
                      std::shared_ptr<apache::thrift::protocol::TProtocol>) override {
    open_->fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  void deleteContext(void*, std::shared_ptr<apache::thrift::protocol::TProtocol>,
                     std::shared_ptr<apache::thrift::protocol::TProtocol>) override {
    open_->fetch_sub(1, std::memory_order_relaxed);
  }

 private:
  std::atomic<int64_t>* open_;
};

}  // namespace

void RpcServer::CountConnections(std::atomic<int64_t>* open) {
  server_->setServerEventHandler(std::make_shared<ConnectionCounter>(open));
}

}  // namespace twopc::rpc
