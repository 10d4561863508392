#include "coordinator/transaction_machine.h"

#include <algorithm>

namespace twopc::coordinator {

TransactionMachine::TransactionMachine(std::vector<std::string> participants)
    : participants_(std::move(participants)) {}

Actions TransactionMachine::Start() {
  Actions actions;
  actions.send_prepare = participants_;
  actions.one_phase = participants_.size() == 1;
  return actions;
}

std::vector<std::string> TransactionMachine::yes_voters() const {
  std::vector<std::string> out;
  for (const auto& [name, vote] : votes_) {
    if (vote == BranchVote::kYes) out.push_back(name);
  }
  return out;
}

Actions TransactionMachine::Abort(const std::string& reason) {
  phase_ = Phase::kAborted;
  Actions actions;
  // Everyone that may hold a prepared branch hears the abort: the YES voters,
  // and those that did not answer (their prepare may still land). Under
  // presumed abort this is a courtesy that frees locks early; an inquiry
  // would get ABORT anyway.
  for (const std::string& name : participants_) {
    auto it = votes_.find(name);
    if (it == votes_.end() || it->second == BranchVote::kYes || it->second == BranchVote::kFailed) {
      actions.send_abort.push_back(name);
    }
  }
  actions.reply = TxnOutcome::kAborted;
  actions.reason = reason;
  return actions;
}

Actions TransactionMachine::GiveUp(const std::string& reason) {
  if (phase_ != Phase::kPreparing) return Actions();
  return Abort(reason);
}

Actions TransactionMachine::OnVote(const std::string& participant, BranchVote vote,
                                   const std::string& reason) {
  Actions actions;
  if (std::find(participants_.begin(), participants_.end(), participant) == participants_.end() ||
      votes_.count(participant) != 0) {
    return actions;  // not ours, or a repeat
  }
  votes_[participant] = vote;
  if (phase_ != Phase::kPreparing) {
    // A late YES after the abort: that branch must be released too.
    if (phase_ == Phase::kAborted && vote == BranchVote::kYes) actions.send_abort = {participant};
    return actions;
  }
  if (vote == BranchVote::kNo || vote == BranchVote::kFailed) {
    return Abort("participant " + participant + ": " + reason);
  }
  if (votes_.size() < participants_.size()) return actions;

  // Every branch voted YES, READ_ONLY or (one-phase) COMMITTED.
  if (yes_voters().empty()) {
    phase_ = Phase::kCommitted;
    actions.reply = TxnOutcome::kCommitted;
    return actions;
  }
  phase_ = Phase::kLoggingCommit;
  actions.log_commit = true;
  return actions;
}

Actions TransactionMachine::OnCommitLogged() {
  Actions actions;
  if (phase_ != Phase::kLoggingCommit) return actions;
  phase_ = Phase::kCommitting;
  awaiting_ack_ = yes_voters();
  actions.send_commit = awaiting_ack_;
  return actions;
}

Actions TransactionMachine::OnCommitAcknowledged(const std::string& participant) {
  Actions actions;
  if (phase_ != Phase::kCommitting) return actions;
  auto it = std::find(awaiting_ack_.begin(), awaiting_ack_.end(), participant);
  if (it == awaiting_ack_.end()) return actions;
  awaiting_ack_.erase(it);
  if (awaiting_ack_.empty()) {
    phase_ = Phase::kCommitted;
    actions.log_end = true;
    actions.reply = TxnOutcome::kCommitted;
  }
  return actions;
}

}  // namespace twopc::coordinator
