#include "thrift/rpc/token_check.h"

#include <glog/logging.h>
#include <thrift/processor/TMultiplexedProcessor.h>
#include <thrift/transport/TBufferTransports.h>
#include <thrift/transport/TSocket.h>

namespace twopc::rpc {
namespace {

using apache::thrift::protocol::StoredMessageProtocol;
using apache::thrift::protocol::TMessageType;
using apache::thrift::protocol::TProtocol;
using apache::thrift::transport::TFramedTransport;
using apache::thrift::transport::TSocket;

// "HOST:PORT" of the caller, for the log; "unknown peer" if it cannot be told.
std::string PeerOf(TProtocol& in) {
  std::shared_ptr<apache::thrift::transport::TTransport> transport = in.getTransport();
  if (auto framed = std::dynamic_pointer_cast<TFramedTransport>(transport)) {
    transport = framed->getUnderlyingTransport();
  }
  if (auto socket = std::dynamic_pointer_cast<TSocket>(transport)) {
    return socket->getPeerAddress() + ":" + std::to_string(socket->getPeerPort());
  }
  return "unknown peer";
}

// The method name as a caller sent it, safe for a log line.
std::string Printable(const std::string& text) {
  constexpr size_t kMaxChars = 64;
  std::string shown;
  for (char c : text.substr(0, kMaxChars)) shown += (c >= 0x20 && c < 0x7f) ? c : '?';
  return text.size() > kMaxChars ? shown + "..." : shown;
}

}  // namespace

bool ConstantTimeEquals(std::string_view expected, std::string_view given) {
  if (expected.empty()) return given.empty();
  unsigned char difference = expected.size() == given.size() ? 0 : 1;
  for (size_t i = 0; i < given.size(); ++i) {
    difference |= static_cast<unsigned char>(given[i] ^ expected[i % expected.size()]);
  }
  return difference == 0;
}

TokenedName SplitTokenedName(const std::string& name) {
  TokenedName split;
  const size_t colon = name.rfind(':');
  if (colon == std::string::npos) {
    split.method = name;
    return split;
  }
  split.has_token = true;
  split.token = name.substr(0, colon);
  split.method = name.substr(colon + 1);
  return split;
}

bool TokenCheckProcessor::process(std::shared_ptr<TProtocol> in, std::shared_ptr<TProtocol> out,
                                  void* connection_context) {
  std::string name;
  TMessageType type;
  int32_t seqid = 0;
  in->readMessageBegin(name, type, seqid);
  const TokenedName split = SplitTokenedName(name);
  const bool authenticated =
      token_.empty() || (split.has_token && ConstantTimeEquals(token_, split.token));
  // The rest of the message is read by the chosen processor, which sees the
  // plain method name and answers under it.
  auto stored = std::make_shared<StoredMessageProtocol>(in, split.method, type, seqid);
  if (authenticated) return authenticated_->process(stored, out, connection_context);
  LOG(WARNING) << "refused call '" << Printable(split.method) << "' from " << PeerOf(*in) << ": "
               << (split.has_token ? "wrong token" : "no token") << " (UNAUTHENTICATED)";
  return rejecting_->process(stored, out, connection_context);
}

}  // namespace twopc::rpc
