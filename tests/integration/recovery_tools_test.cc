// The operator's side of recovery, on real processes and files: txrecover
// (offline listing of both logs, online listing, heuristic resolution and the
// mismatch it causes), txctl in-doubt, and what an in-doubt transaction blocks.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/cluster.h"
#include "tests/integration/wal_files.h"

namespace twopc::testing {
namespace {

constexpr int kDeadlineMs = 30000;

std::string Credit(int id, int amount) {
  return "UPDATE accounts SET balance = balance + " + std::to_string(amount) +
         " WHERE id = " + std::to_string(id);
}
std::string Debit(int id, int amount) { return Credit(id, -amount); }

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The txid txctl printed for an unanswered transfer is unknown; the logs know
// it. Here: the one txid a listing shows.
std::string FirstWord(const std::string& text) { return text.substr(0, text.find(' ')); }

class RecoveryToolsTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (HasFailure() && cluster_) std::cerr << cluster_->Logs();
  }

  // A cluster whose coordinator dies at `coordinator_point` during one
  // transfer (p0 account 1 -> p1 account 2). Participants never ask on their
  // own unless `ask` (so what is in doubt stays in doubt).
  void StartAndCrashCoordinator(const std::string& coordinator_point, bool ask = false) {
    cluster_ = std::make_unique<Cluster>(dir_.path());
    Cluster::Options options;
    options.participants = 2;
    options.participant_flags = {ask ? "--in_doubt_after_ms=300" : "--in_doubt_after_ms=600000"};
    options.coordinator_env = {"TWOPC_FAILPOINTS=" + coordinator_point};
    std::string error;
    ASSERT_TRUE(cluster_->Start(options, &error)) << error;
    const RunResult client = cluster_->Exec({{"p0", Debit(1, 7)}, {"p1", Credit(2, 7)}});
    EXPECT_EQ(client.exit_code, 3) << client.out << client.err;  // the coordinator died
    ASSERT_TRUE(cluster_->coordinator().WaitForExit(kDeadlineMs));
  }

  RunResult Txrecover(const std::vector<std::string>& args) const {
    return RunProgram(BinaryPath("txrecover"), args);
  }
  std::string Wal(int i) const { return dir_.path() + "/p" + std::to_string(i) + "-wal"; }
  std::string CoordinatorWal() const { return dir_.path() + "/coordinator-wal"; }

  TempDir dir_;
  std::unique_ptr<Cluster> cluster_;
};

TEST_F(RecoveryToolsTest, ListsAPreparedTransactionFromAStoppedParticipantsFiles) {
  ASSERT_NO_FATAL_FAILURE(StartAndCrashCoordinator("coordinator_before_commit_logged"));
  cluster_->participant(0).Kill();
  ASSERT_TRUE(cluster_->participant(0).WaitForExit(kDeadlineMs));

  const RunResult text =
      Txrecover({"list", "--participant-wal", Wal(0), "--db", cluster_->db_path(0)});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_TRUE(Contains(text.out, " IN_DOUBT ")) << text.out;
  EXPECT_TRUE(Contains(text.out, "coordinator=" + cluster_->coordinator_address())) << text.out;

  const RunResult json = Txrecover({"list", "--participant-wal", Wal(0), "--json"});
  EXPECT_EQ(json.exit_code, 0) << json.err;
  EXPECT_TRUE(Contains(json.out, "\"state\":\"IN_DOUBT\"")) << json.out;
  EXPECT_TRUE(Contains(json.out, "\"txid\":" + FirstWord(text.out))) << json.out;

  // Nothing was decided: the coordinator's log has nothing to deliver.
  const RunResult coordinator = Txrecover({"list", "--coordinator-wal", CoordinatorWal()});
  EXPECT_EQ(coordinator.exit_code, 0) << coordinator.err;
  EXPECT_TRUE(Contains(coordinator.out, "nothing in doubt")) << coordinator.out;
}

TEST_F(RecoveryToolsTest, ListsACommitTheCoordinatorHasNotDelivered) {
  ASSERT_NO_FATAL_FAILURE(StartAndCrashCoordinator("coordinator_after_commit_logged"));
  const RunResult listing = Txrecover({"list", "--coordinator-wal", CoordinatorWal()});
  EXPECT_EQ(listing.exit_code, 0) << listing.err;
  EXPECT_TRUE(Contains(listing.out, " UNDELIVERED_COMMIT ")) << listing.out;
  EXPECT_TRUE(Contains(listing.out, "participants=p0,p1")) << listing.out;
}

