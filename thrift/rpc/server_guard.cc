#include "thrift/rpc/server_guard.h"

#include <string>

#include <glog/logging.h>
#include <thrift/TApplicationException.h>
#include <thrift/protocol/TProtocolException.h>
#include <thrift/transport/TSocket.h>
#include <thrift/transport/TTransportException.h>

namespace twopc::rpc {

using apache::thrift::TApplicationException;
using apache::thrift::protocol::TProtocol;
using apache::thrift::protocol::TProtocolException;
using apache::thrift::transport::TFramedTransport;
using apache::thrift::transport::TSocket;
using apache::thrift::transport::TTransport;
using apache::thrift::transport::TTransportException;

namespace {

// The context of a refused connection: compared by address only.
char refused_marker;

// Time left to a refused peer to finish sending its request before it is cut off.
constexpr int kDrainTimeoutMs = 5000;

std::shared_ptr<TSocket> SocketOf(const std::shared_ptr<TProtocol>& protocol) {
  auto framed = std::dynamic_pointer_cast<TFramedTransport>(protocol->getTransport());
  return std::dynamic_pointer_cast<TSocket>(framed ? framed->getUnderlyingTransport()
                                                   : protocol->getTransport());
}

std::string PeerOf(const std::shared_ptr<TSocket>& socket) {
  if (!socket) return "a peer";
  try {
    return socket->getPeerAddress() + ":" + std::to_string(socket->getPeerPort());
  } catch (const std::exception&) {
    return "a peer";
  }
}

// Replies `message` as a TApplicationException, then reads and drops what the
// peer still sends until it closes (or stops sending), so that closing does
// not reset the connection before the reply was read.
void ReplyAndDrain(const std::shared_ptr<TProtocol>& in, const std::shared_ptr<TProtocol>& out,
                   TApplicationException::TApplicationExceptionType type,
                   const std::string& message) {
  try {
    TApplicationException error(type, message);
    out->writeMessageBegin("", apache::thrift::protocol::T_EXCEPTION, 0);
    error.write(out.get());
    out->writeMessageEnd();
    out->getTransport()->writeEnd();
    out->getTransport()->flush();
    std::shared_ptr<TSocket> socket = SocketOf(in);
    if (!socket) return;
    socket->setRecvTimeout(kDrainTimeoutMs);
    uint8_t buffer[64 << 10];
    uint64_t drained = 0;
    uint32_t got = 0;
    while (drained < (1ull << 31) && (got = socket->read(buffer, sizeof(buffer))) > 0) {
      drained += got;
    }
  } catch (const std::exception&) {  // the peer went away: nothing more to tell it
  }
}

}  // namespace

std::shared_ptr<TTransport> LimitedFramedTransportFactory::getTransport(
    std::shared_ptr<TTransport> transport) {
  auto framed = std::make_shared<TFramedTransport>(std::move(transport));
  framed->setMaxFrameSize(max_frame_bytes_);
  return framed;
}

void* ConnectionLimiter::createContext(std::shared_ptr<TProtocol>, std::shared_ptr<TProtocol>) {
  std::lock_guard<std::mutex> lock(mu_);
  if (max_connections_ > 0 && served_ >= max_connections_) return &refused_marker;
  ++served_;
  if (open_ != nullptr) open_->store(served_, std::memory_order_relaxed);
  return nullptr;
}

void ConnectionLimiter::deleteContext(void* context, std::shared_ptr<TProtocol>,
                                      std::shared_ptr<TProtocol>) {
  if (Refused(context)) return;
  std::lock_guard<std::mutex> lock(mu_);
  --served_;
  if (open_ != nullptr) open_->store(served_, std::memory_order_relaxed);
}

bool ConnectionLimiter::Refused(const void* context) { return context == &refused_marker; }

bool GuardedProcessor::process(std::shared_ptr<TProtocol> in, std::shared_ptr<TProtocol> out,
                               void* connection_context) {
  if (ConnectionLimiter::Refused(connection_context)) {
    LOG_EVERY_N(WARNING, 100) << "refused a connection from " << PeerOf(SocketOf(in)) << ": "
                              << limits_.max_connections
                              << " connections are served already (--max_connections); "
                              << google::COUNTER << " refused so far";
    ReplyAndDrain(in, out, TApplicationException::PROTOCOL_ERROR,
                  "too many connections: this server serves at most " +
                      std::to_string(limits_.max_connections) +
                      " at once (--max_connections); retry later");
    return false;
  }
  std::string problem;
  try {
    return inner_->process(in, out, connection_context);
  } catch (const TProtocolException& e) {
    problem = std::string("not a valid Thrift request: ") + e.what();
  } catch (const TTransportException& e) {
    // The frame header itself is refused; any other transport error is the
    // peer leaving or timing out.
    const std::string what = e.what();
    if (e.getType() == TTransportException::CORRUPTED_DATA) {
      problem = "request refused: " + what + " (larger than this server's --max_frame_bytes " +
                std::to_string(limits_.max_frame_bytes) + ", or not a Thrift frame)";
    } else if (what.find("negative") != std::string::npos) {
      problem = "request refused: " + what + " (not a Thrift frame)";
    } else {
      throw;
    }
  }
  LOG_EVERY_N(WARNING, 100) << "closing the connection from " << PeerOf(SocketOf(in)) << ": "
                            << problem << " (" << google::COUNTER << " so far)";
  ReplyAndDrain(in, out, TApplicationException::PROTOCOL_ERROR, problem);
  return false;
}

}  // namespace twopc::rpc
