// Reusable connections to one participant. A connection that failed in any
// way is dropped, never returned to the pool.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gen-cpp/Participant.h"
#include "thrift/rpc/rpc_util.h"

namespace twopc::coordinator {

class ParticipantPool {
 public:
  using Client = rpc::RpcClient<rpc::ParticipantClient>;

  ParticipantPool(std::string name, const rpc::HostPort& address, int connect_timeout_ms = 2000,
                  rpc::SecurityOptions security = {})
      : name_(std::move(name)),
        address_(address),
        connect_timeout_ms_(connect_timeout_ms),
        security_(std::move(security)) {}

  // Runs call(client) on a pooled connection with the given I/O timeout.
  // Throws apache::thrift::TException (and rpc::TxError) from the call.
  template <typename Call>
  void With(int io_timeout_ms, const Call& call) {
    std::unique_ptr<Client> client = Borrow();
    client->SetIoTimeout(io_timeout_ms);
    client->EnsureOpen();
    try {
      call(*client);
    } catch (const rpc::TxError&) {
      Return(std::move(client));  // an application error: the connection is fine
      throw;
    }
    Return(std::move(client));
  }

  const std::string& name() const { return name_; }
  const rpc::HostPort& address() const { return address_; }

  // An idle connection, or a new one (not yet connected).
  std::unique_ptr<Client> Borrow();
  // Only a connection that is known to be healthy goes back.
  void Return(std::unique_ptr<Client> client);

 private:
  const std::string name_;
  const rpc::HostPort address_;
  const int connect_timeout_ms_;
  const rpc::SecurityOptions security_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Client>> idle_;
};

}  // namespace twopc::coordinator
