// The coordinator's protocol core, driven by hand: every event is fed
// explicitly, time moves only when the test moves it.
#include "coordinator/core/coordinator_core.h"

#include <gtest/gtest.h>

#include "coordinator/core/timeouts.h"
#include "tests/coordinator/fake_clock.h"

namespace twopc::coordinator {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using Names = std::vector<std::string>;

Branch Write(const std::string& participant) {
  return Branch{participant, {Statement{"UPDATE t SET v = v + 1 WHERE id = 1", {}, std::nullopt}}};
}

PrepareReply Vote(BranchVote vote, std::string reason = "") {
  PrepareReply reply;
  reply.vote = vote;
  reply.reason = std::move(reason);
  return reply;
}

PrepareReply Conflict(int64_t held_by) {
  PrepareReply reply;
  reply.try_again = true;
  reply.held_by = held_by;
  reply.reason = "row held";
  return reply;
}

CallFailure Unreachable() {
  return CallFailure{CallFailure::Kind::kTransport, "connection refused"};
}

class CoordinatorCoreTest : public ::testing::Test {
 protected:
  CoordinatorCoreTest() { Restart(RecoveredDecisions{}); }

  void Restart(RecoveredDecisions recovered, CoreOptions options = CoreOptions()) {
    options.default_prepare_timeout = milliseconds(1000);
    core_ = std::make_unique<CoordinatorCore>(options, &clock_, Names{"p0", "p1", "p2"}, 1,
                                              std::move(recovered), &metrics_);
  }

  // Submits and returns the txid; the prepares it sent are in out_.
  int64_t Submit(const std::vector<Branch>& branches, ExecuteOptions options = {}) {
    StatusOr<int64_t> txid = core_->Submit(next_request_++, branches, options, &out_);
    EXPECT_TRUE(txid.ok()) << txid.status().ToString();
    return txid.ok() ? *txid : 0;
  }

  // Takes the prepare call sent to `participant` from out_.
  PrepareCall TakePrepare(const std::string& participant) {
    for (auto it = out_.prepares.begin(); it != out_.prepares.end(); ++it) {
      if (it->participant == participant) {
        PrepareCall call = std::move(*it);
        out_.prepares.erase(it);
        return call;
      }
    }
    ADD_FAILURE() << "no prepare to " << participant;
    return PrepareCall{};
  }

  CoreActions Answer(const PrepareCall& call, std::vector<PrepareReply> replies,
                     CommitAcks acks = {}) {
    CoreActions out;
    PrepareManyReply reply;
    reply.results = std::move(replies);
    if (acks.empty()) acks.resize(call.commits.size());
    reply.commit_acks = std::move(acks);
    core_->OnPrepareDone(call.call_id, std::nullopt, std::move(reply), &out);
    return out;
  }

  CoreActions Fail(const PrepareCall& call, const CallFailure& failure) {
    CoreActions out;
    core_->OnPrepareDone(call.call_id, failure, PrepareManyReply{}, &out);
    return out;
  }

  CoreActions Tick() {
    CoreActions out;
    core_->Tick(&out);
    return out;
  }

  CoreActions Logged(int64_t txid) {
    CoreActions out;
    core_->OnCommitLogged(txid, &out);
    return out;
  }

  // Runs a two-branch transaction to its COMMIT record, durable.
  int64_t CommittedOnTwo(ExecuteOptions options = {}) {
    const int64_t txid = Submit({Write("p0"), Write("p1")}, options);
    const PrepareCall p0 = TakePrepare("p0");
    const PrepareCall p1 = TakePrepare("p1");
    EXPECT_TRUE(Answer(p0, {Vote(BranchVote::kYes)}).appends.empty());
    const CoreActions decided = Answer(p1, {Vote(BranchVote::kYes)});
    EXPECT_EQ(decided.appends.size(), 1u);
    last_ = Logged(txid);
    return txid;
  }

  static Names AbortsTo(const CoreActions& actions, int64_t txid) {
    Names names;
    for (const AbortCall& call : actions.aborts) {
      if (call.txid == txid) names.push_back(call.participant);
    }
    return names;
  }

