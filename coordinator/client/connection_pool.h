// The connections of one client to one service: idle ones are kept for reuse
// and checked before they are used again; a connection whose call failed is
// dropped. Turns Thrift's exceptions into ClientError. Internal.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <thrift/TApplicationException.h>
#include <thrift/transport/TTransportException.h>

#include "coordinator/client/wire.h"
#include "thrift/rpc/rpc_util.h"
#include "twopc/client.h"

namespace twopc::client_internal {

// True if the peer closed this idle connection (or sent something nobody asked
// for, which puts the stream out of step). Never blocks.
bool PeerClosed(int socket_fd);

// Per-connection memory a client reuses from call to call.
struct NoScratch {};

template <typename ThriftClientT, typename Scratch = NoScratch>
class ConnectionPool {
 public:
  struct Connection {
    Connection(const rpc::HostPort& address, const ClientOptions& options)
        : rpc(address, options.connect_timeout_ms, options.call_timeout_ms, options.security),
          io_timeout_ms(options.call_timeout_ms) {}
    rpc::RpcClient<ThriftClientT> rpc;
    int io_timeout_ms;
    bool reused = false;
    Scratch scratch;
  };

  // `role` names the service in messages ("coordinator", "participant").
  // Throws ClientError(kInvalidArgument) for an address that is not HOST:PORT.
  ConnectionPool(std::string role, ClientOptions options)
      : role_(std::move(role)), options_(std::move(options)) {
    StatusOr<rpc::HostPort> address = rpc::ParseHostPort(options_.address);
    if (!address.ok()) {
      const std::string& error = address.status().message();
      throw ClientError(ErrorCode::kInvalidArgument, role_ + " address: " + error, error);
    }
    address_ = std::move(address).value();
  }

  const std::string& address() const { return options_.address; }
  const ClientOptions& options() const { return options_; }

  void Connect() { Release(Acquire()); }

  // Runs call(Connection&) with a reply deadline of `io_timeout_ms`. With
  // `retry`, a call that fails on a reused connection is tried once more on a
  // new one (only for calls that are safe to repeat).
  template <typename Call>
  void Run(int io_timeout_ms, bool retry, const Call& call) {
    for (int attempt = 0;; ++attempt) {
      std::unique_ptr<Connection> connection = Acquire();
      if (connection->io_timeout_ms != io_timeout_ms) {
        connection->rpc.SetIoTimeout(io_timeout_ms);
        connection->io_timeout_ms = io_timeout_ms;
      }
      try {
        call(*connection);
      } catch (const rpc::TxError& e) {
        Release(std::move(connection));  // a refusal leaves the connection usable
        throw ClientError(FromWire(e.code), e.message, e.message);
      } catch (const apache::thrift::TApplicationException& e) {
        connection.reset();
        if (e.getType() == apache::thrift::TApplicationException::PROTOCOL_ERROR) {
          // The server refused the request before running it (e.g. too large).
          const std::string why =
              "the " + role_ + " refused the request, nothing was run: " + e.what();
          throw ClientError(ErrorCode::kInvalidRequest, why, why);
        }
        throw ClientError(ErrorCode::kCallFailed,
                          role_ + " " + options_.address + " failed the call: " + e.what(),
                          e.what());
      } catch (const apache::thrift::TException& e) {
        const bool reused = connection->reused;
        connection.reset();  // in an unknown state: drop it
        if (retry && reused && attempt == 0) continue;
        const std::string why = rpc::DescribeRpcFailure(e, options_.security);
        throw ClientError(ErrorCode::kCallFailed,
                          role_ + " " + options_.address + " did not answer: " + why, why);
      }
      Release(std::move(connection));
      return;
    }
  }

 private:
  // An idle connection that is still open, or a new one. Throws
  // ClientError(kUnavailable) if a new one cannot connect.
  std::unique_ptr<Connection> Acquire() {
    for (;;) {
      std::unique_ptr<Connection> idle;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (idle_.empty()) break;
        idle = std::move(idle_.back());
        idle_.pop_back();
      }
      if (!PeerClosed(idle->rpc.socket_fd())) {
        idle->reused = true;
        return idle;
      }
    }
    auto connection = std::make_unique<Connection>(address_, options_);
    try {
      connection->rpc.EnsureOpen();
    } catch (const apache::thrift::TException& e) {
      const std::string why = rpc::DescribeRpcFailure(e, options_.security);
      throw ClientError(ErrorCode::kUnavailable,
                        role_ + " " + options_.address + " unreachable: " + why, why);
    }
    return connection;
  }

  void Release(std::unique_ptr<Connection> connection) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (static_cast<int>(idle_.size()) < options_.max_idle_connections) {
      idle_.push_back(std::move(connection));
    }
  }

  const std::string role_;
  const ClientOptions options_;
  rpc::HostPort address_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace twopc::client_internal
