// One request to each of several participants, overlapped without a thread
// per call: every request is sent first, then every reply is read, each on its
// own pooled connection (Thrift's split send_x / recv_x calls).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <thrift/Thrift.h>

#include "coordinator/participant_pool.h"

namespace twopc::coordinator {

struct CallFailure {
  bool refused = false;  // the participant answered with a TxError
  rpc::ErrorCode::type code = rpc::ErrorCode::INTERNAL;
  std::string message;
};

// send(i, client) writes request i; receive(i, client) reads its reply.
// timeout_ms() is the I/O budget left for the next step (> 0). Returns, per
// call, the failure if it had one. A connection that failed is dropped.
template <typename Send, typename Receive>
std::vector<std::optional<CallFailure>> OverlapCalls(const std::vector<ParticipantPool*>& pools,
                                                     const std::function<int64_t()>& timeout_ms,
                                                     const Send& send, const Receive& receive) {
  const size_t n = pools.size();
  std::vector<std::optional<CallFailure>> failures(n);
  std::vector<std::unique_ptr<ParticipantPool::Client>> clients(n);
  auto transport_failure = [&](size_t i, const std::exception& e) {
    failures[i] = CallFailure{false, rpc::ErrorCode::INTERNAL, e.what()};
    clients[i].reset();
  };
  for (size_t i = 0; i < n; ++i) {
    try {
      clients[i] = pools[i]->Borrow();
      clients[i]->SetIoTimeout(static_cast<int>(timeout_ms()));
      clients[i]->EnsureOpen();
      send(i, *clients[i]);
    } catch (const apache::thrift::TException& e) {
      transport_failure(i, e);
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (!clients[i]) continue;
    try {
      clients[i]->SetIoTimeout(static_cast<int>(timeout_ms()));
      receive(i, *clients[i]);
    } catch (const rpc::TxError& e) {
      failures[i] = CallFailure{true, e.code, e.message};
    } catch (const apache::thrift::TException& e) {
      transport_failure(i, e);
      continue;
    }
    pools[i]->Return(std::move(clients[i]));
  }
  return failures;
}

}  // namespace twopc::coordinator