  FakeClock clock_;
  CoordinatorMetrics metrics_;
  std::unique_ptr<CoordinatorCore> core_;
  CoreActions out_;
  CoreActions last_;
  uint64_t next_request_ = 1;
};

TEST_F(CoordinatorCoreTest, ATransactionSendsOnePrepareToEachOfItsParticipants) {
  const int64_t txid = Submit({Write("p0"), Write("p2")});
  ASSERT_EQ(out_.prepares.size(), 2u);
  const PrepareCall p0 = TakePrepare("p0");
  ASSERT_EQ(p0.items.size(), 1u);
  EXPECT_EQ(p0.items[0].txid, txid);
  EXPECT_FALSE(p0.items[0].one_phase);
  EXPECT_EQ(p0.items[0].statements->size(), 1u);
  // The participant is told when the coordinator stops waiting for it.
  EXPECT_EQ(p0.items[0].deadline, clock_.Now() + milliseconds(1000));
  EXPECT_EQ(core_->StatusOf(txid), Outcome::kInProgress);
}

TEST_F(CoordinatorCoreTest, ASingleBranchCommitsInOnePhaseWithoutARecord) {
  const int64_t txid = Submit({Write("p1")});
  const PrepareCall p1 = TakePrepare("p1");
  EXPECT_TRUE(p1.items[0].one_phase);
  const CoreActions done = Answer(p1, {Vote(BranchVote::kCommitted)});
  EXPECT_TRUE(done.appends.empty());
  ASSERT_EQ(done.replies.size(), 1u);
  EXPECT_EQ(done.replies[0].result.outcome, Outcome::kCommitted);
  EXPECT_EQ(done.replies[0].result.txid, txid);
  EXPECT_EQ(core_->StatusOf(txid), Outcome::kCommitted);
  EXPECT_EQ(core_->live(), 0u);
}

TEST_F(CoordinatorCoreTest,
       TheCommitRecordIsWrittenOnlyAfterTheLastYesAndTheReplyOnlyOnceItIsDurable) {
  const int64_t txid = Submit({Write("p0"), Write("p1")});
  const PrepareCall p0 = TakePrepare("p0");
  const PrepareCall p1 = TakePrepare("p1");
  EXPECT_TRUE(Answer(p1, {Vote(BranchVote::kYes)}).empty());
  const CoreActions decided = Answer(p0, {Vote(BranchVote::kYes)});
  ASSERT_EQ(decided.appends.size(), 1u);
  EXPECT_EQ(decided.appends[0].kind, LogAppend::Kind::kCommit);
  EXPECT_EQ(decided.appends[0].participants, (Names{"p0", "p1"}));
  EXPECT_TRUE(decided.replies.empty());
  // Crash point 3's neighbourhood: the record may or may not be on disk, so
  // an inquiry must not hear ABORT.
  EXPECT_EQ(core_->Resolve(txid), Decision::kInProgress);

  const CoreActions logged = Logged(txid);
  ASSERT_EQ(logged.replies.size(), 1u);
  EXPECT_EQ(logged.replies[0].result.outcome, Outcome::kCommitted);
  ASSERT_EQ(logged.replies[0].result.branches.size(), 2u);
  EXPECT_EQ(core_->Resolve(txid), Decision::kCommit);
  EXPECT_EQ(core_->undelivered(), 1u);
  // The decision lingers, hoping for a prepare to ride on.
  EXPECT_TRUE(logged.commits.empty());
}

TEST_F(CoordinatorCoreTest, ALingeringCommitLeavesInOneCallPerParticipantAndEndsWithAnEndRecord) {
  const int64_t txid = CommittedOnTwo();
  EXPECT_TRUE(Tick().commits.empty());
  clock_.Advance(milliseconds(3));
  const CoreActions sent = Tick();
  ASSERT_EQ(sent.commits.size(), 2u);
  CoreActions first;
  core_->OnCommitDone(sent.commits[0].call_id, std::nullopt, CommitAcks(1), &first);
  EXPECT_TRUE(first.appends.empty());
  EXPECT_EQ(core_->StatusOf(txid), Outcome::kCommitted);
  CoreActions second;
  core_->OnCommitDone(sent.commits[1].call_id, std::nullopt, CommitAcks(1), &second);
  ASSERT_EQ(second.appends.size(), 1u);
  EXPECT_EQ(second.appends[0].kind, LogAppend::Kind::kEnd);
  EXPECT_EQ(core_->undelivered(), 0u);
  EXPECT_EQ(core_->live(), 0u);
  EXPECT_EQ(core_->StatusOf(txid), Outcome::kCommitted);
}

TEST_F(CoordinatorCoreTest, ACommitDecisionRidesOnTheNextPrepareToThatParticipant) {
  const int64_t first = CommittedOnTwo();
  const int64_t second = Submit({Write("p0"), Write("p2")});
  const PrepareCall p0 = TakePrepare("p0");
  EXPECT_EQ(p0.commits, (std::vector<int64_t>{first}));
  EXPECT_TRUE(TakePrepare("p2").commits.empty());
  Answer(p0, {Vote(BranchVote::kYes)});
  clock_.Advance(milliseconds(3));
  // Only p1 still needs its own commit call.
  const CoreActions sent = Tick();
  ASSERT_EQ(sent.commits.size(), 1u);
  EXPECT_EQ(sent.commits[0].participant, "p1");
  EXPECT_NE(second, first);
}

TEST_F(CoordinatorCoreTest, CommitsCarriedByAFailedPrepareAreDeliveredAgain) {
  const int64_t first = CommittedOnTwo();
  Submit({Write("p0"), Write("p2")});
  const PrepareCall p0 = TakePrepare("p0");
  ASSERT_EQ(p0.commits.size(), 1u);
  Fail(p0, Unreachable());
  clock_.Advance(milliseconds(3));
  CoreActions to_p1 = Tick();
  ASSERT_EQ(to_p1.commits.size(), 1u);
  CoreActions ignored;
  core_->OnCommitDone(to_p1.commits[0].call_id, std::nullopt, CommitAcks(1), &ignored);
  EXPECT_EQ(core_->undelivered(), 1u);
  clock_.Advance(milliseconds(500));
  const CoreActions again = Tick();
  ASSERT_EQ(again.commits.size(), 1u);
  EXPECT_EQ(again.commits[0].participant, "p0");
  EXPECT_EQ(again.commits[0].txids, (std::vector<int64_t>{first}));
}

TEST_F(CoordinatorCoreTest, OneCallInFlightPerParticipantAndTheQueueLeavesTogether) {
  const int64_t a = Submit({Write("p0")});
  const PrepareCall first = TakePrepare("p0");
  const int64_t b = Submit({Write("p0"), Write("p1")});
  const int64_t c = Submit({Write("p0"), Write("p2")});
  for (const PrepareCall& call : out_.prepares) EXPECT_NE(call.participant, "p0");
  const CoreActions next = Answer(first, {Vote(BranchVote::kCommitted)});
  ASSERT_EQ(next.prepares.size(), 1u);
  ASSERT_EQ(next.prepares[0].items.size(), 2u);
  EXPECT_EQ(next.prepares[0].items[0].txid, b);
  EXPECT_EQ(next.prepares[0].items[1].txid, c);
  EXPECT_EQ(core_->StatusOf(a), Outcome::kCommitted);
}

TEST_F(CoordinatorCoreTest, ANoVoteAbortsNamingTheParticipantAndTellsWhoMayHoldABranch) {
  const int64_t txid = Submit({Write("p0"), Write("p1"), Write("p2")});
  const PrepareCall p0 = TakePrepare("p0");
  const PrepareCall p1 = TakePrepare("p1");
  const PrepareCall p2 = TakePrepare("p2");
  Answer(p0, {Vote(BranchVote::kYes)});
  // Decided once every vote is in.
  EXPECT_TRUE(Answer(p1, {Vote(BranchVote::kNo, "CHECK constraint failed")}).replies.empty());
  const CoreActions aborted = Answer(p2, {Vote(BranchVote::kYes)});
  ASSERT_EQ(aborted.replies.size(), 1u);
  EXPECT_EQ(aborted.replies[0].result.outcome, Outcome::kAborted);
  EXPECT_EQ(aborted.replies[0].result.reason, "participant p1: CHECK constraint failed");
  // The YES voters; not the one that refused.
  EXPECT_EQ(AbortsTo(aborted, txid), (Names{"p0", "p2"}));
  EXPECT_EQ(core_->StatusOf(txid), Outcome::kAborted);
  EXPECT_EQ(core_->Resolve(txid), Decision::kAbort);
  EXPECT_EQ(metrics_.aborted[static_cast<size_t>(AbortCause::kVotedNo)].load(), 1u);
}

TEST_F(CoordinatorCoreTest, ReadOnlyBranchesLeaveTheSecondPhase) {
  const int64_t txid = Submit({Write("p0"), Write("p1")});
  Answer(TakePrepare("p0"), {Vote(BranchVote::kReadOnly)});
  const CoreActions decided = Answer(TakePrepare("p1"), {Vote(BranchVote::kYes)});
  ASSERT_EQ(decided.appends.size(), 1u);
  EXPECT_EQ(decided.appends[0].participants, Names{"p1"});
  const int64_t readonly = Submit({Write("p0"), Write("p2")});
  Answer(TakePrepare("p2"), {Vote(BranchVote::kReadOnly)});
  const CoreActions done = Answer(TakePrepare("p0"), {Vote(BranchVote::kReadOnly)});
  EXPECT_TRUE(done.appends.empty());
  ASSERT_EQ(done.replies.size(), 1u);
  EXPECT_EQ(done.replies[0].result.outcome, Outcome::kCommitted);
  EXPECT_NE(txid, readonly);
}

TEST_F(CoordinatorCoreTest, AnUnreachableParticipantAbortsWithWhy) {
  const int64_t txid = Submit({Write("p0"), Write("p1")});
  Answer(TakePrepare("p0"), {Vote(BranchVote::kYes)});
  const CoreActions aborted = Fail(TakePrepare("p1"), Unreachable());
  ASSERT_EQ(aborted.replies.size(), 1u);
  EXPECT_EQ(aborted.replies[0].result.reason, "participant p1: unreachable: connection refused");
  EXPECT_EQ(AbortsTo(aborted, txid), (Names{"p0", "p1"}));
  EXPECT_EQ(metrics_.aborted[static_cast<size_t>(AbortCause::kUnreachable)].load(), 1u);
}

TEST_F(CoordinatorCoreTest, PastThePrepareTimeoutTheTransactionAbortsAndALateYesIsReleased) {
  const int64_t txid = Submit({Write("p0"), Write("p1")});
  const PrepareCall p0 = TakePrepare("p0");
  Answer(TakePrepare("p1"), {Vote(BranchVote::kYes)});
  clock_.Advance(milliseconds(999));
  EXPECT_TRUE(Tick().replies.empty());
  clock_.Advance(milliseconds(1));
  const CoreActions aborted = Tick();
  ASSERT_EQ(aborted.replies.size(), 1u);
  EXPECT_EQ(aborted.replies[0].result.reason,
            "participant p0: no vote within the prepare timeout (1000 ms)");
  EXPECT_EQ(metrics_.aborted[static_cast<size_t>(AbortCause::kPrepareTimeout)].load(), 1u);
  EXPECT_EQ(AbortsTo(Answer(p0, {Vote(BranchVote::kYes)}), txid), Names{"p0"});
}

TEST_F(CoordinatorCoreTest, AOnePhaseBranchWithoutAnAnswerIsAskedToAbort) {
  struct Case {
    std::optional<CallFailure> abort_answer;
    Outcome outcome;
  };
  const Case cases[] = {
      {std::nullopt, Outcome::kAborted},
      {CallFailure{CallFailure::Kind::kRefused, "already committed"}, Outcome::kCommitted},
      {CallFailure{CallFailure::Kind::kUnauthenticated, "bad token"}, Outcome::kUnknown},
      {CallFailure{CallFailure::Kind::kFailed, "disk I/O error"}, Outcome::kUnknown},
      {Unreachable(), Outcome::kUnknown},
  };
  for (const Case& c : cases) {
    const int64_t txid = Submit({Write("p2")});
    const CoreActions probe = Fail(TakePrepare("p2"), Unreachable());
    EXPECT_TRUE(probe.replies.empty());
    ASSERT_EQ(probe.aborts.size(), 1u);
    EXPECT_EQ(core_->Resolve(txid), Decision::kInProgress);
    CoreActions done;
    core_->OnAbortDone(probe.aborts[0], c.abort_answer, &done);
    ASSERT_EQ(done.replies.size(), 1u);
    EXPECT_EQ(done.replies[0].result.outcome, c.outcome);
    if (c.outcome == Outcome::kUnknown) {
      EXPECT_EQ(done.replies[0].result.reason,
                "participant p2: unreachable: connection refused; the outcome of this one-phase "
                "transaction is unknown");
      EXPECT_EQ(core_->StatusOf(txid), Outcome::kUnknown);
    } else {
      EXPECT_EQ(core_->StatusOf(txid), c.outcome);
    }
  }
  EXPECT_EQ(metrics_.unknown.load(), 3u);
}

TEST_F(CoordinatorCoreTest, AOnePhaseVoteThatArrivesDuringTheProbeDecides) {
  const int64_t txid = Submit({Write("p2")});
  const PrepareCall p2 = TakePrepare("p2");
  clock_.Advance(milliseconds(1000));
  const CoreActions probe = Tick();
  ASSERT_EQ(probe.aborts.size(), 1u);
  EXPECT_TRUE(probe.aborts[0].learns_outcome);
  const CoreActions late = Answer(p2, {Vote(BranchVote::kCommitted)});
  ASSERT_EQ(late.replies.size(), 1u);
  EXPECT_EQ(late.replies[0].result.outcome, Outcome::kCommitted);
  EXPECT_EQ(core_->StatusOf(txid), Outcome::kCommitted);
}

TEST_F(CoordinatorCoreTest, ABranchNeverSentOrAnsweredRetryHearsNoAbort) {
  const int64_t first = Submit({Write("p0")});
  const PrepareCall busy = TakePrepare("p0");  // the line to p0 stays busy
  const int64_t txid = Submit({Write("p0"), Write("p1"), Write("p2")});
  Answer(TakePrepare("p2"), {Conflict(first)});
  Answer(TakePrepare("p1"), {Vote(BranchVote::kNo, "refused")});
  clock_.Advance(milliseconds(1000));  // p0 never left its queue, p2 waits to retry
  const CoreActions aborted = Tick();
  ASSERT_EQ(aborted.replies.size(), 1u);
  // p0: still queued behind `busy`; p2: answered retry, kept nothing.
  EXPECT_TRUE(AbortsTo(aborted, txid).empty());
  // Its queued prepare is withdrawn: the next call to p0 does not carry it.
  EXPECT_TRUE(Answer(busy, {Vote(BranchVote::kCommitted)}).prepares.empty());
}

TEST_F(CoordinatorCoreTest, ABranchAnsweredRetryIsSentAgainAfterABackoffWithHowLongItWaited) {
  const int64_t txid = Submit({Write("p0"), Write("p1")});
  Answer(TakePrepare("p1"), {Vote(BranchVote::kYes)});
  EXPECT_TRUE(Answer(TakePrepare("p0"), {Conflict(0)}).prepares.empty());
  EXPECT_TRUE(Tick().prepares.empty());
  clock_.Advance(microseconds(100));
  const CoreActions resent = Tick();
  ASSERT_EQ(resent.prepares.size(), 1u);
  ASSERT_EQ(resent.prepares[0].items.size(), 1u);
  EXPECT_EQ(resent.prepares[0].items[0].txid, txid);
  clock_.Advance(milliseconds(7));
  const CoreActions again = Answer(resent.prepares[0], {Conflict(0)});
  EXPECT_TRUE(again.prepares.empty());
  clock_.Advance(microseconds(200));  // the backoff doubled
  const CoreActions third = Tick();
  ASSERT_EQ(third.prepares.size(), 1u);
  EXPECT_EQ(third.prepares[0].items[0].waited_ms, 7);
  EXPECT_EQ(Answer(third.prepares[0], {Vote(BranchVote::kYes)}).appends.size(), 1u);
}

TEST_F(CoordinatorCoreTest, TwoTransactionsWaitingForEachOtherAbortTheYoungestAtOnce) {
  const int64_t older = Submit({Write("p0"), Write("p1")});
  const PrepareCall older_p0 = TakePrepare("p0");
  const PrepareCall older_p1 = TakePrepare("p1");
  const int64_t younger = Submit({Write("p0"), Write("p1")});  // queued behind
  EXPECT_TRUE(out_.prepares.empty());
  const CoreActions freed = Answer(older_p0, {Vote(BranchVote::kYes)});
  ASSERT_EQ(freed.prepares.size(), 1u);
  // The younger one waits at p0 for the older one's prepared row...
  EXPECT_TRUE(Answer(freed.prepares[0], {Conflict(older)}).replies.empty());
  // ...and the older one at p1 for the younger one: a cycle.
  const CoreActions broken = Answer(older_p1, {Conflict(younger)});
  ASSERT_EQ(broken.replies.size(), 1u);
  EXPECT_EQ(broken.replies[0].result.txid, younger);
  EXPECT_EQ(broken.replies[0].result.outcome, Outcome::kAborted);
  EXPECT_EQ(broken.replies[0].result.reason,
            "deadlock: transaction " + std::to_string(older) + " waits for " +
                std::to_string(younger) + " at p1, " + std::to_string(younger) + " waits for " +
                std::to_string(older) + " at p0; " + std::to_string(younger) +
                ", the youngest, was aborted");
  EXPECT_EQ(metrics_.aborted[static_cast<size_t>(AbortCause::kDeadlock)].load(), 1u);
  // Its queued prepare to p1 was withdrawn: the line stays free.
  EXPECT_TRUE(broken.prepares.empty());
  // The older one goes on and commits.
  clock_.Advance(microseconds(100));
  const CoreActions resent = Tick();
  ASSERT_EQ(resent.prepares.size(), 1u);
  ASSERT_EQ(resent.prepares[0].items.size(), 1u);
  EXPECT_EQ(resent.prepares[0].items[0].txid, older);
  EXPECT_EQ(Answer(resent.prepares[0], {Vote(BranchVote::kYes)}).appends.size(), 1u);
}

TEST_F(CoordinatorCoreTest, PastItsDeadlineATransactionAbortsUnlessABranchRefused) {
  ExecuteOptions options;
  options.deadline_ms = 50;
  const int64_t txid = Submit({Write("p0"), Write("p1")}, options);
  Answer(TakePrepare("p0"), {Vote(BranchVote::kYes)});
  clock_.Advance(milliseconds(50));
  const CoreActions aborted = Tick();
  ASSERT_EQ(aborted.replies.size(), 1u);
  EXPECT_EQ(aborted.replies[0].result.reason,
            "deadline: the transaction did not reach its commit point within its deadline of 50 "
            "ms");
  EXPECT_EQ(metrics_.aborted[static_cast<size_t>(AbortCause::kDeadline)].load(), 1u);
  EXPECT_EQ(core_->StatusOf(txid), Outcome::kAborted);

  const int64_t refused = Submit({Write("p0"), Write("p2")}, options);
  const PrepareCall p0 = TakePrepare("p0");
  clock_.Advance(milliseconds(60));
  Answer(p0, {Vote(BranchVote::kYes)});
  const CoreActions no = Answer(TakePrepare("p2"), {Vote(BranchVote::kNo, "UNIQUE failed")});
  ASSERT_EQ(no.replies.size(), 1u);
  EXPECT_EQ(no.replies[0].result.reason, "participant p2: UNIQUE failed");
  EXPECT_EQ(core_->StatusOf(refused), Outcome::kAborted);
}

TEST_F(CoordinatorCoreTest, AClientThatWaitsForTheApplyIsAnsweredAfterTheAcksOrWithWhyNot) {
  ExecuteOptions options;
  options.wait_applied = true;
  const int64_t txid = CommittedOnTwo(options);
  EXPECT_TRUE(last_.replies.empty());
  ASSERT_EQ(last_.commits.size(), 2u);  // at once, no lingering
  CoreActions first;
  core_->OnCommitDone(last_.commits[0].call_id, std::nullopt, CommitAcks(1), &first);
  EXPECT_TRUE(first.replies.empty());
  CoreActions second;
  core_->OnCommitDone(last_.commits[1].call_id, Unreachable(), {}, &second);
  ASSERT_EQ(second.replies.size(), 1u);
  EXPECT_EQ(second.replies[0].result.outcome, Outcome::kCommitted);
  EXPECT_EQ(second.replies[0].result.reason,
            "committed; some participants have not applied it yet (retrying)");
  EXPECT_TRUE(second.appends.empty());  // no END: one participant lacks it
  EXPECT_EQ(core_->undelivered(), 1u);
  EXPECT_EQ(core_->StatusOf(txid), Outcome::kCommitted);

  // Redelivery, after the interval, to the one that lacks it only.
  clock_.Advance(milliseconds(500));
  const CoreActions again = Tick();
  ASSERT_EQ(again.commits.size(), 1u);
  EXPECT_EQ(again.commits[0].participant, last_.commits[1].participant);
  EXPECT_EQ(metrics_.delivery_retries.load(), 1u);
  CoreActions done;
  core_->OnCommitDone(again.commits[0].call_id, std::nullopt, CommitAcks(1), &done);
  ASSERT_EQ(done.appends.size(), 1u);
  EXPECT_EQ(done.appends[0].kind, LogAppend::Kind::kEnd);
  EXPECT_EQ(core_->undelivered(), 0u);
}

TEST_F(CoordinatorCoreTest, AHeuristicMismatchIsRecordedOnceAndCountsAsDelivered) {
  ExecuteOptions options;
  options.wait_applied = true;
  const int64_t txid = CommittedOnTwo(options);
  CoreActions first;
  core_->OnCommitDone(last_.commits[0].call_id, std::nullopt,
                      {CallFailure{CallFailure::Kind::kHeuristicMismatch, "forced ABORT"}}, &first);
  ASSERT_EQ(first.appends.size(), 1u);
  EXPECT_EQ(first.appends[0].kind, LogAppend::Kind::kMismatch);
  EXPECT_EQ(first.appends[0].mismatch.txid, txid);
  CoreActions second;
  core_->OnCommitDone(last_.commits[1].call_id, std::nullopt, CommitAcks(1), &second);
  ASSERT_EQ(second.appends.size(), 1u);
  EXPECT_EQ(second.appends[0].kind, LogAppend::Kind::kEnd);
  CoreActions repeat;
  core_->ReportHeuristicMismatch(txid, last_.commits[0].participant, false, &repeat);
  EXPECT_TRUE(repeat.appends.empty());
  const std::vector<InDoubtTransaction> in_doubt = core_->InDoubt();
  ASSERT_EQ(in_doubt.size(), 1u);
  EXPECT_EQ(in_doubt[0].state, "HEURISTIC_MISMATCH");
}

TEST_F(CoordinatorCoreTest, CommitsFoundInTheLogAreDeliveredAtTheFirstTick) {
  RecoveredDecisions recovered;
  recovered.undelivered[42] = {"p0", "p9"};  // p9 is no longer configured
  Restart(std::move(recovered));
  EXPECT_EQ(core_->StatusOf(42), Outcome::kCommitted);
  EXPECT_EQ(core_->Resolve(42), Decision::kCommit);
  const CoreActions sent = Tick();
  ASSERT_EQ(sent.commits.size(), 1u);
  EXPECT_EQ(sent.commits[0].participant, "p0");
  CoreActions done;
  core_->OnCommitDone(sent.commits[0].call_id, std::nullopt, CommitAcks(1), &done);
  EXPECT_TRUE(done.appends.empty());
  EXPECT_EQ(core_->undelivered(), 1u);  // p9 still lacks it
}

TEST_F(CoordinatorCoreTest, MoreThanTheInFlightLimitIsRefusedAtOnce) {
  CoreOptions options;
  options.max_in_flight = 1;
  Restart(RecoveredDecisions{}, options);
  Submit({Write("p0")});
  CoreActions out;
  StatusOr<int64_t> refused = core_->Submit(99, {Write("p1")}, ExecuteOptions{}, &out);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message(),
            "overloaded: 1 transactions in flight (--max_in_flight 1); retry later");
  EXPECT_TRUE(out.empty());
}

