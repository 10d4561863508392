// One transaction's two-phase commit under presumed abort, as a state machine:
// events in (votes, the decision logged, acknowledgements), actions out (what
// to send, what to log, what to answer). Pure: no sockets, threads or disks.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace twopc::coordinator {

enum class BranchVote {
  kYes,        // prepared
  kNo,         // refused
  kReadOnly,   // nothing to commit; leaves the transaction
  kCommitted,  // one-phase commit done
  kFailed,     // no answer: unreachable, timed out or broken connection
};

enum class TxnOutcome { kCommitted, kAborted };

enum class Phase {
  kPreparing,      // waiting for votes
  kLoggingCommit,  // all voted yes; the COMMIT record is being made durable
  kCommitting,     // committed; delivering the decision
  kCommitted,      // every participant acknowledged
  kAborted,
};

struct Actions {
  std::vector<std::string> send_prepare;
  bool one_phase = false;  // with send_prepare: a single branch commits at once
  bool log_commit = false;
  std::vector<std::string> send_commit;
  std::vector<std::string> send_abort;
  std::optional<TxnOutcome> reply;  // answer the client now
  std::string reason;               // with reply == kAborted
  bool log_end = false;
};

class TransactionMachine {
 public:
  explicit TransactionMachine(std::vector<std::string> participants);

  Actions Start();
  Actions OnVote(const std::string& participant, BranchVote vote, const std::string& reason);
  // The coordinator stops waiting for the votes still missing (a deadlock
  // victim, a transaction past its deadline): abort, before any decision.
  Actions GiveUp(const std::string& reason);
  // The COMMIT record is durable.
  Actions OnCommitLogged();
  Actions OnCommitAcknowledged(const std::string& participant);

  Phase phase() const { return phase_; }
  // The participants that voted YES (they must receive the decision).
  std::vector<std::string> yes_voters() const;
  const std::vector<std::string>& participants() const { return participants_; }

 private:
  Actions Abort(const std::string& reason);

  const std::vector<std::string> participants_;
  std::map<std::string, BranchVote> votes_;
  std::vector<std::string> awaiting_ack_;
  Phase phase_ = Phase::kPreparing;
};

}  // namespace twopc::coordinator
