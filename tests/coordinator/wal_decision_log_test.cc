#include "coordinator/wal_decision_log.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/temp_dir.h"
#include "wal/log_reader.h"
#include "wal/testing/fault_injection_env.h"

namespace twopc::coordinator {
namespace {

using Names = std::vector<std::string>;

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class WalDecisionLogTest : public ::testing::Test {
 protected:
  // Opens (or reopens, as a restart would) the log; *recovered_ is what it found.
  void Reopen(uint64_t checkpoint_bytes = 32 << 20) {
    log_.reset();
    recovered_ = RecoveredDecisions();
    wal::LogOptions options;
    options.dir = dir_.path() + "/log";
    options.env = env_;
    Status status = WalDecisionLog::Open(options, &recovered_, &log_, checkpoint_bytes);
    ASSERT_TRUE(status.ok()) << status.ToString();
  }

  std::vector<uint64_t> Segments() {
    std::vector<uint64_t> segments;
    EXPECT_TRUE(wal::ListSegments(wal::Env::Default(), dir_.path() + "/log", &segments).ok());
    return segments;
  }
  std::string LastSegmentPath() {
    return wal::SegmentPath(dir_.path() + "/log", Segments().back());
  }

  test::TempDir dir_;
  wal::Env* env_ = nullptr;
  RecoveredDecisions recovered_;
  std::unique_ptr<WalDecisionLog> log_;
};

TEST_F(WalDecisionLogTest, FreshLogRecoversNothing) {
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_EQ(recovered_.last_epoch, 0u);
  EXPECT_TRUE(recovered_.undelivered.empty());
}

TEST_F(WalDecisionLogTest, BeginEpochIncreasesAcrossReopen) {
  ASSERT_NO_FATAL_FAILURE(Reopen());
  StatusOr<uint64_t> first = log_->BeginEpoch();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_EQ(recovered_.last_epoch, *first);
  StatusOr<uint64_t> second = log_->BeginEpoch();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_GT(*second, *first);
  ASSERT_NO_FATAL_FAILURE(Reopen());
  ASSERT_NO_FATAL_FAILURE(Reopen());
  StatusOr<uint64_t> third = log_->BeginEpoch();
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  EXPECT_GT(*third, *second) << "epochs must survive the checkpoints of later restarts";
}

TEST_F(WalDecisionLogTest, CommitWithoutEndIsRecoveredAsUndelivered) {
  ASSERT_NO_FATAL_FAILURE(Reopen());
  const int64_t before = NowMillis();
  ASSERT_TRUE(log_->LogCommit(11, {"a", "b"}).ok());
  ASSERT_NO_FATAL_FAILURE(Reopen());
  ASSERT_EQ(recovered_.undelivered.size(), 1u);
  EXPECT_EQ(recovered_.undelivered.at(11), (Names{"a", "b"}));
  ASSERT_EQ(recovered_.committed_at_ms.count(11), 1u);
  EXPECT_GE(recovered_.committed_at_ms.at(11), before);
}

TEST_F(WalDecisionLogTest, EndRemovesTheCommit) {
  ASSERT_NO_FATAL_FAILURE(Reopen());
  ASSERT_TRUE(log_->LogCommit(11, {"a"}).ok());
  ASSERT_TRUE(log_->LogCommit(12, {"b"}).ok());
  ASSERT_TRUE(log_->LogEnd(11).ok());
  ASSERT_NO_FATAL_FAILURE(Reopen());
  ASSERT_EQ(recovered_.undelivered.size(), 1u);
  EXPECT_EQ(recovered_.undelivered.at(12), Names{"b"});
  EXPECT_EQ(recovered_.committed_at_ms.count(11), 0u);
}

TEST_F(WalDecisionLogTest, AFreshLogStartsItsEpochAtTheClockSoALostLogReusesNoTxids) {
  ASSERT_NO_FATAL_FAILURE(Reopen());
  const int64_t minutes_since_2025 = std::chrono::duration_cast<std::chrono::minutes>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count() -
                                     1735689600 / 60;
  StatusOr<uint64_t> epoch = log_->BeginEpoch();
  ASSERT_TRUE(epoch.ok());
  EXPECT_GE(static_cast<int64_t>(*epoch), minutes_since_2025);
  StatusOr<uint64_t> next = log_->BeginEpoch();
  ASSERT_TRUE(next.ok());
  EXPECT_GT(*next, *epoch);
}

TEST_F(WalDecisionLogTest, HeuristicMismatchesSurviveRestartsAndCheckpoints) {
  ASSERT_NO_FATAL_FAILURE(Reopen(/*checkpoint_bytes=*/256));
  ASSERT_TRUE(log_->LogMismatch(MismatchRecord{41, "p1", true, 1234}).ok());
  for (int64_t txid = 100; txid < 120; ++txid) {  // enough to checkpoint a few times
    ASSERT_TRUE(log_->LogCommit(txid, {"p0"}).ok());
    ASSERT_TRUE(log_->LogEnd(txid).ok());
  }
  EXPECT_GT(log_->checkpoints(), 1u);
  for (int i = 0; i < 2; ++i) ASSERT_NO_FATAL_FAILURE(Reopen(/*checkpoint_bytes=*/256));
  ASSERT_EQ(recovered_.mismatches.size(), 1u);
  EXPECT_EQ(recovered_.mismatches[0].txid, 41);
  EXPECT_EQ(recovered_.mismatches[0].participant, "p1");
  EXPECT_TRUE(recovered_.mismatches[0].forced_commit);
  EXPECT_EQ(recovered_.mismatches[0].reported_at_ms, 1234);
  EXPECT_TRUE(recovered_.undelivered.empty());
}

TEST_F(WalDecisionLogTest, UndeliveredSurvivesRepeatedRestarts) {
  ASSERT_NO_FATAL_FAILURE(Reopen());
  StatusOr<uint64_t> epoch = log_->BeginEpoch();
  ASSERT_TRUE(epoch.ok());
  ASSERT_TRUE(log_->LogCommit(11, {"a", "b"}).ok());
  for (int i = 0; i < 3; ++i) ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_EQ(recovered_.last_epoch, *epoch);
  EXPECT_EQ(recovered_.undelivered.at(11), (Names{"a", "b"}));
  EXPECT_EQ(Segments().size(), 1u) << "each open checkpoints and drops older segments";
  ASSERT_TRUE(log_->LogEnd(11).ok());
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_TRUE(recovered_.undelivered.empty());
}

TEST_F(WalDecisionLogTest, TornTailIsTolerated) {
  ASSERT_NO_FATAL_FAILURE(Reopen());
  ASSERT_TRUE(log_->LogCommit(11, {"a"}).ok());
  ASSERT_TRUE(log_->LogCommit(12, {"b"}).ok());
  log_.reset();
  // The last record (COMMIT 12) was cut off mid-write.
  const std::string path = LastSegmentPath();
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 3);

  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_EQ(recovered_.undelivered.count(11), 1u);
  EXPECT_EQ(recovered_.undelivered.count(12), 0u);
  // The log goes on after the tear.
  ASSERT_TRUE(log_->LogCommit(13, {"c"}).ok());
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_EQ(recovered_.undelivered.count(11), 1u);
  EXPECT_EQ(recovered_.undelivered.count(13), 1u);
}

TEST_F(WalDecisionLogTest, PartialFrameAfterTheLastRecordIsTolerated) {
  ASSERT_NO_FATAL_FAILURE(Reopen());
  ASSERT_TRUE(log_->LogCommit(11, {"a"}).ok());
  log_.reset();
  {
    std::ofstream out(LastSegmentPath(), std::ios::binary | std::ios::app);
    out.write("\x17\x2a\x01\x00", 4);
  }
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_EQ(recovered_.undelivered.at(11), Names{"a"});
}

TEST_F(WalDecisionLogTest, AutomaticCheckpointsKeepOpenCommits) {
  ASSERT_NO_FATAL_FAILURE(Reopen(/*checkpoint_bytes=*/1));
  const uint64_t before = log_->checkpoints();
  for (int64_t txid = 1; txid <= 5; ++txid) ASSERT_TRUE(log_->LogCommit(txid, {"a"}).ok());
  for (int64_t txid = 1; txid <= 4; ++txid) ASSERT_TRUE(log_->LogEnd(txid).ok());
  EXPECT_GT(log_->checkpoints(), before);
  EXPECT_LE(Segments().size(), 2u);
  ASSERT_NO_FATAL_FAILURE(Reopen());
  ASSERT_EQ(recovered_.undelivered.size(), 1u);
  EXPECT_EQ(recovered_.undelivered.count(5), 1u);
}

TEST_F(WalDecisionLogTest, PowerLossKeepsTheSyncedCommitAndForgetsTheUnforcedEnd) {
  wal::FaultInjectionEnv env(wal::Env::Default());
  env_ = &env;
  ASSERT_NO_FATAL_FAILURE(Reopen());
  ASSERT_TRUE(log_->LogCommit(11, {"a"}).ok());
  ASSERT_TRUE(log_->LogEnd(11).ok());
  log_.reset();
  ASSERT_TRUE(env.DropUnsyncedData().ok());

  ASSERT_NO_FATAL_FAILURE(Reopen());
  // The commit point survived; the lost END only means one more delivery.
  EXPECT_EQ(recovered_.undelivered.at(11), Names{"a"});
  log_.reset();
}

TEST_F(WalDecisionLogTest, FailedSyncFailsLogCommit) {
  wal::FaultInjectionEnv env(wal::Env::Default());
  env_ = &env;
  ASSERT_NO_FATAL_FAILURE(Reopen());
  env.SetFailSync(true);
  EXPECT_FALSE(log_->LogCommit(11, {"a"}).ok());
  EXPECT_FALSE(log_->BeginEpoch().ok());
  log_.reset();
}

TEST(ReplayDecisions, UnknownRecordTypeIsCorruption) {
  wal::LogRecord record;
  record.type = 99;
  RecoveredDecisions recovered;
  EXPECT_TRUE(ReplayDecisions(record, &recovered).IsCorruption());
}

TEST(ReplayDecisions, MalformedCommitIsCorruption) {
  wal::LogRecord record;
  record.type = static_cast<wal::RecordType>(RecordType::kCommit);
  record.payload = "short";
  RecoveredDecisions recovered;
  EXPECT_TRUE(ReplayDecisions(record, &recovered).IsCorruption());
  EXPECT_TRUE(recovered.undelivered.empty());
}

TEST(ReplayDecisions, EndOfUnknownTxidIsHarmless) {
  wal::LogRecord record;
  record.type = static_cast<wal::RecordType>(RecordType::kEnd);
  record.payload = EncodeEnd(5);
  RecoveredDecisions recovered;
  EXPECT_TRUE(ReplayDecisions(record, &recovered).ok());
  EXPECT_TRUE(recovered.undelivered.empty());
}

TEST(ReplayDecisions, CheckpointReplacesEarlierState) {
  RecoveredDecisions recovered;
  recovered.last_epoch = 9;
  recovered.undelivered[1] = {"stale"};
  CheckpointRecord checkpoint;
  checkpoint.epoch = 4;
  checkpoint.undelivered = {CommitRecord{2, 100, {"a"}}};
  wal::LogRecord record;
  record.type = static_cast<wal::RecordType>(RecordType::kCheckpoint);
  record.payload = EncodeCheckpoint(checkpoint);
  ASSERT_TRUE(ReplayDecisions(record, &recovered).ok());
  EXPECT_EQ(recovered.last_epoch, 9u) << "an epoch never goes back";
  ASSERT_EQ(recovered.undelivered.size(), 1u);
  EXPECT_EQ(recovered.undelivered.at(2), Names{"a"});
  EXPECT_EQ(recovered.committed_at_ms.at(2), 100);
}

}  // namespace
}  // namespace twopc::coordinator