TEST_F(RecoveryToolsTest, TxctlInDoubtShowsWhatEachParticipantHoldsPrepared) {
  ASSERT_NO_FATAL_FAILURE(StartAndCrashCoordinator("coordinator_before_commit_logged"));
  std::string error;
  ASSERT_TRUE(cluster_->RestartCoordinator(&error)) << error;
  const RunResult listing =
      cluster_->Txctl({"--coordinator", cluster_->coordinator_address(), "in-doubt"});
  EXPECT_EQ(listing.exit_code, 0) << listing.err;
  EXPECT_TRUE(Contains(listing.out, " PREPARED ")) << listing.out;
  EXPECT_TRUE(Contains(listing.out, "participants=p0,p1")) << listing.out;
  const RunResult online = Txrecover({"list", "--coordinator", cluster_->coordinator_address()});
  EXPECT_EQ(online.exit_code, 0) << online.err;
  EXPECT_EQ(FirstWord(online.out), FirstWord(listing.out)) << online.out;
}

TEST_F(RecoveryToolsTest, AnInDoubtRowBlocksWritesToItButNotReadsOrOtherRows) {
  ASSERT_NO_FATAL_FAILURE(StartAndCrashCoordinator("coordinator_before_commit_logged"));
  std::string error;
  ASSERT_TRUE(cluster_->RestartCoordinator(&error)) << error;

  const RunResult same_row = cluster_->Exec({{"p0", Debit(1, 1)}, {"p1", Credit(5, 1)}});
  EXPECT_EQ(same_row.exit_code, 1) << same_row.out << same_row.err;
  EXPECT_TRUE(Contains(same_row.out, "lock conflict")) << same_row.out;

  const RunResult other_row = cluster_->Exec({{"p0", Debit(3, 1)}, {"p1", Credit(5, 1)}});
  EXPECT_EQ(other_row.exit_code, 0) << other_row.out << other_row.err;

  const RunResult read = cluster_->Txctl({"--participant", cluster_->participant_address(0),
                                          "query", "SELECT balance FROM accounts WHERE id = 1"});
  EXPECT_EQ(read.exit_code, 0) << read.err;
  EXPECT_EQ(read.out, "1000\n") << "readers see committed data only";
}

TEST_F(RecoveryToolsTest, ResolveIsRefusedWhileTheAgentRuns) {
  ASSERT_NO_FATAL_FAILURE(StartAndCrashCoordinator("coordinator_before_commit_logged"));
  const auto prepared = ListPrepared(cluster_->participant_address(0));
  ASSERT_TRUE(prepared && prepared->size() == 1);
  const RunResult resolve = Txrecover({"resolve", std::to_string(prepared->front()), "--commit",
                                       "--participant-wal", Wal(0), "--db", cluster_->db_path(0)});
  EXPECT_EQ(resolve.exit_code, 2) << resolve.out;
  EXPECT_TRUE(Contains(resolve.err, "running")) << resolve.err;
  EXPECT_EQ(QueryInt(cluster_->db_path(0), "SELECT balance FROM accounts WHERE id = 1"), 1000);
}

TEST_F(RecoveryToolsTest, AHeuristicCommitTheCoordinatorDidNotDecideIsReportedAsAMismatch) {
  ASSERT_NO_FATAL_FAILURE(StartAndCrashCoordinator("coordinator_before_commit_logged"));
  const auto prepared = ListPrepared(cluster_->participant_address(0));
  ASSERT_TRUE(prepared && prepared->size() == 1);
  const std::string txid = std::to_string(prepared->front());
  cluster_->participant(0).Kill();
  ASSERT_TRUE(cluster_->participant(0).WaitForExit(kDeadlineMs));

  const RunResult resolve = Txrecover(
      {"resolve", txid, "--commit", "--participant-wal", Wal(0), "--db", cluster_->db_path(0)});
  ASSERT_EQ(resolve.exit_code, 0) << resolve.err;
  EXPECT_EQ(QueryInt(cluster_->db_path(0), "SELECT balance FROM accounts WHERE id = 1"), 993);
  const RunResult again = Txrecover(
      {"resolve", txid, "--abort", "--participant-wal", Wal(0), "--db", cluster_->db_path(0)});
  EXPECT_EQ(again.exit_code, 2) << "no longer in doubt: " << again.out;
  const RunResult listing = Txrecover({"list", "--participant-wal", Wal(0)});
  EXPECT_TRUE(Contains(listing.out, txid + " HEURISTIC_COMMIT ")) << listing.out;

  // The coordinator never logged COMMIT: it presumes abort, and the forced
  // commit at p0 disagrees. p0 reports it; p1 aborts.
  std::string error;
  ASSERT_TRUE(cluster_->RestartCoordinator(&error)) << error;
  ASSERT_TRUE(cluster_->RestartParticipant(0, &error)) << error;
  std::string shown;
  const bool reported = WaitFor(
      [&] {
        shown = cluster_->Txctl({"--coordinator", cluster_->coordinator_address(), "in-doubt"}).out;
        return Contains(shown, txid + " HEURISTIC_MISMATCH ") && Contains(shown, "participants=p0");
      },
      kDeadlineMs);
  EXPECT_TRUE(reported) << shown;
  // Both sides keep it: the coordinator across a restart, the participant's
  // log for txrecover.
  ASSERT_TRUE(cluster_->RestartCoordinator(&error)) << error;
  shown = cluster_->Txctl({"--coordinator", cluster_->coordinator_address(), "in-doubt"}).out;
  EXPECT_TRUE(Contains(shown, txid + " HEURISTIC_MISMATCH ")) << shown;
  std::string offline;
  EXPECT_TRUE(WaitFor(
      [&] {
        offline = Txrecover({"list", "--participant-wal", Wal(0)}).out;
        return Contains(offline, txid + " HEURISTIC_MISMATCH ");
      },
      kDeadlineMs))
      << offline;
  std::string error2;
  ASSERT_TRUE(cluster_->RestartParticipant(1, &error2)) << error2;
  EXPECT_TRUE(WaitFor(
      [&] {
        const auto p1 = ListPrepared(cluster_->participant_address(1));
        return p1 && p1->empty();
      },
      kDeadlineMs));
  EXPECT_EQ(QueryInt(cluster_->db_path(1), "SELECT balance FROM accounts WHERE id = 2"), 1000);
}

