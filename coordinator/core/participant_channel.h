// What the coordinator asks of its participants, in domain types: prepare
// many branches at once (carrying earlier commit decisions), commit many,
// abort one, list what is in doubt. The Thrift implementation lives at the
// edge (coordinator/rpc/); tests and the simulation plug in their own.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "twopc/transaction.h"
#include "wal/base/clock.h"

namespace twopc::coordinator {

// Why a call, or one transaction inside it, did not succeed.
struct CallFailure {
  enum class Kind {
    kTransport,          // no answer: unreachable, timed out, broken connection
    kRefused,            // the participant refused it (an abort: committed there)
    kFailed,             // the participant tried and failed (an internal error)
    kUnauthenticated,    // refused the call itself (token): says nothing of a branch
    kHeuristicMismatch,  // commit refused: an operator forced ABORT there
  };
  Kind kind = Kind::kTransport;
  std::string message;

  bool answered() const { return kind != Kind::kTransport; }
};

enum class BranchVote {
  kYes,        // prepared
  kNo,         // refused
  kReadOnly,   // nothing to commit; leaves the transaction
  kCommitted,  // one-phase commit done
  kFailed,     // no answer: unreachable, timed out or broken connection
};

// One branch inside a prepare call. The statements are shared with the
// transaction, not copied: they may be large and are sent again after a
// retry answer.
struct PrepareItem {
  int64_t txid = 0;
  std::shared_ptr<const std::vector<Statement>> statements;
  bool one_phase = false;
  int32_t waited_ms = 0;  // how long it has waited for rows held by others
  // When its transaction stops waiting for the vote: the participant is told
  // to stop the branch's SQL a little before (see BranchTimeoutMs), counted
  // from when the call leaves.
  Clock::TimePoint deadline;
};

struct PrepareReply {
  BranchVote vote = BranchVote::kNo;  // never kFailed
  std::string reason;
  std::vector<int64_t> changes;   // per statement
  std::vector<QueryResult> rows;  // per statement, what it read
  // Not run: a row it writes is held by prepared transaction held_by.
  bool try_again = false;
  int64_t held_by = 0;
};

// Per carried or committed txid: nullopt when applied, else why not.
using CommitAcks = std::vector<std::optional<CallFailure>>;

struct PrepareManyReply {
  std::vector<PrepareReply> results;  // one per item, in order
  CommitAcks commit_acks;             // one per carried commit, in order
};

struct PreparedBranch {
  int64_t txid = 0;
  int64_t age_ms = 0;
  bool recovered = false;
};

// Blocking calls to one participant, each bounded by its timeout. Safe to
// call from several threads.
class ParticipantChannel {
 public:
  virtual ~ParticipantChannel() = default;
  virtual std::string address() const = 0;
  virtual std::optional<CallFailure> PrepareMany(const std::vector<PrepareItem>& items,
                                                 const std::vector<int64_t>& commits,
                                                 int64_t timeout_ms, PrepareManyReply* reply) = 0;
  virtual std::optional<CallFailure> CommitMany(const std::vector<int64_t>& txids,
                                                int64_t timeout_ms, CommitAcks* acks) = 0;
  virtual std::optional<CallFailure> Abort(int64_t txid, int64_t timeout_ms) = 0;
  virtual std::optional<CallFailure> ListInDoubt(int64_t timeout_ms,
                                                 std::vector<PreparedBranch>* branches) = 0;
};

}  // namespace twopc::coordinator