TEST_F(CoordinatorCoreTest, AnUnknownTransactionIsPresumedAborted) {
  EXPECT_EQ(core_->StatusOf(12345), Outcome::kUnknown);
  EXPECT_EQ(core_->Resolve(12345), Decision::kAbort);
}

TEST(PrepareTimeoutTest, DefaultUnlessAskedAndNeverAboveTheMaximum) {
  EXPECT_EQ(EffectivePrepareTimeout(0, milliseconds(5000), milliseconds(60000)),
            milliseconds(5000));
  EXPECT_EQ(EffectivePrepareTimeout(200, milliseconds(5000), milliseconds(60000)),
            milliseconds(200));
  EXPECT_EQ(EffectivePrepareTimeout(90000, milliseconds(5000), milliseconds(60000)),
            milliseconds(60000));
  EXPECT_EQ(EffectivePrepareTimeout(0, milliseconds(5000), milliseconds(1000)), milliseconds(1000));
}

TEST(PrepareTimeoutTest, TheParticipantIsAskedToStopBeforeTheCoordinatorStopsWaiting) {
  EXPECT_EQ(BranchTimeoutMs(3000), 2700);    // a tenth less
  EXPECT_EQ(BranchTimeoutMs(60000), 59500);  // at most 500 ms less
  EXPECT_EQ(BranchTimeoutMs(5), 5);
  EXPECT_EQ(BranchTimeoutMs(0), 1);  // out of time: still a limit, never "none"
  EXPECT_EQ(BranchTimeoutMs(-20), 1);
}

}  // namespace
}  // namespace twopc::coordinator