TEST_F(RecoveryToolsTest, CorruptionInTheMiddleOfALogIsReportedAndATornTailIsTolerated) {
  ASSERT_NO_FATAL_FAILURE(StartAndCrashCoordinator("coordinator_before_commit_logged"));
  cluster_->participant(0).Kill();
  ASSERT_TRUE(cluster_->participant(0).WaitForExit(kDeadlineMs));
  // The segment that holds the PREPARED record: the one with the most data (the killed
  // agent left its newest segment preallocated, longer than its records).
  std::string segment;
  uint64_t largest = 0;
  for (const auto& [path, end] : test::SegmentDataEnds(Wal(0))) {
    if (end > largest) {
      largest = end;
      segment = path;
    }
  }
  ASSERT_GT(largest, 100u);

  // A killed agent's zero-filled tail is the normal end of its log: nothing to note.
  const RunResult clean = Txrecover({"list", "--participant-wal", Wal(0)});
  EXPECT_EQ(clean.exit_code, 0) << clean.err;
  EXPECT_FALSE(Contains(clean.err, "torn tail")) << clean.err;

  // A torn tail, in a copy: the last record cut short.
  const std::string torn_dir = dir_.path() + "/torn-wal";
  std::filesystem::copy(Wal(0), torn_dir);
  const std::string torn_segment =
      torn_dir + "/" + std::filesystem::path(segment).filename().string();
  std::filesystem::resize_file(torn_segment, largest - 3);
  const RunResult torn = Txrecover({"list", "--participant-wal", torn_dir});
  EXPECT_EQ(torn.exit_code, 0) << torn.err;
  EXPECT_TRUE(Contains(torn.err, "torn tail")) << torn.err;

  // A flipped byte in the checksum of the segment's first record (right
  // after the 24-byte segment header), with a valid record after it.
  {
    std::fstream file(segment, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(25);
    char byte = 0;
    file.read(&byte, 1);
    file.seekp(25);
    byte = static_cast<char>(byte ^ 0x5a);
    file.write(&byte, 1);
  }
  const RunResult corrupt = Txrecover({"list", "--participant-wal", Wal(0)});
  EXPECT_EQ(corrupt.exit_code, 1) << corrupt.out;
  EXPECT_TRUE(Contains(corrupt.err, "corruption")) << corrupt.err;

  // The agent refuses to start on it, rather than skipping the damage.
  std::string error;
  EXPECT_FALSE(cluster_->RestartParticipant(0, &error));
}

TEST_F(RecoveryToolsTest, MissingLogDirectoryAndBadUsageGetClearErrors) {
  const RunResult missing = Txrecover({"list", "--participant-wal", dir_.path() + "/no-such-dir"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_TRUE(Contains(missing.err, "no such directory")) << missing.err;
  EXPECT_EQ(Txrecover({"list"}).exit_code, 2);
  EXPECT_EQ(Txrecover({"resolve", "12", "--commit"}).exit_code, 2);
  EXPECT_EQ(Txrecover({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(Txrecover({"--help"}).exit_code, 0);
}

}  // namespace
}  // namespace twopc::testing
