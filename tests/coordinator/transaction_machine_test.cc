#include "coordinator/transaction_machine.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

namespace twopc::coordinator {

void PrintTo(Phase phase, std::ostream* out) {
  static const char* const kNames[] = {"kPreparing", "kLoggingCommit", "kCommitting", "kCommitted",
                                       "kAborted"};
  *out << kNames[static_cast<int>(phase)];
}

namespace {

using Names = std::vector<std::string>;

// True when the actions do nothing at all.
bool Nothing(const Actions& actions) {
  return actions.send_prepare.empty() && !actions.one_phase && !actions.log_commit &&
         actions.send_commit.empty() && actions.send_abort.empty() && !actions.reply &&
         actions.reason.empty() && !actions.log_end;
}

// A started machine for participants a and b.
TransactionMachine TwoBranches() {
  TransactionMachine machine({"a", "b"});
  machine.Start();
  return machine;
}

// A machine for a and b that voted YES and whose COMMIT record is durable.
TransactionMachine CommitLogged() {
  TransactionMachine machine = TwoBranches();
  EXPECT_TRUE(Nothing(machine.OnVote("a", BranchVote::kYes, "")));
  EXPECT_TRUE(machine.OnVote("b", BranchVote::kYes, "").log_commit);
  EXPECT_EQ(machine.OnCommitLogged().send_commit, (Names{"a", "b"}));
  return machine;
}

TEST(TransactionMachine, StartSendsPrepareToEveryParticipant) {
  TransactionMachine machine({"a", "b", "c"});
  const Actions actions = machine.Start();
  EXPECT_EQ(actions.send_prepare, (Names{"a", "b", "c"}));
  EXPECT_FALSE(actions.one_phase);
  EXPECT_FALSE(actions.log_commit);
  EXPECT_EQ(machine.phase(), Phase::kPreparing);
}

TEST(TransactionMachine, SingleBranchIsOnePhase) {
  TransactionMachine machine({"a"});
  const Actions actions = machine.Start();
  EXPECT_EQ(actions.send_prepare, Names{"a"});
  EXPECT_TRUE(actions.one_phase);
}

TEST(TransactionMachine, OnePhaseCommittedVoteRepliesCommittedWithoutLog) {
  TransactionMachine machine({"a"});
  machine.Start();
  const Actions actions = machine.OnVote("a", BranchVote::kCommitted, "");
  EXPECT_EQ(actions.reply, TxnOutcome::kCommitted);
  EXPECT_FALSE(actions.log_commit);
  EXPECT_FALSE(actions.log_end);
  EXPECT_TRUE(actions.send_commit.empty());
  EXPECT_EQ(machine.phase(), Phase::kCommitted);
}

TEST(TransactionMachine, AllYesLogsCommitOnlyAfterTheLastVote) {
  TransactionMachine machine = TwoBranches();
  EXPECT_TRUE(Nothing(machine.OnVote("a", BranchVote::kYes, "")));
  EXPECT_EQ(machine.phase(), Phase::kPreparing);
  const Actions actions = machine.OnVote("b", BranchVote::kYes, "");
  EXPECT_TRUE(actions.log_commit);
  EXPECT_FALSE(actions.reply) << "no answer before the commit point";
  EXPECT_TRUE(actions.send_commit.empty()) << "no commit before the commit point";
  EXPECT_EQ(machine.phase(), Phase::kLoggingCommit);
}

TEST(TransactionMachine, CommitLoggedSendsCommitToYesVoters) {
  TransactionMachine machine = TwoBranches();
  machine.OnVote("b", BranchVote::kYes, "");
  machine.OnVote("a", BranchVote::kYes, "");
  const Actions actions = machine.OnCommitLogged();
  EXPECT_EQ(actions.send_commit, (Names{"a", "b"}));
  EXPECT_FALSE(actions.reply);
  EXPECT_EQ(machine.phase(), Phase::kCommitting);
}

TEST(TransactionMachine, RepliesCommittedAndLogsEndAfterEveryAck) {
  TransactionMachine machine = CommitLogged();
  EXPECT_TRUE(Nothing(machine.OnCommitAcknowledged("b")));
  EXPECT_EQ(machine.phase(), Phase::kCommitting);
  const Actions actions = machine.OnCommitAcknowledged("a");
  EXPECT_TRUE(actions.log_end);
  EXPECT_EQ(actions.reply, TxnOutcome::kCommitted);
  EXPECT_EQ(machine.phase(), Phase::kCommitted);
}

TEST(TransactionMachine, RepeatedAckIsIgnored) {
  TransactionMachine machine = CommitLogged();
  EXPECT_TRUE(Nothing(machine.OnCommitAcknowledged("a")));
  EXPECT_TRUE(Nothing(machine.OnCommitAcknowledged("a")));
  EXPECT_EQ(machine.phase(), Phase::kCommitting);
  EXPECT_TRUE(machine.OnCommitAcknowledged("b").log_end);
}

TEST(TransactionMachine, AckFromAForeignParticipantIsIgnored) {
  TransactionMachine machine = CommitLogged();
  EXPECT_TRUE(Nothing(machine.OnCommitAcknowledged("z")));
  EXPECT_TRUE(Nothing(machine.OnCommitAcknowledged("a")));
  EXPECT_EQ(machine.phase(), Phase::kCommitting);
}

TEST(TransactionMachine, AcksBeforeCommitLoggedAreIgnored) {
  TransactionMachine machine = TwoBranches();
  machine.OnVote("a", BranchVote::kYes, "");
  EXPECT_TRUE(Nothing(machine.OnCommitAcknowledged("a")));
  machine.OnVote("b", BranchVote::kYes, "");
  EXPECT_TRUE(Nothing(machine.OnCommitAcknowledged("a")));
  EXPECT_TRUE(Nothing(machine.OnCommitAcknowledged("b")));
  EXPECT_EQ(machine.phase(), Phase::kLoggingCommit);
  EXPECT_EQ(machine.OnCommitLogged().send_commit, (Names{"a", "b"}));
  EXPECT_TRUE(Nothing(machine.OnCommitAcknowledged("b")));
  EXPECT_EQ(machine.phase(), Phase::kCommitting) << "a's early ack must not count";
}

TEST(TransactionMachine, CommitLoggedTwiceSendsOnce) {
  TransactionMachine machine = CommitLogged();
  EXPECT_TRUE(Nothing(machine.OnCommitLogged()));
}

TEST(TransactionMachine, CommitLoggedBeforeAllVotesDoesNothing) {
  TransactionMachine machine = TwoBranches();
  machine.OnVote("a", BranchVote::kYes, "");
  EXPECT_TRUE(Nothing(machine.OnCommitLogged()));
  EXPECT_EQ(machine.phase(), Phase::kPreparing);
}

TEST(TransactionMachine, ReadOnlyVotersLeaveThePhaseTwo) {
  TransactionMachine machine({"a", "b", "c"});
  machine.Start();
  machine.OnVote("a", BranchVote::kReadOnly, "");
  machine.OnVote("b", BranchVote::kYes, "");
  EXPECT_TRUE(machine.OnVote("c", BranchVote::kReadOnly, "").log_commit);
  EXPECT_EQ(machine.yes_voters(), Names{"b"});
  EXPECT_EQ(machine.OnCommitLogged().send_commit, Names{"b"});
  const Actions actions = machine.OnCommitAcknowledged("b");
  EXPECT_TRUE(actions.log_end);
  EXPECT_EQ(actions.reply, TxnOutcome::kCommitted);
}

TEST(TransactionMachine, AllReadOnlyCommitsWithoutLogging) {
  TransactionMachine machine = TwoBranches();
  EXPECT_TRUE(Nothing(machine.OnVote("a", BranchVote::kReadOnly, "")));
  const Actions actions = machine.OnVote("b", BranchVote::kReadOnly, "");
  EXPECT_EQ(actions.reply, TxnOutcome::kCommitted);
  EXPECT_FALSE(actions.log_commit);
  EXPECT_FALSE(actions.log_end);
  EXPECT_TRUE(actions.send_commit.empty());
  EXPECT_EQ(machine.phase(), Phase::kCommitted);
}

TEST(TransactionMachine, NoVoteAbortsNamingTheParticipant) {
  TransactionMachine machine = TwoBranches();
  const Actions actions = machine.OnVote("b", BranchVote::kNo, "CHECK constraint failed");
  EXPECT_EQ(actions.reply, TxnOutcome::kAborted);
  EXPECT_NE(actions.reason.find("b"), std::string::npos) << actions.reason;
  EXPECT_NE(actions.reason.find("CHECK constraint failed"), std::string::npos) << actions.reason;
  EXPECT_FALSE(actions.log_commit);
  EXPECT_EQ(machine.phase(), Phase::kAborted);
}

TEST(TransactionMachine, AbortGoesToYesVotersAndNonRespondersOnly) {
  TransactionMachine machine({"yes", "ro", "no", "silent"});
  machine.Start();
  machine.OnVote("yes", BranchVote::kYes, "");
  machine.OnVote("ro", BranchVote::kReadOnly, "");
  const Actions actions = machine.OnVote("no", BranchVote::kNo, "refused");
  EXPECT_EQ(actions.send_abort, (Names{"yes", "silent"}));
  EXPECT_EQ(actions.reason, "participant no: refused");
}

TEST(TransactionMachine, FailedVoteAbortsAndTheFailedBranchHearsTheAbort) {
  TransactionMachine machine = TwoBranches();
  machine.OnVote("a", BranchVote::kYes, "");
  const Actions actions = machine.OnVote("b", BranchVote::kFailed, "timed out");
  EXPECT_EQ(actions.reply, TxnOutcome::kAborted);
  EXPECT_NE(actions.reason.find("timed out"), std::string::npos) << actions.reason;
  EXPECT_EQ(actions.send_abort, (Names{"a", "b"}));
  EXPECT_EQ(machine.phase(), Phase::kAborted);
}

TEST(TransactionMachine, LateYesAfterAbortIsSentAnAbort) {
  TransactionMachine machine = TwoBranches();
  ASSERT_EQ(machine.OnVote("a", BranchVote::kNo, "x").reply, TxnOutcome::kAborted);
  const Actions actions = machine.OnVote("b", BranchVote::kYes, "");
  EXPECT_EQ(actions.send_abort, Names{"b"});
  EXPECT_FALSE(actions.reply) << "the client was answered already";
  EXPECT_FALSE(actions.log_commit);
  EXPECT_EQ(machine.phase(), Phase::kAborted);
}

TEST(TransactionMachine, LateNonYesVoteAfterAbortDoesNothing) {
  TransactionMachine machine({"a", "b", "c"});
  machine.Start();
  ASSERT_EQ(machine.OnVote("a", BranchVote::kNo, "x").reply, TxnOutcome::kAborted);
  EXPECT_TRUE(Nothing(machine.OnVote("b", BranchVote::kNo, "y")));
  EXPECT_TRUE(Nothing(machine.OnVote("c", BranchVote::kReadOnly, "")));
}

TEST(TransactionMachine, SecondNoAfterAbortDoesNotAnswerTwice) {
  TransactionMachine machine = TwoBranches();
  ASSERT_EQ(machine.OnVote("a", BranchVote::kFailed, "x").reply, TxnOutcome::kAborted);
  EXPECT_FALSE(machine.OnVote("b", BranchVote::kNo, "y").reply);
}

TEST(TransactionMachine, RepeatedVoteIsIgnored) {
  TransactionMachine machine = TwoBranches();
  EXPECT_TRUE(Nothing(machine.OnVote("a", BranchVote::kYes, "")));
  EXPECT_TRUE(Nothing(machine.OnVote("a", BranchVote::kYes, "")));
  EXPECT_TRUE(Nothing(machine.OnVote("a", BranchVote::kNo, "changed my mind")));
  EXPECT_EQ(machine.phase(), Phase::kPreparing);
  EXPECT_TRUE(machine.OnVote("b", BranchVote::kYes, "").log_commit);
}

TEST(TransactionMachine, ForeignVoteIsIgnored) {
  TransactionMachine machine = TwoBranches();
  EXPECT_TRUE(Nothing(machine.OnVote("z", BranchVote::kNo, "not mine")));
  EXPECT_TRUE(Nothing(machine.OnVote("a", BranchVote::kYes, "")));
  EXPECT_EQ(machine.phase(), Phase::kPreparing);
  EXPECT_TRUE(machine.OnVote("b", BranchVote::kYes, "").log_commit);
  EXPECT_EQ(machine.yes_voters(), (Names{"a", "b"}));
}

TEST(TransactionMachine, GiveUpAbortsWithItsReasonAndTellsEveryoneWhoMayHoldABranch) {
  TransactionMachine machine({"a", "b", "c"});
  machine.Start();
  EXPECT_TRUE(Nothing(machine.OnVote("a", BranchVote::kYes, "")));
  EXPECT_TRUE(Nothing(machine.OnVote("c", BranchVote::kReadOnly, "")));
  const Actions actions = machine.GiveUp("deadlock: transaction 9 waits for 7 at b");
  EXPECT_EQ(actions.reply, TxnOutcome::kAborted);
  EXPECT_EQ(actions.reason, "deadlock: transaction 9 waits for 7 at b");
  EXPECT_EQ(actions.send_abort, (Names{"a", "b"})) << "b never answered: its prepare may land";
  EXPECT_EQ(machine.phase(), Phase::kAborted);
  EXPECT_EQ(machine.OnVote("b", BranchVote::kYes, "").send_abort, Names{"b"});
}

TEST(TransactionMachine, GiveUpAfterTheDecisionDoesNothing) {
  TransactionMachine machine = CommitLogged();
  EXPECT_TRUE(Nothing(machine.GiveUp("too late")));
  EXPECT_EQ(machine.phase(), Phase::kCommitting);
}

}  // namespace
}  // namespace twopc::coordinator
