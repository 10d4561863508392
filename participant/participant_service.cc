#include "participant/participant_service.h"

#include <glog/logging.h>

#include <algorithm>

#include "thrift/rpc/wire_enum.h"

namespace twopc::participant {
namespace {

rpc::Vote::type ToThrift(Vote vote) {
  switch (vote) {
    case Vote::kYes:
      return rpc::Vote::YES;
    case Vote::kReadOnly:
      return rpc::Vote::READ_ONLY;
    case Vote::kCommitted:
      return rpc::Vote::COMMITTED;
    case Vote::kNo:
      break;
  }
  return rpc::Vote::NO;
}

}  // namespace

SqlValue FromThrift(const rpc::Value& value) {
  switch (rpc::WireEnumValue(value.kind)) {  // any number may arrive
    case rpc::ValueKind::NULL_VALUE:
      return std::monostate{};
    case rpc::ValueKind::INTEGER:
      if (value.__isset.integer_value) return value.integer_value;
      break;
    case rpc::ValueKind::REAL:
      if (value.__isset.real_value) return value.real_value;
      break;
    case rpc::ValueKind::TEXT:
      if (value.__isset.text_value) return value.text_value;
      break;
    case rpc::ValueKind::BLOB:
      if (value.__isset.blob_value) return Blob{value.blob_value};
      break;
  }
  rpc::ThrowTxError(rpc::ErrorCode::INVALID_REQUEST, "a parameter's kind does not match its value");
}

rpc::Value ToThrift(const SqlValue& value) {
  rpc::Value out;
  switch (value.index()) {
    case 0:
      out.kind = rpc::ValueKind::NULL_VALUE;
      break;
    case 1:
      out.kind = rpc::ValueKind::INTEGER;
      out.__set_integer_value(std::get<int64_t>(value));
      break;
    case 2:
      out.kind = rpc::ValueKind::REAL;
      out.__set_real_value(std::get<double>(value));
      break;
    case 3:
      out.kind = rpc::ValueKind::TEXT;
      out.__set_text_value(std::get<std::string>(value));
      break;
    case 4:
      out.kind = rpc::ValueKind::BLOB;
      out.__set_blob_value(std::get<Blob>(value).bytes);
      break;
  }
  return out;
}

namespace {

rpc::QueryResult ToThrift(QueryRows rows) {
  rpc::QueryResult out;
  out.columns = std::move(rows.columns);
  out.rows.reserve(rows.rows.size());
  for (const std::vector<SqlValue>& row : rows.rows) {
    rpc::Row wire;
    wire.values.reserve(row.size());
    for (const SqlValue& value : row) wire.values.push_back(ToThrift(value));
    out.rows.push_back(std::move(wire));
  }
  return out;
}

// One result per statement when any statement read something; none otherwise
// (a branch of writes answers as it did before reads were returned).
std::vector<rpc::QueryResult> ReadsOf(std::vector<QueryRows> reads) {
  std::vector<rpc::QueryResult> out;
  bool any = false;
  for (const QueryRows& read : reads) any = any || !read.columns.empty();
  if (!any) return out;
  out.reserve(reads.size());
  for (QueryRows& read : reads) out.push_back(ToThrift(std::move(read)));
  return out;
}

}  // namespace

void ParticipantService::prepare(rpc::PrepareResult& result, const rpc::PrepareRequest& request) {
  if (request.commit_first.empty()) {
    PrepareBranch(result, request);
    return;
  }
  // Commit decisions for earlier transactions ride on this prepare: applied
  // first (their rows are free for this branch), then made durable by the
  // same log sync as this branch's PREPARED record.
  const std::vector<Status> statuses =
      agent_->CommitManyAround(request.commit_first, [&] { PrepareBranch(result, request); });
  result.__set_commit_acks(AcksOf(request.commit_first, statuses));
}

void ParticipantService::prepare_many(rpc::PrepareManyResult& result,
                                      const std::vector<rpc::PrepareRequest>& requests,
                                      const std::vector<int64_t>& commit_first) {
  if (requests.size() > kMaxPrepareBatch) {
    rpc::ThrowTxError(rpc::ErrorCode::LIMIT_EXCEEDED,
                      "prepare_many takes at most " + std::to_string(kMaxPrepareBatch) +
                          " branches, got " + std::to_string(requests.size()));
  }
  result.results.assign(requests.size(), rpc::PrepareResult());
  // A branch that fails its checks is refused on its own; the others run.
  std::vector<BranchRequest> branches;
  std::vector<size_t> positions;  // of each branch in requests
  branches.reserve(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    const rpc::PrepareRequest& request = requests[i];
    result.results[i].vote = rpc::Vote::NO;
    try {
      BranchRequest branch;
      branch.txid = request.txid;
      branch.statements = StatementsOf(request);
      branch.one_phase = request.one_phase;
      branch.waited = std::chrono::milliseconds(std::max(0, request.waited_ms));
      branch.requested_ms = request.timeout_ms;
      branches.push_back(std::move(branch));
      positions.push_back(i);
    } catch (const rpc::TxError& e) {
      result.results[i].__set_reason(e.message);
    }
  }
  auto run = [&] {
    std::vector<PrepareReply> replies = agent_->PrepareMany(branches);
    for (size_t k = 0; k < replies.size(); ++k) {
      rpc::PrepareResult& out = result.results[positions[k]];
      out.vote = ToThrift(replies[k].vote);
      out.__set_reason(replies[k].reason);
      out.__set_changes(replies[k].changes);
      out.rows = ReadsOf(std::move(replies[k].reads));  // moved: __set_rows would copy
      out.__isset.rows = !out.rows.empty();
      if (replies[k].retry) {
        out.__set_try_again(true);
        out.__set_held_by(replies[k].held_by);
      }
    }
  };
  if (commit_first.empty()) {
    run();
    return;
  }
  // As in prepare: the carried commits first, one log sync for everything.
  const std::vector<Status> statuses = agent_->CommitManyAround(commit_first, run);
  result.__set_commit_acks(AcksOf(commit_first, statuses));
}

std::vector<rpc::CommitAck> ParticipantService::AcksOf(const std::vector<int64_t>& txids,
                                                       const std::vector<Status>& statuses) {
  std::vector<rpc::CommitAck> acks;
  acks.reserve(statuses.size());
  for (size_t i = 0; i < statuses.size(); ++i) acks.push_back(AckOf(txids[i], statuses[i]));
  return acks;
}

void ParticipantService::PrepareBranch(rpc::PrepareResult& result,
                                       const rpc::PrepareRequest& request) {
  PrepareReply reply =
      agent_->Prepare(request.txid, StatementsOf(request), request.one_phase, request.timeout_ms);
  result.vote = ToThrift(reply.vote);
  result.__set_reason(reply.reason);
  result.__set_changes(reply.changes);
  result.rows = ReadsOf(std::move(reply.reads));  // moved: __set_rows would copy
  result.__isset.rows = !result.rows.empty();
  VLOG(1) << "prepare " << request.txid << ": vote " << result.vote << " " << reply.reason;
}

std::vector<SqlStatement> ParticipantService::StatementsOf(const rpc::PrepareRequest& request) {
  // Checked again here: the participant's port is reachable without the coordinator.
  if (auto refusal = rpc::CheckStatements(request.statements, limits_, "the branch")) {
    rpc::ThrowTxError(refusal->code, refusal->message);
  }
  std::vector<SqlStatement> statements;
  statements.reserve(request.statements.size());
  for (const rpc::Statement& in : request.statements) {
    SqlStatement statement;
    statement.sql = in.sql;
    statement.params.reserve(in.params.size());
    for (const rpc::Value& value : in.params) statement.params.push_back(FromThrift(value));
    if (in.__isset.expect_changes) statement.expect_changes = in.expect_changes;
    statements.push_back(std::move(statement));
  }
  return statements;
}

void ParticipantService::commit(int64_t txid) {
  const rpc::CommitAck ack = AckOf(txid, agent_->Commit(txid));
  if (!ack.ok) rpc::ThrowTxError(ack.code, ack.message);
}

void ParticipantService::commit_many(std::vector<rpc::CommitAck>& acks,
                                     const std::vector<int64_t>& txids) {
  acks = AcksOf(txids, agent_->CommitMany(txids));
}

rpc::CommitAck ParticipantService::AckOf(int64_t txid, const Status& status) {
  rpc::CommitAck ack;
  ack.txid = txid;
  ack.ok = status.ok();
  if (status.ok()) return ack;
  if (agent_->HeuristicOutcomeOf(txid) == HeuristicOutcome::kAbort) {
    ack.code = rpc::ErrorCode::HEURISTIC_MISMATCH;
    ack.message =
        "transaction " + std::to_string(txid) + " was forced to ABORT here by an operator";
  } else {
    ack.code = status.IsAborted() ? rpc::ErrorCode::INVALID_REQUEST : rpc::ErrorCode::INTERNAL;
    ack.message = status.message();
  }
  return ack;
}

void ParticipantService::abort(int64_t txid) {
  Status status = agent_->Abort(txid);
  if (status.ok()) return;
  if (agent_->HeuristicOutcomeOf(txid) == HeuristicOutcome::kCommit) {
    rpc::ThrowTxError(
        rpc::ErrorCode::HEURISTIC_MISMATCH,
        "transaction " + std::to_string(txid) + " was forced to COMMIT here by an operator");
  }
  rpc::ThrowTxError(status.IsAborted() ? rpc::ErrorCode::INVALID_REQUEST : rpc::ErrorCode::INTERNAL,
                    status.message());
}

void ParticipantService::list_prepared(std::vector<int64_t>& txids) {
  txids = agent_->ListPrepared();
}

void ParticipantService::list_in_doubt(std::vector<rpc::PreparedTransaction>& result) {
  for (const Agent::PreparedInfo& info : agent_->PreparedTransactions()) {
    rpc::PreparedTransaction t;
    t.txid = info.txid;
    // On the clock that stamped prepared_at_ms.
    const int64_t now_ms = agent_->options().clock->WallMillis();
    t.age_ms = info.prepared_at_ms > 0 ? now_ms - info.prepared_at_ms : 0;
    t.recovered = info.recovered;
    t.__set_coordinator(agent_->options().coordinator);
    result.push_back(std::move(t));
  }
}

void ParticipantService::query(rpc::QueryResult& result, const std::string& sql,
                               const std::vector<rpc::Value>& params) {
  if (auto refusal = rpc::CheckStatement(sql, params, limits_, "the query")) {
    rpc::ThrowTxError(refusal->code, refusal->message);
  }
  std::vector<SqlValue> values;
  values.reserve(params.size());
  for (const rpc::Value& value : params) values.push_back(FromThrift(value));
  const StatementBudget budget(StatementBudget::Clock::now(), query_limits_.max_time,
                               "--max_query_ms");
  StatusOr<QueryRows> rows =
      agent_->store()->Query(sql, values, {&budget, query_limits_.max_result_bytes});
  if (!rows.ok()) {
    const Status& status = rows.status();
    rpc::ThrowTxError(status.IsInvalidArgument() ? rpc::ErrorCode::INVALID_REQUEST
                      : status.IsLimitExceeded() ? rpc::ErrorCode::LIMIT_EXCEEDED
                                                 : rpc::ErrorCode::INTERNAL,
                      status.message());
  }
  result = ToThrift(std::move(*rows));
}

void ParticipantService::health(rpc::Health& health) {
  health.role = "participant";
  health.name = agent_->options().name;
  std::map<std::string, std::string> details;
  details["database"] = agent_->store()->path();
  details["prepared"] = std::to_string(agent_->ListPrepared().size());
  Status log = agent_->Healthy();
  details["wal"] = log.ok() ? "ok" : log.ToString();
  health.__set_details(details);
}

}  // namespace twopc::participant
