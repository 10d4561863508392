// twopc::Client: runs transactions through a twopc coordinator.
// twopc::ParticipantClient: reads a participant's committed data.
//
//   twopc::Client client({"127.0.0.1:7700"});
//   twopc::Transaction transfer;
//   transfer.Add("p0", "UPDATE accounts SET balance = balance - ? WHERE id = ?", {5, 1})
//           .Add("p1", "UPDATE accounts SET balance = balance + ? WHERE id = ?", {5, 2});
//   twopc::ExecuteResult result = client.Execute(transfer);  // ExecuteOptions: timeout,
//   wait_applied if (!result.committed()) std::cerr << result.txid << " " << result.reason << "\n";
//
// Both are thread-safe. Each keeps idle connections for reuse (one per
// concurrent caller, up to max_idle_connections), checks a reused one before
// sending, and drops one that failed; the next call connects again. Calls
// that read (status, health, query, ...) are retried once on a fresh
// connection when a reused one breaks; Execute never is (it might run twice),
// it throws ClientError(kCallFailed) instead.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "thrift/rpc/rpc_security.h"
#include "twopc/client_error.h"
#include "twopc/transaction.h"
#include "twopc/value.h"

namespace twopc {

struct ClientOptions {
  ClientOptions() = default;
  ClientOptions(std::string host_port) : address(std::move(host_port)) {}

  std::string address;            // HOST:PORT of the service
  int connect_timeout_ms = 2000;  // for the TCP connection to be accepted
  int call_timeout_ms = 30000;    // reply deadline of short calls (status, health, query, ...)
  int execute_slack_ms = 60000;   // Execute waits its prepare timeout plus this
  int max_idle_connections = 8;   // kept open for reuse
  rpc::SecurityOptions security;  // TLS files and token; empty: plain TCP, no token
};

class Client {
 public:
  // Throws ClientError(kInvalidArgument) if options.address is not HOST:PORT.
  // Connects lazily.
  explicit Client(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Opens a connection now and keeps it for the next call; throws
  // ClientError(kUnavailable) if the coordinator cannot be reached.
  void Connect();

  // Runs `transaction`. An abort is an outcome, not an error. Throws
  // ClientError: a refusal (kInvalidRequest, kUnknownParticipant, ...: nothing
  // ran), kUnavailable (not sent), kCallFailed (it may have committed).
  ExecuteResult Execute(const Transaction& transaction, const ExecuteOptions& options = {});
  // Same, into *result (reusing its memory: for callers in a loop).
  void Execute(const Transaction& transaction, const ExecuteOptions& options,
               ExecuteResult* result);

  // What the coordinator knows about `txid` (kUnknown: long finished or never existed).
  Outcome Status(int64_t txid);
  // Everything unresolved right now, across the coordinator and its participants.
  std::vector<InDoubtTransaction> InDoubt();
  HealthInfo Health();

  const std::string& address() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class ParticipantClient {
 public:
  explicit ParticipantClient(ClientOptions options);
  ~ParticipantClient();
  ParticipantClient(const ParticipantClient&) = delete;
  ParticipantClient& operator=(const ParticipantClient&) = delete;

  void Connect();
  // Read-only SQL on the participant's committed data (SQL that writes is
  // refused: kInvalidRequest).
  QueryResult Query(const std::string& sql, const std::vector<Value>& params = {});
  HealthInfo Health();
  // The txids it holds prepared.
  std::vector<int64_t> ListPrepared();

  const std::string& address() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace twopc
