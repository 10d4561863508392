#include "participant/transaction_table.h"

#include <gtest/gtest.h>

#include <vector>

namespace twopc::participant {
namespace {

using PrepareAction = TransactionTable::PrepareAction;
using CommitAction = TransactionTable::CommitAction;
using AbortAction = TransactionTable::AbortAction;

constexpr int64_t kTxid = 42;

// The state of txid; fails the test when the table does not know it.
TxnState StateOf(const TransactionTable& table, int64_t txid) {
  TxnState state = TxnState::kPreparing;
  EXPECT_TRUE(table.Find(txid, &state)) << "txid " << txid << " unknown";
  return state;
}

bool Knows(const TransactionTable& table, int64_t txid) {
  TxnState state;
  return table.Find(txid, &state);
}

// A table in which kTxid went through prepare and is now kPrepared.
void MakePrepared(TransactionTable* table, int64_t txid = kTxid) {
  ASSERT_EQ(table->OnPrepareRequest(txid), PrepareAction::kExecute);
  ASSERT_TRUE(table->OnPrepared(txid));
}

void MakeCommitting(TransactionTable* table, int64_t txid = kTxid) {
  MakePrepared(table, txid);
  ASSERT_EQ(table->OnCommitRequest(txid), CommitAction::kApply);
}

// --- prepare ---

TEST(TransactionTable, NewPrepareExecutesAndMarksPreparing) {
  TransactionTable table;
  EXPECT_EQ(table.OnPrepareRequest(kTxid), PrepareAction::kExecute);
  EXPECT_EQ(StateOf(table, kTxid), TxnState::kPreparing);
  EXPECT_EQ(table.live(), 1u);
}

TEST(TransactionTable, OnPreparedMovesPreparingToPrepared) {
  TransactionTable table;
  ASSERT_EQ(table.OnPrepareRequest(kTxid), PrepareAction::kExecute);
  EXPECT_TRUE(table.OnPrepared(kTxid));
  EXPECT_EQ(StateOf(table, kTxid), TxnState::kPrepared);
}

TEST(TransactionTable, OnPreparedOfUnknownTxidReturnsFalse) {
  TransactionTable table;
  EXPECT_FALSE(table.OnPrepared(kTxid));
  EXPECT_FALSE(Knows(table, kTxid));
}

TEST(TransactionTable, RepeatedPrepareWhilePreparingIsRefusedBusy) {
  TransactionTable table;
  ASSERT_EQ(table.OnPrepareRequest(kTxid), PrepareAction::kExecute);
  EXPECT_EQ(table.OnPrepareRequest(kTxid), PrepareAction::kRefuseBusy);
  EXPECT_EQ(StateOf(table, kTxid), TxnState::kPreparing);
}

TEST(TransactionTable, RepeatedPrepareAfterPreparedVotesYesAgain) {
  TransactionTable table;
  MakePrepared(&table);
  EXPECT_EQ(table.OnPrepareRequest(kTxid), PrepareAction::kAlreadyPrepared);
  EXPECT_EQ(StateOf(table, kTxid), TxnState::kPrepared);
}

TEST(TransactionTable, PrepareWhileCommittingIsRefusedBusy) {
  TransactionTable table;
  MakeCommitting(&table);
  EXPECT_EQ(table.OnPrepareRequest(kTxid), PrepareAction::kRefuseBusy);
  EXPECT_EQ(StateOf(table, kTxid), TxnState::kCommitting);
}

TEST(TransactionTable, PrepareAfterCommitIsAlreadyCommitted) {
  TransactionTable table;
  ASSERT_EQ(table.OnPrepareRequest(kTxid), PrepareAction::kExecute);
  table.OnCommitted(kTxid);
  EXPECT_EQ(table.OnPrepareRequest(kTxid), PrepareAction::kAlreadyCommitted);
}

TEST(TransactionTable, PrepareAfterRefusalIsRefusedAborted) {
  TransactionTable table;
  ASSERT_EQ(table.OnPrepareRequest(kTxid), PrepareAction::kExecute);
  table.OnAborted(kTxid);
  EXPECT_EQ(table.OnPrepareRequest(kTxid), PrepareAction::kRefuseAborted);
}

TEST(TransactionTable, LatePrepareAfterAbortOfUnknownTxidIsRefused) {
  TransactionTable table;
  EXPECT_EQ(table.OnAbortRequest(kTxid), AbortAction::kAcknowledge);
  EXPECT_EQ(table.OnPrepareRequest(kTxid), PrepareAction::kRefuseAborted);
  EXPECT_EQ(StateOf(table, kTxid), TxnState::kAborted);
}

// --- abort ---

TEST(TransactionTable, AbortOfPreparedReleasesIt) {
  TransactionTable table;
  MakePrepared(&table);
  EXPECT_EQ(table.OnAbortRequest(kTxid), AbortAction::kRelease);
  EXPECT_EQ(StateOf(table, kTxid), TxnState::kAborted);
  EXPECT_TRUE(table.Prepared().empty());
}

TEST(TransactionTable, AbortWhilePreparingMakesOnPreparedReturnFalse) {
  TransactionTable table;
  ASSERT_EQ(table.OnPrepareRequest(kTxid), PrepareAction::kExecute);
  EXPECT_EQ(table.OnAbortRequest(kTxid), AbortAction::kAbortWhileRunning);
  EXPECT_FALSE(table.OnPrepared(kTxid));
  EXPECT_EQ(StateOf(table, kTxid), TxnState::kAborted);
  EXPECT_TRUE(table.Prepared().empty());
}

TEST(TransactionTable, RepeatedAbortIsAcknowledged) {
  TransactionTable table;
  MakePrepared(&table);
  ASSERT_EQ(table.OnAbortRequest(kTxid), AbortAction::kRelease);
  EXPECT_EQ(table.OnAbortRequest(kTxid), AbortAction::kAcknowledge);
  EXPECT_EQ(StateOf(table, kTxid), TxnState::kAborted);
}

TEST(TransactionTable, AbortWhileCommittingIsRefused) {
  TransactionTable table;
  MakeCommitting(&table);
  EXPECT_EQ(table.OnAbortRequest(kTxid), AbortAction::kRefuseCommitted);
  EXPECT_EQ(StateOf(table, kTxid), TxnState::kCommitting);
}

TEST(TransactionTable, AbortAfterCommitIsRefused) {
  TransactionTable table;
  MakeCommitting(&table);
  table.OnCommitted(kTxid);
  EXPECT_EQ(table.OnAbortRequest(kTxid), AbortAction::kRefuseCommitted);
  EXPECT_EQ(StateOf(table, kTxid), TxnState::kCommitted);
}

// --- commit ---

TEST(TransactionTable, CommitOfPreparedAppliesAndMarksCommitting) {
  TransactionTable table;
  MakePrepared(&table);
  EXPECT_EQ(table.OnCommitRequest(kTxid), CommitAction::kApply);
  EXPECT_EQ(StateOf(table, kTxid), TxnState::kCommitting);
}

TEST(TransactionTable, CommitWhileCommittingWaits) {
  TransactionTable table;
  MakeCommitting(&table);
  EXPECT_EQ(table.OnCommitRequest(kTxid), CommitAction::kWait);
  EXPECT_EQ(StateOf(table, kTxid), TxnState::kCommitting);
}

TEST(TransactionTable, RepeatedCommitAfterCommittedIsAcknowledged) {
  TransactionTable table;
  MakeCommitting(&table);
  table.OnCommitted(kTxid);
  EXPECT_EQ(table.OnCommitRequest(kTxid), CommitAction::kAcknowledge);
  EXPECT_EQ(table.OnCommitRequest(kTxid), CommitAction::kAcknowledge);
  EXPECT_EQ(StateOf(table, kTxid), TxnState::kCommitted);
}

TEST(TransactionTable, CommitOfUnknownTxidIsAcknowledgedAndNotRemembered) {
  TransactionTable table;
  EXPECT_EQ(table.OnCommitRequest(kTxid), CommitAction::kAcknowledge);
  EXPECT_FALSE(Knows(table, kTxid));
}

TEST(TransactionTable, CommitOfAbortedIsRefused) {
  TransactionTable table;
  MakePrepared(&table);
  ASSERT_EQ(table.OnAbortRequest(kTxid), AbortAction::kRelease);
  EXPECT_EQ(table.OnCommitRequest(kTxid), CommitAction::kRefuseAborted);
  EXPECT_EQ(StateOf(table, kTxid), TxnState::kAborted);
}

TEST(TransactionTable, CommitWhilePreparingIsRefusedAsProtocolViolation) {
  TransactionTable table;
  ASSERT_EQ(table.OnPrepareRequest(kTxid), PrepareAction::kExecute);
  EXPECT_EQ(table.OnCommitRequest(kTxid), CommitAction::kRefuseAborted);
  EXPECT_EQ(StateOf(table, kTxid), TxnState::kPreparing);
}

TEST(TransactionTable, ApplyFailedReturnsToPreparedSoARetryApplies) {
  TransactionTable table;
  MakeCommitting(&table);
  table.OnApplyFailed(kTxid);
  EXPECT_EQ(StateOf(table, kTxid), TxnState::kPrepared);
  EXPECT_EQ(table.OnCommitRequest(kTxid), CommitAction::kApply);
}

TEST(TransactionTable, ApplyFailedOutsideCommittingChangesNothing) {
  TransactionTable table;
  MakePrepared(&table);
  ASSERT_EQ(table.OnAbortRequest(kTxid), AbortAction::kRelease);
  table.OnApplyFailed(kTxid);
  EXPECT_EQ(StateOf(table, kTxid), TxnState::kAborted);
}

// --- listing, forgetting, recovery ---

TEST(TransactionTable, PreparedListsPreparedAndCommittingSorted) {
  TransactionTable table;
  MakePrepared(&table, 30);
  MakeCommitting(&table, 10);
  MakePrepared(&table, 20);
  ASSERT_EQ(table.OnPrepareRequest(40), PrepareAction::kExecute);  // still preparing
  MakeCommitting(&table, 50);
  table.OnCommitted(50);
  EXPECT_EQ(table.Prepared(), (std::vector<int64_t>{10, 20, 30}));
}

TEST(TransactionTable, ForgetRemovesAReadOnlyBranch) {
  TransactionTable table;
  ASSERT_EQ(table.OnPrepareRequest(kTxid), PrepareAction::kExecute);
  table.Forget(kTxid);
  EXPECT_FALSE(Knows(table, kTxid));
  EXPECT_EQ(table.live(), 0u);
  EXPECT_EQ(table.OnPrepareRequest(kTxid), PrepareAction::kExecute);
}

TEST(TransactionTable, ForgetLeavesAPreparedBranchAlone) {
  TransactionTable table;
  MakePrepared(&table);
  table.Forget(kTxid);
  EXPECT_EQ(StateOf(table, kTxid), TxnState::kPrepared);
}

TEST(TransactionTable, RecoveredPreparedIsListedAndCanCommit) {
  TransactionTable table;
  table.OnRecoveredPrepared(kTxid);
  EXPECT_EQ(table.Prepared(), std::vector<int64_t>{kTxid});
  EXPECT_EQ(table.OnPrepareRequest(kTxid), PrepareAction::kAlreadyPrepared);
  EXPECT_EQ(table.OnCommitRequest(kTxid), CommitAction::kApply);
}

TEST(TransactionTable, RecoveredPreparedCanAbort) {
  TransactionTable table;
  table.OnRecoveredPrepared(kTxid);
  EXPECT_EQ(table.OnAbortRequest(kTxid), AbortAction::kRelease);
  EXPECT_TRUE(table.Prepared().empty());
}

// --- bounded memory ---

TEST(TransactionTable, OldestFinishedTxidsAreForgottenPastTheLimit) {
  TransactionTable table(/*finished_to_remember=*/2);
  for (int64_t txid = 1; txid <= 3; ++txid) {
    ASSERT_EQ(table.OnPrepareRequest(txid), PrepareAction::kExecute);
    table.OnCommitted(txid);
  }
  EXPECT_FALSE(Knows(table, 1));
  EXPECT_EQ(StateOf(table, 2), TxnState::kCommitted);
  EXPECT_EQ(StateOf(table, 3), TxnState::kCommitted);
  // Forgotten means presumed done: a commit is acknowledged.
  EXPECT_EQ(table.OnCommitRequest(1), CommitAction::kAcknowledge);
}

TEST(TransactionTable, LiveTransactionsAreNeverForgotten) {
  TransactionTable table(/*finished_to_remember=*/1);
  MakePrepared(&table, 100);
  for (int64_t txid = 1; txid <= 5; ++txid) table.OnAborted(txid);
  EXPECT_EQ(StateOf(table, 100), TxnState::kPrepared);
  EXPECT_EQ(table.live(), 1u);
}

TEST(TransactionTable, RepeatedFinishCountsOnceTowardsTheLimit) {
  TransactionTable table(/*finished_to_remember=*/2);
  table.OnCommitted(1);
  table.OnCommitted(1);
  table.OnAborted(1);
  table.OnCommitted(2);
  EXPECT_TRUE(Knows(table, 1));
  EXPECT_TRUE(Knows(table, 2));
  EXPECT_EQ(table.live(), 0u);
}

TEST(TransactionTable, RepeatedAbortOfUnknownTxidCountsOnceTowardsTheLimit) {
  TransactionTable table(/*finished_to_remember=*/2);
  ASSERT_EQ(table.OnAbortRequest(1), AbortAction::kAcknowledge);
  ASSERT_EQ(table.OnAbortRequest(1), AbortAction::kAcknowledge);
  ASSERT_EQ(table.OnAbortRequest(2), AbortAction::kAcknowledge);
  EXPECT_EQ(table.OnPrepareRequest(1), PrepareAction::kRefuseAborted);
  EXPECT_EQ(table.OnPrepareRequest(2), PrepareAction::kRefuseAborted);
}

}  // namespace
}  // namespace twopc::participant
