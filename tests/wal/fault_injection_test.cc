// Crash and disk-failure behaviour of the log, through FaultInjectionEnv.
#include "wal/testing/fault_injection_env.h"

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "tests/wal/wal_test_util.h"
#include "wal/log.h"
#include "wal/log_reader.h"

namespace twopc::wal {
namespace {

class FaultTest : public ::testing::Test {
 protected:
  Status OpenLog(uint64_t segment_bytes = 64ull << 20) {
    log_.reset();
    recovered_.clear();
    LogOptions options;
    options.dir = dir_;
    options.segment_bytes = segment_bytes;
    options.env = &env_;
    return Log::Open(
        options,
        [this](const LogRecord& record) {
          recovered_.push_back(record.payload);
          return Status::Ok();
        },
        &log_, &report_);
  }

  // Closes the log without syncing and loses what the disk had not made durable.
  void PowerLoss() {
    log_.reset();
    ASSERT_TRUE(env_.DropUnsyncedData().ok());
  }

  test::TempDir tmp_;
  const std::string dir_ = tmp_.Join("wal");
  FaultInjectionEnv env_{Env::Default()};
  std::unique_ptr<Log> log_;
  std::vector<std::string> recovered_;
  ReadReport report_;
};

TEST_F(FaultTest, SyncedRecordsSurvivePowerLoss) {
  ASSERT_TRUE(OpenLog().ok());
  Lsn lsn = 0;
  for (int i = 0; i < 5; ++i) lsn = *log_->Append(1, "synced-" + std::to_string(i));
  ASSERT_TRUE(log_->Sync(lsn).ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(log_->Append(1, "unsynced").ok());
  PowerLoss();

  ASSERT_TRUE(OpenLog().ok());
  EXPECT_EQ(std::vector<std::string>({"synced-0", "synced-1", "synced-2", "synced-3", "synced-4"}),
            recovered_);
  EXPECT_FALSE(report_.torn_tail);
}

TEST_F(FaultTest, UnsyncedRecordsVanishButLogReopensClean) {
  ASSERT_TRUE(OpenLog().ok());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(log_->Append(1, "unsynced").ok());
  PowerLoss();
  ASSERT_TRUE(OpenLog().ok());
  EXPECT_TRUE(recovered_.empty());
  EXPECT_FALSE(report_.torn_tail);
  ASSERT_TRUE(log_->AppendAndSync(1, "after").ok());
  PowerLoss();
  ASSERT_TRUE(OpenLog().ok());
  EXPECT_EQ(std::vector<std::string>({"after"}), recovered_);
}

TEST_F(FaultTest, RotationMakesEarlierSegmentsDurable) {
  ASSERT_TRUE(OpenLog(/*segment_bytes=*/256).ok());
  std::vector<std::string> written;
  for (int i = 0; i < 40; ++i) {
    written.push_back("record-" + std::to_string(i) + std::string(20, 'x'));
    ASSERT_TRUE(log_->Append(1, written.back()).ok());
  }
  const uint64_t segment = log_->current_segment();
  ASSERT_GT(segment, 3u);
  PowerLoss();

  // Everything before the current segment was synced by the rotations; only the records
  // in the last segment can be lost.
  ASSERT_TRUE(OpenLog(256).ok());
  ASSERT_LE(recovered_.size(), written.size());
  EXPECT_GT(recovered_.size(), 0u);
  EXPECT_EQ(std::vector<std::string>(written.begin(), written.begin() + recovered_.size()),
            recovered_);
  EXPECT_EQ(segment, report_.last_segment);
}

TEST_F(FaultTest, TornLastRecordIsReportedAsTornTail) {
  const std::string last = "the last record, cut short by a crash";
  const size_t frame = kFrameHeaderSize + last.size();
  for (size_t keep : {size_t{1}, size_t{4}, size_t{8}, kFrameHeaderSize, frame - 1}) {
    SCOPED_TRACE("keep " + std::to_string(keep));
    ASSERT_TRUE(OpenLog().ok());
    const uint64_t segment = log_->current_segment();
    ASSERT_TRUE(log_->Append(1, "a").ok());
    ASSERT_TRUE(log_->AppendAndSync(1, "b").ok());
    ASSERT_TRUE(log_->Append(1, last).ok());
    log_.reset();
    ASSERT_TRUE(env_.TearLastWrite(keep).ok());

    std::vector<std::string> payloads;
    ReadReport report;
    ASSERT_TRUE(ReadLog(
                    &env_, dir_,
                    [&](const LogRecord& r) {
                      if (r.segment == segment) payloads.push_back(r.payload);
                      return Status::Ok();
                    },
                    &report)
                    .ok());
    EXPECT_EQ(std::vector<std::string>({"a", "b"}), payloads);
    EXPECT_TRUE(report.torn_tail);
    EXPECT_EQ(segment, report.torn_segment);
    EXPECT_FALSE(report.torn_detail.empty());
  }
  // Each Open trimmed the tear it found, so once the last one is trimmed the log reads clean.
  ASSERT_TRUE(OpenLog().ok());
  EXPECT_TRUE(report_.torn_tail);
  ASSERT_TRUE(OpenLog().ok());
  EXPECT_FALSE(report_.torn_tail);
  EXPECT_EQ(10u, recovered_.size());
}

TEST_F(FaultTest, FlippedByteInMiddleIsCorruption) {
  ASSERT_TRUE(OpenLog().ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(log_->AppendAndSync(1, "record").ok());
  log_.reset();
  test::FlipByte(SegmentPath(dir_, 1), kSegmentHeaderSize + kFrameHeaderSize + 1);
  Status status = OpenLog();
  EXPECT_TRUE(status.IsCorruption()) << status.ToString();
  EXPECT_EQ(nullptr, log_);
}

TEST_F(FaultTest, FailedSyncIsSticky) {
  ASSERT_TRUE(OpenLog().ok());
  ASSERT_TRUE(log_->AppendAndSync(1, "durable").ok());
  env_.SetFailSync(true);
  auto lsn = log_->AppendAndSync(1, "maybe lost");
  ASSERT_TRUE(lsn.status().IsIoError()) << lsn.status().ToString();
  EXPECT_NE(std::string::npos, lsn.status().message().find("injected")) << lsn.status().ToString();

  // The disk recovers, but the log never claims durability it may not have.
  env_.SetFailSync(false);
  EXPECT_TRUE(log_->Sync(1).IsIoError());
  EXPECT_TRUE(log_->Append(1, "more").status().IsIoError());
  EXPECT_TRUE(log_->AppendAndSync(1, "more").status().IsIoError());
  EXPECT_TRUE(log_->Rotate().status().IsIoError());

  PowerLoss();
  ASSERT_TRUE(OpenLog().ok());
  EXPECT_EQ(std::vector<std::string>({"durable"}), recovered_);
}

TEST_F(FaultTest, FailedAppendIsSticky) {
  ASSERT_TRUE(OpenLog().ok());
  ASSERT_TRUE(log_->AppendAndSync(1, "durable").ok());
  env_.SetFailAppend(true);
  EXPECT_TRUE(log_->Append(1, "rejected").status().IsIoError());
  env_.SetFailAppend(false);
  EXPECT_TRUE(log_->Append(1, "after").status().IsIoError());
  EXPECT_TRUE(log_->Sync(1).IsIoError());
  ASSERT_TRUE(OpenLog().ok());
  EXPECT_EQ(std::vector<std::string>({"durable"}), recovered_);
}

TEST_F(FaultTest, FailedSyncDuringRotationIsSticky) {
  ASSERT_TRUE(OpenLog(/*segment_bytes=*/64).ok());
  ASSERT_TRUE(log_->Append(1, std::string(40, 'a')).ok());
  env_.SetFailSync(true);
  EXPECT_TRUE(log_->Append(1, std::string(40, 'b')).status().IsIoError());  // must rotate
  env_.SetFailSync(false);
  EXPECT_TRUE(log_->Append(1, "c").status().IsIoError());
  EXPECT_EQ(1u, log_->current_segment());
}

TEST_F(FaultTest, OpenFailsCleanlyWhenHeaderSyncFails) {
  env_.SetFailSync(true);
  EXPECT_TRUE(OpenLog().IsIoError());
  EXPECT_EQ(nullptr, log_);
  env_.SetFailSync(false);
  PowerLoss();
  ASSERT_TRUE(OpenLog().ok());
  ASSERT_TRUE(log_->AppendAndSync(1, "x").ok());
  ASSERT_TRUE(OpenLog().ok());
  EXPECT_EQ(std::vector<std::string>({"x"}), recovered_);
}

TEST_F(FaultTest, DropUnsyncedDataRemovesFilesWhoseNameWasNotSynced) {
  ASSERT_TRUE(env_.CreateDirIfMissing(dir_).ok());
  const std::string unnamed = dir_ + "/unnamed", named = dir_ + "/named";
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(env_.NewWritableFile(unnamed, &file).ok());
  ASSERT_TRUE(file->Append("data").ok());
  ASSERT_TRUE(file->Sync().ok());
  ASSERT_TRUE(env_.NewWritableFile(named, &file).ok());
  ASSERT_TRUE(file->Append("data").ok());
  ASSERT_TRUE(file->Sync().ok());
  ASSERT_TRUE(env_.SyncDir(dir_).ok());
  ASSERT_TRUE(file->Append("more").ok());
  file.reset();
  ASSERT_TRUE(env_.DeleteFile(unnamed).ok());

  ASSERT_TRUE(env_.NewWritableFile(unnamed, &file).ok());
  file.reset();
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  EXPECT_FALSE(env_.FileExists(unnamed));
  ASSERT_TRUE(env_.FileExists(named));
  EXPECT_EQ(4u, test::FileSize(named));
}

TEST_F(FaultTest, PowerLossKeepsSyncedPreallocationAsZeros) {
  ASSERT_TRUE(env_.CreateDirIfMissing(dir_).ok());
  const std::string path = dir_ + "/file";
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(env_.NewWritableFile(path, &file).ok());
  ASSERT_TRUE(file->Append("data").ok());
  ASSERT_TRUE(file->Sync().ok());
  ASSERT_TRUE(env_.SyncDir(dir_).ok());
  ASSERT_TRUE(file->Preallocate(4096).ok());
  EXPECT_EQ(4u, file->Size());
  EXPECT_EQ(4096u, test::FileSize(path));
  ASSERT_TRUE(file->Append("more").ok());  // into the preallocated space: not synced
  file.reset();
  // The preallocation was never synced either: the file is back to its synced data.
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  EXPECT_EQ("data", test::ReadBytes(path));

  ASSERT_TRUE(env_.NewWritableFile(path, &file).ok());
  ASSERT_TRUE(file->Append("data").ok());
  ASSERT_TRUE(file->Preallocate(4096).ok());
  ASSERT_TRUE(file->Sync().ok());
  ASSERT_TRUE(file->Append("more").ok());
  ASSERT_TRUE(file->TruncateToSize().ok());  // not synced
  EXPECT_EQ(8u, test::FileSize(path));
  file.reset();
  // Synced: the data and the preallocated length. Lost: "more" and the cut.
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  EXPECT_EQ("data" + std::string(4092, '\0'), test::ReadBytes(path));
}

TEST_F(FaultTest, SegmentHeaderIsDurableBeforeTheSegmentIsPreallocated) {
  ASSERT_TRUE(OpenLog().ok());
  const std::string segment = SegmentPath(dir_, log_->current_segment());
  EXPECT_GT(test::FileSize(segment), kSegmentHeaderSize + (1 << 20));
  // A crash before any append: the preallocation was never synced, the header was.
  PowerLoss();
  EXPECT_EQ(kSegmentHeaderSize, test::FileSize(segment));
  ASSERT_TRUE(OpenLog().ok());
  EXPECT_FALSE(report_.torn_tail);
}

TEST_F(FaultTest, CrashLeavesAZeroTailThatOpenTrimsAndAppendsContinue) {
  ASSERT_TRUE(OpenLog().ok());
  for (int i = 0; i < 3; ++i) {
    auto lsn = log_->AppendAndSync(1, "synced-" + std::to_string(i));
    ASSERT_TRUE(lsn.ok());
    EXPECT_EQ(static_cast<Lsn>(i + 1), *lsn);
  }
  ASSERT_TRUE(log_->Append(1, "lost").ok());
  const std::string segment = SegmentPath(dir_, log_->current_segment());
  PowerLoss();
  // The synced records, then zeros to the preallocated length (where "lost" was too).
  const uint64_t synced_end = 3 * (kFrameHeaderSize + 8) + kSegmentHeaderSize;
  ASSERT_GT(test::FileSize(segment), synced_end + (1 << 20));
  EXPECT_EQ(std::string(test::FileSize(segment) - synced_end, '\0'),
            test::ReadBytes(segment).substr(synced_end));

  ASSERT_TRUE(OpenLog().ok());
  EXPECT_EQ(std::vector<std::string>({"synced-0", "synced-1", "synced-2"}), recovered_);
  EXPECT_FALSE(report_.torn_tail) << report_.torn_detail;
  EXPECT_EQ(synced_end, test::FileSize(segment));
  for (int i = 0; i < 2; ++i) {
    auto lsn = log_->AppendAndSync(1, "after-" + std::to_string(i));
    ASSERT_TRUE(lsn.ok());
    EXPECT_EQ(static_cast<Lsn>(i + 1), *lsn);
  }
  PowerLoss();
  ASSERT_TRUE(OpenLog().ok());
  EXPECT_EQ(std::vector<std::string>({"synced-0", "synced-1", "synced-2", "after-0", "after-1"}),
            recovered_);
  EXPECT_FALSE(report_.torn_tail);
}

TEST_F(FaultTest, SegmentsBeforeTheLastHaveNoZeroTailAfterPowerLoss) {
  ASSERT_TRUE(OpenLog(/*segment_bytes=*/512).ok());
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(log_->Append(1, "record-" + std::to_string(i) + std::string(30, 'x')).ok());
  }
  const uint64_t last = log_->current_segment();
  ASSERT_GT(last, 3u);
  PowerLoss();
  std::vector<uint64_t> ends(last + 1, kSegmentHeaderSize);  // by segment: end of records
  ASSERT_TRUE(ReadLog(
                  &env_, dir_,
                  [&](const LogRecord& r) {
                    ends[r.segment] = r.offset + kFrameHeaderSize + r.payload.size();
                    return Status::Ok();
                  },
                  nullptr)
                  .ok());
  for (uint64_t segment = 1; segment < last; ++segment) {
    EXPECT_EQ(ends[segment], test::FileSize(SegmentPath(dir_, segment))) << segment;
  }
  // Neither the last segment's records nor its preallocation were synced.
  EXPECT_EQ(kSegmentHeaderSize, test::FileSize(SegmentPath(dir_, last)));
}

TEST_F(FaultTest, WithoutPreallocationTheLogAppendsPlainly) {
  env_.SetPreallocateSupported(false);
  ASSERT_TRUE(OpenLog(/*segment_bytes=*/512).ok());
  std::vector<std::string> written;
  for (int i = 0; i < 20; ++i) {
    written.push_back("record-" + std::to_string(i) + std::string(30, 'x'));
    auto lsn = log_->AppendAndSync(1, written.back());
    ASSERT_TRUE(lsn.ok()) << lsn.status().ToString();
    EXPECT_EQ(static_cast<Lsn>(i + 1), *lsn);
    // No space past the records, in any segment.
    for (uint64_t segment = 1; segment <= log_->current_segment(); ++segment) {
      ASSERT_EQ(env_.SyncedSize(SegmentPath(dir_, segment)).value_or(0),
                test::FileSize(SegmentPath(dir_, segment)));
    }
  }
  ASSERT_GT(log_->current_segment(), 1u);
  ASSERT_TRUE(log_->Append(1, "lost").ok());
  PowerLoss();
  ASSERT_TRUE(OpenLog(512).ok());
  EXPECT_EQ(written, recovered_);
  EXPECT_FALSE(report_.torn_tail);
}

TEST_F(FaultTest, TornWriteIntoPreallocatedSpaceIsATornTail) {
  ASSERT_TRUE(OpenLog().ok());
  const uint64_t segment = log_->current_segment();
  ASSERT_TRUE(log_->AppendAndSync(1, "a").ok());
  const std::string last = "the record cut short";
  ASSERT_TRUE(log_->Append(1, last).ok());
  log_.reset();
  ASSERT_TRUE(env_.TearLastWrite(kFrameHeaderSize + 3).ok());
  // The torn-off bytes read as zeros: the file keeps its length.
  const std::string path = SegmentPath(dir_, segment);
  const uint64_t kept = kSegmentHeaderSize + kFrameHeaderSize + 1 + kFrameHeaderSize + 3;
  EXPECT_EQ(kept + last.size() - 3, test::FileSize(path));
  EXPECT_EQ(std::string(last.size() - 3, '\0'), test::ReadBytes(path).substr(kept));
  ASSERT_TRUE(OpenLog().ok());
  EXPECT_EQ(std::vector<std::string>({"a"}), recovered_);
  EXPECT_TRUE(report_.torn_tail);
  EXPECT_NE(std::string::npos, report_.torn_detail.find("checksum mismatch"))
      << report_.torn_detail;
}

// A seeded random workload with crashes of every kind: whatever was synced must come
// back, and what comes back is always a prefix of what was written.
TEST_F(FaultTest, RandomCrashesNeverLoseSyncedRecords) {
  const uint32_t seed = std::random_device()();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  std::vector<std::string> log_contents;  // what the log held after the last recovery
  for (int round = 0; round < 30; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    ASSERT_TRUE(OpenLog(/*segment_bytes=*/512).ok());
    std::vector<std::string> expected = log_contents;
    size_t durable = expected.size();
    const int ops = static_cast<int>(rng() % 40);
    for (int op = 0; op < ops; ++op) {
      std::string payload = std::to_string(round) + ":" + std::to_string(op) +
                            std::string(rng() % 100, static_cast<char>('a' + rng() % 26));
      auto lsn = log_->Append(static_cast<RecordType>(1 + rng() % 9), payload);
      ASSERT_TRUE(lsn.ok()) << lsn.status().ToString();
      expected.push_back(payload);
      switch (rng() % 8) {
        case 0:
          ASSERT_TRUE(log_->Sync(*lsn).ok());
          durable = expected.size();
          break;
        case 1:
          ASSERT_TRUE(log_->Rotate().ok());
          durable = expected.size();
          break;
        default:
          break;
      }
    }
    log_.reset();
    switch (rng() % 3) {
      case 0:  // power loss
        ASSERT_TRUE(env_.DropUnsyncedData().ok());
        break;
      case 1: {  // the last write torn (fails harmlessly if it was synced)
        static_cast<void>(env_.TearLastWrite(rng() % 50));
        break;
      }
      default:  // the process died, the kernel kept everything
        break;
    }
    ASSERT_TRUE(OpenLog(512).ok());
    ASSERT_GE(recovered_.size(), durable);
    ASSERT_LE(recovered_.size(), expected.size());
    ASSERT_EQ(std::vector<std::string>(expected.begin(), expected.begin() + recovered_.size()),
              recovered_);
    log_contents = recovered_;
  }
}

}  // namespace
}  // namespace twopc::wal
