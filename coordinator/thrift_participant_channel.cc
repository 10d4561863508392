#include "coordinator/thrift_participant_channel.h"

#include <algorithm>
#include <climits>

#include <thrift/Thrift.h>

#include "coordinator/client/wire.h"
#include "coordinator/core/timeouts.h"

namespace twopc::coordinator {

namespace {

CallFailure::Kind KindOf(rpc::ErrorCode::type code) {
  switch (code) {
    case rpc::ErrorCode::HEURISTIC_MISMATCH:
      return CallFailure::Kind::kHeuristicMismatch;
    case rpc::ErrorCode::UNAUTHENTICATED:
      return CallFailure::Kind::kUnauthenticated;
    case rpc::ErrorCode::INVALID_REQUEST:
      // What the agent answers an abort of a branch it committed, or a
      // commit of one it aborted.
      return CallFailure::Kind::kRefused;
    default:
      // Anything else says nothing of the branch.
      return CallFailure::Kind::kFailed;
  }
}

BranchVote VoteOf(rpc::Vote::type vote) {
  switch (vote) {
    case rpc::Vote::YES:
      return BranchVote::kYes;
    case rpc::Vote::READ_ONLY:
      return BranchVote::kReadOnly;
    case rpc::Vote::COMMITTED:
      return BranchVote::kCommitted;
    case rpc::Vote::NO:
      break;
  }
  return BranchVote::kNo;
}

CommitAcks AcksOf(const std::vector<rpc::CommitAck>& acks) {
  CommitAcks out;
  out.reserve(acks.size());
  for (const rpc::CommitAck& ack : acks) {
    if (ack.ok) {
      out.emplace_back();
    } else {
      out.emplace_back(CallFailure{KindOf(ack.code), ack.message});
    }
  }
  return out;
}

int IoTimeout(int64_t timeout_ms) {
  return static_cast<int>(std::clamp<int64_t>(timeout_ms, 1, INT_MAX));
}

}  // namespace

template <typename Call>
std::optional<CallFailure> ThriftParticipantChannel::Run(int64_t timeout_ms, const Call& call) {
  try {
    pool_.With(IoTimeout(timeout_ms), call);
    return std::nullopt;
  } catch (const rpc::TxError& e) {
    return CallFailure{KindOf(e.code), e.message};
  } catch (const apache::thrift::TException& e) {
    return CallFailure{CallFailure::Kind::kTransport, e.what()};
  }
}

std::optional<CallFailure> ThriftParticipantChannel::PrepareMany(
    const std::vector<PrepareItem>& items, const std::vector<int64_t>& commits, int64_t timeout_ms,
    PrepareManyReply* reply) {
  std::vector<rpc::PrepareRequest> requests(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    rpc::PrepareRequest& request = requests[i];
    request.txid = items[i].txid;
    request.statements.resize(items[i].statements->size());
    for (size_t j = 0; j < items[i].statements->size(); ++j) {
      client_internal::ToWire((*items[i].statements)[j], &request.statements[j]);
    }
    request.__set_one_phase(items[i].one_phase);
    if (items[i].waited_ms > 0) request.__set_waited_ms(items[i].waited_ms);
    // The participant stops the branch's SQL before its transaction stops waiting.
    request.__set_timeout_ms(BranchTimeoutMs(
        std::chrono::duration_cast<std::chrono::milliseconds>(items[i].deadline - clock_->Now())
            .count()));
  }
  rpc::PrepareManyResult result;
  std::optional<CallFailure> failure = Run(timeout_ms, [&](ParticipantPool::Client& client) {
    client->prepare_many(result, requests, commits);
  });
  if (failure) return failure;
  reply->results.resize(result.results.size());
  for (size_t i = 0; i < result.results.size(); ++i) {
    rpc::PrepareResult& from = result.results[i];
    PrepareReply& to = reply->results[i];
    to.vote = VoteOf(from.vote);
    to.reason = std::move(from.reason);
    to.changes = std::move(from.changes);
    to.rows.reserve(from.rows.size());
    for (rpc::QueryResult& rows : from.rows) {
      to.rows.push_back(client_internal::FromWire(std::move(rows)));
    }
    to.try_again = from.try_again;
    to.held_by = from.held_by;
  }
  reply->commit_acks = AcksOf(result.commit_acks);
  return std::nullopt;
}

std::optional<CallFailure> ThriftParticipantChannel::CommitMany(const std::vector<int64_t>& txids,
                                                                int64_t timeout_ms,
                                                                CommitAcks* acks) {
  std::vector<rpc::CommitAck> result;
  std::optional<CallFailure> failure =
      Run(timeout_ms, [&](ParticipantPool::Client& client) { client->commit_many(result, txids); });
  if (failure) return failure;
  *acks = AcksOf(result);
  return std::nullopt;
}

std::optional<CallFailure> ThriftParticipantChannel::Abort(int64_t txid, int64_t timeout_ms) {
  return Run(timeout_ms, [&](ParticipantPool::Client& client) { client->abort(txid); });
}

std::optional<CallFailure> ThriftParticipantChannel::ListInDoubt(
    int64_t timeout_ms, std::vector<PreparedBranch>* branches) {
  std::vector<rpc::PreparedTransaction> prepared;
  std::optional<CallFailure> failure =
      Run(timeout_ms, [&](ParticipantPool::Client& client) { client->list_in_doubt(prepared); });
  if (failure) return failure;
  for (const rpc::PreparedTransaction& p : prepared) {
    branches->push_back(PreparedBranch{p.txid, p.age_ms, p.recovered});
  }
  return std::nullopt;
}

}  // namespace twopc::coordinator
