// Feeds fuzz bytes to a Thrift processor the way txpart's and txcoord's
// servers read a connection: framed transport, binary protocol, the same
// size limits, one call after another until the input is used up or a call
// fails (the server would then drop the connection).
#pragma once

#include <thrift/TProcessor.h>
#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/transport/TBufferTransports.h>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "thrift/rpc/rpc_util.h"

namespace twopc::fuzz {

// At most this many calls per input, so that one input stays fast.
constexpr int kMaxCallsPerInput = 8;

inline void ServeBytes(apache::thrift::TProcessor* processor, const uint8_t* data, size_t size) {
  using apache::thrift::transport::TFramedTransport;
  using apache::thrift::transport::TMemoryBuffer;
  auto input = std::make_shared<TMemoryBuffer>(const_cast<uint8_t*>(data),
                                               static_cast<uint32_t>(size), TMemoryBuffer::OBSERVE);
  auto framed_in = std::make_shared<TFramedTransport>(input);
  auto framed_out = std::make_shared<TFramedTransport>(std::make_shared<TMemoryBuffer>());
  apache::thrift::protocol::TBinaryProtocolFactory protocols;
  protocols.setStringSizeLimit(rpc::kDefaultMaxFrameBytes);
  protocols.setContainerSizeLimit(rpc::kDefaultMaxFrameBytes / 8);
  auto in = protocols.getProtocol(framed_in);
  auto out = protocols.getProtocol(framed_out);
  for (int call = 0; call < kMaxCallsPerInput; ++call) {
    try {
      if (!processor->process(in, out, nullptr)) return;
    } catch (const apache::thrift::TException&) {
      return;  // malformed or cut off: the server closes such a connection
    }
    if (!framed_in->peek()) return;
  }
}

}  // namespace twopc::fuzz
