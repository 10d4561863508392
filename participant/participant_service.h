// The Thrift edge of the agent: checks each request, converts Thrift types,
// calls the Agent or the store, and turns a Status into a reply or TxError.
#pragma once

#include <chrono>
#include <cstddef>

#include "gen-cpp/Participant.h"
#include "participant/agent.h"
#include "thrift/rpc/request_limits.h"

namespace twopc::participant {

// What a query may take (--max_query_ms, --max_result_bytes).
struct QueryLimits {
  std::chrono::milliseconds max_time{5000};
  size_t max_result_bytes = 8 << 20;
};

class ParticipantService : public rpc::ParticipantIf {
 public:
  explicit ParticipantService(Agent* agent, const rpc::StatementLimits& limits = {},
                              const QueryLimits& query_limits = {})
      : agent_(agent), limits_(limits), query_limits_(query_limits) {}

  void prepare(rpc::PrepareResult& result, const rpc::PrepareRequest& request) override;
  void commit(int64_t txid) override;
  void abort(int64_t txid) override;
  void commit_many(std::vector<rpc::CommitAck>& acks, const std::vector<int64_t>& txids) override;
  void prepare_many(rpc::PrepareManyResult& result,
                    const std::vector<rpc::PrepareRequest>& requests,
                    const std::vector<int64_t>& commit_first) override;
  void list_prepared(std::vector<int64_t>& txids) override;
  void list_in_doubt(std::vector<rpc::PreparedTransaction>& result) override;
  void query(rpc::QueryResult& result, const std::string& sql,
             const std::vector<rpc::Value>& params) override;
  void health(rpc::Health& health) override;

 private:
  void PrepareBranch(rpc::PrepareResult& result, const rpc::PrepareRequest& request);
  // The request's statements after its checks; throws TxError if it fails one.
  std::vector<SqlStatement> StatementsOf(const rpc::PrepareRequest& request);
  std::vector<rpc::CommitAck> AcksOf(const std::vector<int64_t>& txids,
                                     const std::vector<Status>& statuses);
  // What commit answers for txid, given the agent's status.
  rpc::CommitAck AckOf(int64_t txid, const Status& status);

  Agent* agent_;
  const rpc::StatementLimits limits_;
  const QueryLimits query_limits_;
};

// At most this many branches in one prepare_many.
inline constexpr size_t kMaxPrepareBatch = 1024;

// Thrift value <-> SqlValue. Throws TxError(INVALID_REQUEST) on a value whose
// kind and fields disagree.
SqlValue FromThrift(const rpc::Value& value);
rpc::Value ToThrift(const SqlValue& value);

}  // namespace twopc::participant
