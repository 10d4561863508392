#include "wal/log.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/wal/wal_test_util.h"
#include "wal/coding.h"
#include "wal/log_reader.h"

namespace twopc::wal {
namespace {

std::string PayloadFor(int i) { return "record-" + std::to_string(i) + std::string(i % 97, 'p'); }

RecordVisitor CollectInto(std::vector<LogRecord>* records) {
  return [records](const LogRecord& record) {
    records->push_back(record);
    return Status::Ok();
  };
}

std::vector<std::string> Payloads(const std::vector<LogRecord>& records) {
  std::vector<std::string> payloads;
  for (const LogRecord& record : records) payloads.push_back(record.payload);
  return payloads;
}

class LogTest : public ::testing::Test {
 protected:
  LogOptions Options(uint64_t segment_bytes = 64ull << 20) {
    LogOptions options;
    options.dir = dir_;
    options.segment_bytes = segment_bytes;
    return options;
  }

  // Opens log_, collecting the recovered records into recovered_.
  Status OpenLog(uint64_t segment_bytes = 64ull << 20) {
    log_.reset();
    recovered_.clear();
    return Log::Open(Options(segment_bytes), CollectInto(&recovered_), &log_, &open_report_);
  }

  // Writes one segment per entry of `segments`, holding those payloads, by reopening.
  void WriteSegments(const std::vector<std::vector<std::string>>& segments) {
    for (const auto& payloads : segments) {
      ASSERT_TRUE(OpenLog().ok());
      for (const std::string& payload : payloads) ASSERT_TRUE(log_->Append(1, payload).ok());
    }
    log_.reset();
  }

  Status Read(std::vector<LogRecord>* records, ReadReport* report) {
    return ReadLog(Env::Default(), dir_, CollectInto(records), report);
  }

  std::string SegmentFile(uint64_t segment) { return SegmentPath(dir_, segment); }

  test::TempDir tmp_;
  const std::string dir_ = tmp_.Join("wal");
  std::unique_ptr<Log> log_;
  std::vector<LogRecord> recovered_;
  ReadReport open_report_;
};

TEST_F(LogTest, AppendAndReopenReturnsAllRecordsInOrder) {
  constexpr int kRecords = 600;
  ASSERT_TRUE(OpenLog(/*segment_bytes=*/2048).ok());
  for (int i = 0; i < kRecords; ++i) {
    auto lsn = log_->Append(static_cast<RecordType>(1 + i % 250), PayloadFor(i));
    ASSERT_TRUE(lsn.ok()) << lsn.status().ToString();
    EXPECT_EQ(static_cast<Lsn>(i + 1), *lsn);
  }
  const uint64_t last_segment = log_->current_segment();
  EXPECT_GT(last_segment, 5u);

  ASSERT_TRUE(OpenLog(2048).ok());
  ASSERT_EQ(static_cast<size_t>(kRecords), recovered_.size());
  for (int i = 0; i < kRecords; ++i) {
    EXPECT_EQ(PayloadFor(i), recovered_[i].payload);
    EXPECT_EQ(1 + i % 250, recovered_[i].type);
    if (i > 0) {
      EXPECT_LE(recovered_[i - 1].segment, recovered_[i].segment);
    }
  }
  EXPECT_EQ(1u, open_report_.first_segment);
  EXPECT_EQ(last_segment, open_report_.last_segment);
  EXPECT_EQ(static_cast<uint64_t>(kRecords), open_report_.records);
  EXPECT_FALSE(open_report_.torn_tail);
  EXPECT_EQ(last_segment + 1, log_->current_segment());
}

TEST_F(LogTest, AnOpenLogLocksItsDirectoryUntilItCloses) {
  ASSERT_TRUE(OpenLog().ok());
  std::unique_ptr<Log> second;
  const Status refused = Log::Open(Options(), CollectInto(&recovered_), &second);
  EXPECT_TRUE(refused.IsBusy()) << refused.ToString();
  EXPECT_NE(refused.message().find("is in use by another process"), std::string::npos)
      << refused.message();
  EXPECT_EQ(second, nullptr);
  log_.reset();
  EXPECT_TRUE(Log::Open(Options(), CollectInto(&recovered_), &second).ok());
}

TEST_F(LogTest, ACallerThatHoldsTheDirectoryLockOpensWithoutTakingItAgain) {
  DirLock lock;
  ASSERT_TRUE(lock.Acquire(dir_).ok());
  EXPECT_TRUE(Log::Open(Options(), CollectInto(&recovered_), &log_).IsBusy());
  LogOptions options = Options();
  options.caller_holds_dir_lock = true;
  EXPECT_TRUE(Log::Open(options, CollectInto(&recovered_), &log_).ok());
}

TEST_F(LogTest, ReopenTwiceAppendsAfter) {
  ASSERT_TRUE(OpenLog().ok());
  ASSERT_TRUE(log_->Append(1, "a").ok());
  ASSERT_TRUE(OpenLog().ok());
  EXPECT_EQ(std::vector<std::string>({"a"}), Payloads(recovered_));
  auto lsn = log_->Append(1, "b");
  ASSERT_TRUE(lsn.ok());
  EXPECT_EQ(1u, *lsn);  // Lsns count per Log object
  ASSERT_TRUE(OpenLog().ok());
  EXPECT_EQ(std::vector<std::string>({"a", "b"}), Payloads(recovered_));
  EXPECT_EQ(3u, log_->current_segment());
  EXPECT_EQ(2u, recovered_[1].segment);
  EXPECT_EQ(kSegmentHeaderSize, recovered_[1].offset);
}

TEST_F(LogTest, EmptyDirectoryHasNoRecords) {
  ASSERT_TRUE(Env::Default()->CreateDirIfMissing(dir_).ok());
  std::vector<LogRecord> records;
  ReadReport report;
  ASSERT_TRUE(Read(&records, &report).ok());
  EXPECT_TRUE(records.empty());
  EXPECT_EQ(0u, report.first_segment);
  EXPECT_EQ(0u, report.last_segment);
  ASSERT_TRUE(OpenLog().ok());
  EXPECT_EQ(1u, log_->current_segment());
}

TEST_F(LogTest, MissingDirectoryIsNotFoundForReaderAndCreatedByOpen) {
  std::vector<LogRecord> records;
  Status status = Read(&records, nullptr);
  EXPECT_TRUE(status.IsNotFound()) << status.ToString();
  EXPECT_NE(std::string::npos, status.message().find("no such directory")) << status.ToString();

  LogOptions options = Options();
  options.dir = tmp_.Join("a/b/wal");
  std::unique_ptr<Log> log;
  ASSERT_TRUE(Log::Open(options, CollectInto(&records), &log).ok());
  EXPECT_TRUE(Env::Default()->FileExists(SegmentPath(options.dir, 1)));
}

TEST_F(LogTest, FilesThatAreNotSegmentsAreIgnored) {
  WriteSegments({{"a"}});
  test::WriteBytes(dir_ + "/README", "not a segment");
  test::WriteBytes(dir_ + "/wal-1.log", "not a segment either");
  ASSERT_TRUE(OpenLog().ok());
  EXPECT_EQ(std::vector<std::string>({"a"}), Payloads(recovered_));
}

TEST_F(LogTest, TruncatedTrailingRecordIsIgnored) {
  WriteSegments({{"a", "b", "ccccccccc"}});
  std::vector<LogRecord> records;
  ReadReport report;
  ASSERT_TRUE(Read(&records, &report).ok());
  const uint64_t last_offset = records[2].offset;
  test::ShrinkFile(SegmentFile(1), 3);

  records.clear();
  ASSERT_TRUE(Read(&records, &report).ok());
  EXPECT_EQ(std::vector<std::string>({"a", "b"}), Payloads(records));
  EXPECT_TRUE(report.torn_tail);
  EXPECT_EQ(1u, report.torn_segment);
  EXPECT_EQ(last_offset, report.torn_offset);
  EXPECT_NE(std::string::npos, report.torn_detail.find("runs past end of file"))
      << report.torn_detail;

  // Open trims the torn record, so the segment stays clean once it is no longer last.
  ASSERT_TRUE(OpenLog().ok());
  EXPECT_TRUE(open_report_.torn_tail);
  EXPECT_EQ(std::vector<std::string>({"a", "b"}), Payloads(recovered_));
  EXPECT_EQ(last_offset, test::FileSize(SegmentFile(1)));
  ASSERT_TRUE(log_->Append(1, "d").ok());
  ASSERT_TRUE(OpenLog().ok());
  EXPECT_FALSE(open_report_.torn_tail);
  EXPECT_EQ(std::vector<std::string>({"a", "b", "d"}), Payloads(recovered_));
}

TEST_F(LogTest, TruncatedHeaderOfLastRecordIsIgnored) {
  WriteSegments({{"a", "b"}});
  const uint64_t size = test::FileSize(SegmentFile(1));
  test::ShrinkFile(SegmentFile(1), size - (kSegmentHeaderSize + kFrameHeaderSize + 1 + 4));
  ASSERT_TRUE(OpenLog().ok());
  EXPECT_TRUE(open_report_.torn_tail);
  EXPECT_EQ(std::vector<std::string>({"a"}), Payloads(recovered_));
}

TEST_F(LogTest, BadLengthAtEndIsIgnored) {
  WriteSegments({{"a", "b", "c"}});
  std::vector<LogRecord> records;
  ASSERT_TRUE(Read(&records, nullptr).ok());
  std::string huge;
  PutFixed32(&huge, 0xffffffffu);
  test::OverwriteBytes(SegmentFile(1), records[2].offset + 4, huge);

  ASSERT_TRUE(OpenLog().ok());
  EXPECT_EQ(std::vector<std::string>({"a", "b"}), Payloads(recovered_));
  EXPECT_TRUE(open_report_.torn_tail);
  EXPECT_NE(std::string::npos, open_report_.torn_detail.find("bad record length"))
      << open_report_.torn_detail;
  ASSERT_TRUE(OpenLog().ok());
  EXPECT_FALSE(open_report_.torn_tail);
  EXPECT_EQ(std::vector<std::string>({"a", "b"}), Payloads(recovered_));
}

TEST_F(LogTest, ChecksumMismatchInLastRecordIsTornTail) {
  WriteSegments({{"a", "b", "c"}});
  test::FlipByte(SegmentFile(1), test::FileSize(SegmentFile(1)) - 1);
  ASSERT_TRUE(OpenLog().ok());
  EXPECT_EQ(std::vector<std::string>({"a", "b"}), Payloads(recovered_));
  EXPECT_TRUE(open_report_.torn_tail);
  EXPECT_NE(std::string::npos, open_report_.torn_detail.find("checksum mismatch"));
}

TEST_F(LogTest, ZeroFilledTailIsACleanEndAndIsTrimmed) {
  WriteSegments({{"a", "b"}});
  const uint64_t size = test::FileSize(SegmentFile(1));
  std::filesystem::resize_file(SegmentFile(1), size + 4096);  // preallocated, never written
  std::vector<LogRecord> records;
  ReadReport report;
  ASSERT_TRUE(Read(&records, &report).ok());
  EXPECT_EQ(std::vector<std::string>({"a", "b"}), Payloads(records));
  EXPECT_FALSE(report.torn_tail) << report.torn_detail;

  ASSERT_TRUE(OpenLog().ok());
  EXPECT_EQ(std::vector<std::string>({"a", "b"}), Payloads(recovered_));
  EXPECT_FALSE(open_report_.torn_tail);
  EXPECT_EQ(size, test::FileSize(SegmentFile(1)));
}

TEST_F(LogTest, TornRecordBeforeManyMiBOfZerosIsATornTail) {
  WriteSegments({{"a", "b", "ccccccccc"}});
  std::vector<LogRecord> records;
  ASSERT_TRUE(Read(&records, nullptr).ok());
  const uint64_t torn_offset = records[2].offset;
  // The last record lost its payload in a crash; the preallocated space after it is
  // zeros. The search for a valid record after the tear crosses all of them.
  test::ShrinkFile(SegmentFile(1), 4);
  const uint64_t size = test::FileSize(SegmentFile(1));
  std::filesystem::resize_file(SegmentFile(1), size + (32 << 20));
  ASSERT_TRUE(OpenLog().ok());
  EXPECT_EQ(std::vector<std::string>({"a", "b"}), Payloads(recovered_));
  EXPECT_TRUE(open_report_.torn_tail);
  EXPECT_EQ(torn_offset, open_report_.torn_offset);
  EXPECT_NE(std::string::npos, open_report_.torn_detail.find("checksum mismatch"))
      << open_report_.torn_detail;
  EXPECT_EQ(torn_offset, test::FileSize(SegmentFile(1)));
}

TEST_F(LogTest, GarbageAmidZerosFollowedByAValidRecordIsCorruption) {
  WriteSegments({{"a", "b"}});
  std::vector<LogRecord> records;
  ASSERT_TRUE(Read(&records, nullptr).ok());
  const uint64_t end = test::FileSize(SegmentFile(1));
  // After the records: zeros, a stray byte, zeros, a valid record of this segment, and
  // preallocated zeros. A valid record after the damage means it is not a torn tail.
  std::string frame;
  EncodeFrame(1, 1, "late", &frame);
  std::string tail(100, '\0');
  tail[40] = 'x';
  const uint64_t valid_at = end + tail.size();
  tail += frame + std::string(1 << 20, '\0');
  test::WriteBytes(SegmentFile(1), test::ReadBytes(SegmentFile(1)) + tail);

  records.clear();
  Status status = Read(&records, nullptr);
  ASSERT_TRUE(status.IsCorruption()) << status.ToString();
  EXPECT_EQ(std::vector<std::string>({"a", "b"}), Payloads(records));
  EXPECT_NE(std::string::npos,
            status.message().find(SegmentFileName(1) + " offset " + std::to_string(end) +
                                  ": zero-filled header followed by data, followed by a valid "
                                  "record at offset " +
                                  std::to_string(valid_at)))
      << status.ToString();
  EXPECT_TRUE(OpenLog().IsCorruption());
}

TEST_F(LogTest, ZeroTailInClosedSegmentIsCorruption) {
  WriteSegments({{"a", "b"}, {"c"}});
  std::vector<LogRecord> records;
  ASSERT_TRUE(Read(&records, nullptr).ok());
  // Record "b", already synced in a closed segment, zeroed to the end of the file: read
  // as a clean end it would vanish without a word.
  const uint64_t zeroed_at = records[1].offset;
  const uint64_t size = test::FileSize(SegmentFile(1));
  test::OverwriteBytes(SegmentFile(1), zeroed_at, std::string(size - zeroed_at, '\0'));
  Status status = OpenLog();
  ASSERT_TRUE(status.IsCorruption()) << status.ToString();
  EXPECT_NE(std::string::npos,
            status.message().find(SegmentFileName(1) + " offset " + std::to_string(zeroed_at) +
                                  ": zero-filled tail in a closed segment"))
      << status.ToString();

  // Zeros appended after the last record of a closed segment are damage too.
  std::filesystem::remove_all(dir_);
  WriteSegments({{"a"}, {"b"}});
  std::filesystem::resize_file(SegmentFile(1), test::FileSize(SegmentFile(1)) + 4096);
  EXPECT_TRUE(OpenLog().IsCorruption());
}

TEST_F(LogTest, ZeroFilledNewestSegmentWithoutHeaderIsCorruption) {
  WriteSegments({{"a"}});
  // The writer preallocates only after the header is synced, so this is damage.
  test::WriteBytes(SegmentFile(2), std::string(1 << 20, '\0'));
  Status status = OpenLog();
  ASSERT_TRUE(status.IsCorruption()) << status.ToString();
  EXPECT_NE(std::string::npos, status.message().find("bad segment magic")) << status.ToString();
}

TEST_F(LogTest, ZeroedHeaderOfClosedSegmentIsCorruption) {
  WriteSegments({{"a"}, {"b"}});
  test::WriteBytes(SegmentFile(1), std::string(4096, '\0'));
  Status status = OpenLog();
  ASSERT_TRUE(status.IsCorruption()) << status.ToString();
  EXPECT_NE(std::string::npos, status.message().find("bad segment magic")) << status.ToString();
}

TEST_F(LogTest, DamagedHeaderOfLastSegmentFollowedByDataIsCorruption) {
  WriteSegments({{"a"}});
  test::WriteBytes(SegmentFile(2),
                   std::string(kSegmentHeaderSize, '\0') + "x" + std::string(4096, '\0'));
  EXPECT_TRUE(OpenLog().IsCorruption());
}

TEST(PreallocationEndTest, StepsAheadOfTheWriteAndStopsAtTheSegmentLimit) {
  constexpr uint64_t kStep = 1000, kSegment = 10000;
  // The write fits in what is preallocated: nothing to do.
  EXPECT_EQ(2000u, PreallocationEnd(1500, 2000, kStep, kSegment));
  EXPECT_EQ(2000u, PreallocationEnd(2000, 2000, kStep, kSegment));
  // It does not: one step past the write.
  EXPECT_EQ(1024u, PreallocationEnd(24, 0, kStep, kSegment));
  EXPECT_EQ(3001u, PreallocationEnd(2001, 2000, kStep, kSegment));
  // Never past the segment limit, and nothing when the write reaches it.
  EXPECT_EQ(kSegment, PreallocationEnd(9500, 9000, kStep, kSegment));
  EXPECT_EQ(9000u, PreallocationEnd(kSegment, 9000, kStep, kSegment));
  EXPECT_EQ(9000u, PreallocationEnd(kSegment + 5000, 9000, kStep, kSegment));
  // Turned off.
  EXPECT_EQ(0u, PreallocationEnd(24, 0, 0, kSegment));
}

TEST_F(LogTest, SegmentIsPreallocatedWhileOpenAndCutWhenClosed) {
  LogOptions options = Options();
  options.preallocate_bytes = 1 << 20;
  ASSERT_TRUE(Log::Open(options, CollectInto(&recovered_), &log_).ok());
  auto lsn = log_->AppendAndSync(1, "a");
  ASSERT_TRUE(lsn.ok());
  const uint64_t logical = kSegmentHeaderSize + kFrameHeaderSize + 1;
  EXPECT_EQ(kSegmentHeaderSize + (1 << 20), test::FileSize(SegmentFile(1)));
  // Allocated on disk, not a sparse hole.
  EXPECT_GE(test::AllocatedBytes(SegmentFile(1)), uint64_t{1} << 20);
  log_.reset();
  EXPECT_EQ(logical, test::FileSize(SegmentFile(1)));
}

// Written zeros, not fallocate's unwritten extents: the first append into an
// unwritten block makes its fdatasync write the inode too (a second device
// round trip on the commit path).
TEST_F(LogTest, PreallocatedSpaceIsWrittenSoThatAppendsSyncTheirDataAlone) {
  LogOptions options = Options();
  options.preallocate_bytes = 1 << 20;
  ASSERT_TRUE(Log::Open(options, CollectInto(&recovered_), &log_).ok());
  ASSERT_TRUE(log_->AppendAndSync(1, "a").ok());
  const std::optional<uint64_t> unwritten = test::UnwrittenBytes(SegmentFile(1));
  if (!unwritten) GTEST_SKIP() << "no FIEMAP on this file system";
  EXPECT_GE(test::AllocatedBytes(SegmentFile(1)), uint64_t{1} << 20);
  EXPECT_EQ(*unwritten, 0u);
}

TEST_F(LogTest, PreallocationStepsAheadAsTheSegmentGrows) {
  LogOptions options = Options();
  options.preallocate_bytes = 4096;
  ASSERT_TRUE(Log::Open(options, CollectInto(&recovered_), &log_).ok());
  const std::string payload(1000 - kFrameHeaderSize, 'p');
  uint64_t logical = kSegmentHeaderSize;
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(log_->Append(1, payload).ok());
    logical += 1000;
    const uint64_t length = test::FileSize(SegmentFile(1));
    EXPECT_GT(length, logical) << "record " << i;
    EXPECT_LE(length, logical + 4096) << "record " << i;
  }
  log_.reset();
  EXPECT_EQ(logical, test::FileSize(SegmentFile(1)));
  ASSERT_TRUE(OpenLog().ok());
  EXPECT_EQ(10u, recovered_.size());
}

TEST_F(LogTest, RotationCutsTheOldSegmentToItsRecords) {
  LogOptions options = Options(/*segment_bytes=*/1000);
  options.preallocate_bytes = 4096;
  ASSERT_TRUE(Log::Open(options, CollectInto(&recovered_), &log_).ok());
  const std::string payload(100, 'p');
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(log_->Append(1, payload).ok());
  ASSERT_TRUE(log_->Rotate().ok());
  const uint64_t current = log_->current_segment();
  ASSERT_GE(current, 3u);
  std::vector<LogRecord> records;
  ASSERT_TRUE(Read(&records, nullptr).ok());
  std::vector<uint64_t> ends(current, 0);  // by segment: where its last record ends
  for (const LogRecord& record : records) {
    ends[record.segment] = record.offset + kFrameHeaderSize + record.payload.size();
  }
  for (uint64_t segment = 1; segment < current; ++segment) {
    EXPECT_EQ(ends[segment], test::FileSize(SegmentFile(segment))) << "segment " << segment;
  }
  // The current segment is preallocated up to the segment limit.
  EXPECT_EQ(1000u, test::FileSize(SegmentFile(current)));
}

TEST_F(LogTest, ZeroPreallocationMeansPlainAppends) {
  LogOptions options = Options();
  options.preallocate_bytes = 0;
  ASSERT_TRUE(Log::Open(options, CollectInto(&recovered_), &log_).ok());
  ASSERT_TRUE(log_->AppendAndSync(1, "a").ok());
  EXPECT_EQ(kSegmentHeaderSize + kFrameHeaderSize + 1, test::FileSize(SegmentFile(1)));
}

TEST_F(LogTest, ChecksumMismatchInMiddleIsCorruption) {
  WriteSegments({{"a", "bbbb", "c", "d", "e"}});
  std::vector<LogRecord> records;
  ASSERT_TRUE(Read(&records, nullptr).ok());
  const uint64_t bad_offset = records[1].offset;
  test::FlipByte(SegmentFile(1), bad_offset + kFrameHeaderSize + 2);

  records.clear();
  Status status = Read(&records, nullptr);
  ASSERT_TRUE(status.IsCorruption()) << status.ToString();
  EXPECT_EQ(1u, records.size());  // records before the damage were visited
  const std::string where = SegmentFileName(1) + " offset " + std::to_string(bad_offset) + ":";
  EXPECT_NE(std::string::npos, status.message().find(where)) << status.ToString();
  EXPECT_NE(std::string::npos, status.message().find("checksum mismatch")) << status.ToString();

  // Recovery refuses to start and creates nothing.
  status = OpenLog();
  EXPECT_TRUE(status.IsCorruption()) << status.ToString();
  EXPECT_EQ(nullptr, log_);
  EXPECT_FALSE(Env::Default()->FileExists(SegmentFile(2)));
}

TEST_F(LogTest, ZeroedMiddleOfLastSegmentIsCorruption) {
  WriteSegments({{"a", "bbbb", "c"}});
  std::vector<LogRecord> records;
  ASSERT_TRUE(Read(&records, nullptr).ok());
  test::OverwriteBytes(SegmentFile(1), records[1].offset, std::string(kFrameHeaderSize + 4, '\0'));
  Status status = Read(&records, nullptr);
  EXPECT_TRUE(status.IsCorruption()) << status.ToString();
}

TEST_F(LogTest, FlippedByteInClosedSegmentIsCorruption) {
  WriteSegments({{"a", "b"}, {"c"}, {"d"}});
  // The damaged record is the last one of segment 1, but segment 1 is not the last.
  test::FlipByte(SegmentFile(1), test::FileSize(SegmentFile(1)) - 1);
  Status status = OpenLog();
  ASSERT_TRUE(status.IsCorruption()) << status.ToString();
  EXPECT_NE(std::string::npos, status.message().find(SegmentFileName(1))) << status.ToString();
}

TEST_F(LogTest, TruncatedClosedSegmentIsCorruption) {
  WriteSegments({{"a", "b"}, {"c"}});
  test::ShrinkFile(SegmentFile(1), 1);
  Status status = OpenLog();
  ASSERT_TRUE(status.IsCorruption()) << status.ToString();
  EXPECT_NE(std::string::npos, status.message().find("runs past end of file")) << status.ToString();
}

TEST_F(LogTest, MissingSegmentIsCorruption) {
  WriteSegments({{"a"}, {"b"}, {"c"}});
  ASSERT_TRUE(Env::Default()->DeleteFile(SegmentFile(2)).ok());
  Status status = OpenLog();
  ASSERT_TRUE(status.IsCorruption()) << status.ToString();
  EXPECT_NE(std::string::npos, status.message().find("segment 2 is missing")) << status.ToString();
}

TEST_F(LogTest, DamagedSegmentHeaderIsCorruption) {
  WriteSegments({{"a"}, {"b"}});
  test::FlipByte(SegmentFile(1), 0);
  EXPECT_TRUE(OpenLog().IsCorruption());
}

TEST_F(LogTest, DamagedHeaderOfLastSegmentWithRecordsIsCorruption) {
  WriteSegments({{"a"}});
  test::FlipByte(SegmentFile(1), 3);
  EXPECT_TRUE(OpenLog().IsCorruption());
}

TEST_F(LogTest, TornHeaderOfLastSegmentIsReplaced) {
  WriteSegments({{"a"}});
  test::WriteBytes(SegmentFile(2), EncodeSegmentHeader(2).substr(0, 10));
  ASSERT_TRUE(OpenLog().ok());
  EXPECT_TRUE(open_report_.torn_tail);
  EXPECT_EQ(2u, open_report_.torn_segment);
  EXPECT_EQ(std::vector<std::string>({"a"}), Payloads(recovered_));
  EXPECT_EQ(2u, log_->current_segment());
  ASSERT_TRUE(log_->Append(1, "b").ok());
  ASSERT_TRUE(OpenLog().ok());
  EXPECT_FALSE(open_report_.torn_tail);
  EXPECT_EQ(std::vector<std::string>({"a", "b"}), Payloads(recovered_));
}

TEST_F(LogTest, StaleRecordsFromAnotherSegmentAreRejected) {
  WriteSegments({{"a", "b"}, {"c"}, {"d"}});
  // Segment 2 with a valid header of its own, but segment 1's records after it.
  const std::string seg1 = test::ReadBytes(SegmentFile(1));
  test::WriteBytes(SegmentFile(2), EncodeSegmentHeader(2) + seg1.substr(kSegmentHeaderSize));
  Status status = OpenLog();
  ASSERT_TRUE(status.IsCorruption()) << status.ToString();
  EXPECT_NE(std::string::npos,
            status.message().find(SegmentFileName(2) + " offset " +
                                  std::to_string(kSegmentHeaderSize) + ": checksum mismatch"))
      << status.ToString();
}

TEST_F(LogTest, SegmentCopiedUnderAnotherNameIsCorruption) {
  WriteSegments({{"a"}, {"b"}});
  test::WriteBytes(SegmentFile(2), test::ReadBytes(SegmentFile(1)));
  Status status = OpenLog();
  ASSERT_TRUE(status.IsCorruption()) << status.ToString();
  EXPECT_NE(std::string::npos, status.message().find("header names segment 1"))
      << status.ToString();
}

TEST_F(LogTest, VisitorErrorStopsRecovery) {
  WriteSegments({{"a", "b", "c"}});
  int visited = 0;
  std::unique_ptr<Log> log;
  Status status = Log::Open(
      Options(),
      [&](const LogRecord&) { return ++visited == 2 ? Status::Aborted("stop") : Status::Ok(); },
      &log);
  EXPECT_TRUE(status.IsAborted()) << status.ToString();
  EXPECT_EQ(2, visited);
  EXPECT_EQ(nullptr, log);
  EXPECT_FALSE(Env::Default()->FileExists(SegmentFile(2)));
}

TEST_F(LogTest, AppendRejectsReservedTypeAndOversizedRecord) {
  ASSERT_TRUE(OpenLog().ok());
  EXPECT_TRUE(log_->Append(kReservedType, "x").status().IsInvalidArgument());
  EXPECT_TRUE(log_->Append(1, std::string(kMaxRecordBytes + 1, 'x')).status().IsInvalidArgument());
  // Neither failure is sticky.
  EXPECT_TRUE(log_->AppendAndSync(1, "ok").ok());
}

TEST_F(LogTest, RecordLargerThanSegmentGetsItsOwnSegment) {
  ASSERT_TRUE(OpenLog(/*segment_bytes=*/100).ok());
  ASSERT_TRUE(log_->Append(1, std::string(1000, 'x')).ok());
  EXPECT_EQ(1u, log_->current_segment());
  ASSERT_TRUE(log_->Append(1, "small").ok());
  EXPECT_EQ(2u, log_->current_segment());
  ASSERT_TRUE(OpenLog(100).ok());
  ASSERT_EQ(2u, recovered_.size());
  EXPECT_EQ(std::string(1000, 'x'), recovered_[0].payload);
}

TEST_F(LogTest, SyncOfDurableLsnDoesNotSyncAgain) {
  ASSERT_TRUE(OpenLog().ok());
  Lsn last = 0;
  for (int i = 0; i < 10; ++i) last = *log_->Append(1, PayloadFor(i));
  ASSERT_TRUE(log_->Sync(5).ok());
  EXPECT_EQ(1u, log_->stats().syncs);
  ASSERT_TRUE(log_->Sync(last).ok());  // covered by the sync above
  ASSERT_TRUE(log_->Sync(0).ok());
  EXPECT_EQ(1u, log_->stats().syncs);
  EXPECT_EQ(10u, log_->stats().appends);
  EXPECT_TRUE(log_->Sync(last + 1).IsInvalidArgument());
}

TEST_F(LogTest, RotateStartsNewSegment) {
  ASSERT_TRUE(OpenLog().ok());
  ASSERT_TRUE(log_->Append(1, "a").ok());
  auto rotated = log_->Rotate();
  ASSERT_TRUE(rotated.ok());
  EXPECT_EQ(2u, *rotated);
  EXPECT_EQ(2u, log_->current_segment());
  ASSERT_TRUE(log_->Append(1, "b").ok());
  ASSERT_TRUE(OpenLog().ok());
  ASSERT_EQ(2u, recovered_.size());
  EXPECT_EQ(1u, recovered_[0].segment);
  EXPECT_EQ(2u, recovered_[1].segment);
}

TEST_F(LogTest, RemoveSegmentsBeforeDeletesOlderSegments) {
  ASSERT_TRUE(OpenLog().ok());
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(log_->Append(1, PayloadFor(i)).ok());
    ASSERT_TRUE(log_->Rotate().ok());
  }
  ASSERT_TRUE(log_->Append(1, "kept").ok());
  const uint64_t current = log_->current_segment();
  ASSERT_EQ(5u, current);

  ASSERT_TRUE(log_->RemoveSegmentsBefore(3).ok());
  std::vector<uint64_t> segments;
  ASSERT_TRUE(ListSegments(Env::Default(), dir_, &segments).ok());
  EXPECT_EQ(std::vector<uint64_t>({3, 4, 5}), segments);

  // Never the current segment, however far the caller asks.
  ASSERT_TRUE(log_->RemoveSegmentsBefore(current + 10).ok());
  ASSERT_TRUE(ListSegments(Env::Default(), dir_, &segments).ok());
  EXPECT_EQ(std::vector<uint64_t>({current}), segments);

  ASSERT_TRUE(OpenLog().ok());
  EXPECT_EQ(std::vector<std::string>({"kept"}), Payloads(recovered_));
  EXPECT_EQ(current, open_report_.first_segment);
}

// Runs `threads` workers that each do AppendAndSync `per_thread` times, then checks that
// every record came back, in order per thread.
void ExpectEveryRecordRecovered(const std::string& dir, int threads, int per_thread) {
  std::vector<LogRecord> records;
  ASSERT_TRUE(ReadLog(Env::Default(), dir, CollectInto(&records), nullptr).ok());
  ASSERT_EQ(static_cast<size_t>(threads * per_thread), records.size());
  std::vector<int> next(threads, 0);
  for (const LogRecord& record : records) {
    Decoder decoder(record.payload);
    uint64_t thread = 0, i = 0;
    ASSERT_TRUE(decoder.GetVarint64(&thread) && decoder.GetVarint64(&i));
    ASSERT_LT(thread, static_cast<uint64_t>(threads));
    EXPECT_EQ(static_cast<uint64_t>(next[thread]++), i) << "thread " << thread;
  }
}

std::string ThreadPayload(int thread, int i) {
  std::string payload;
  PutVarint64(&payload, thread);
  PutVarint64(&payload, i);
  return payload;
}

TEST_F(LogTest, ConcurrentAppendAndSyncKeepsEveryRecord) {
  constexpr int kThreads = 8, kPerThread = 500;
  ASSERT_TRUE(OpenLog(/*segment_bytes=*/16 << 10).ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto lsn = log_->AppendAndSync(1, ThreadPayload(t, i));
        ASSERT_TRUE(lsn.ok()) << lsn.status().ToString();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const Log::Stats stats = log_->stats();
  EXPECT_EQ(static_cast<uint64_t>(kThreads * kPerThread), stats.appends);
  EXPECT_GT(stats.syncs, 0u);
  EXPECT_GT(log_->current_segment(), 1u);  // rotations happened under load
  log_.reset();
  ExpectEveryRecordRecovered(dir_, kThreads, kPerThread);
}

// Forwards to the default Env, but WritableFile::Sync first waits until the test's
// predicate on the number of appends so far lets it through.
class GatedEnv : public Env {
 public:
  using Gate = std::function<bool(uint64_t appends)>;

  void SetGate(Gate gate) {
    std::lock_guard<std::mutex> lock(mu_);
    gate_ = std::move(gate);
    cv_.notify_all();
  }
  uint64_t appends() {
    std::lock_guard<std::mutex> lock(mu_);
    return appends_;
  }
  void WaitForBlockedSync() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return blocked_ > 0; });
  }

  Status NewWritableFile(const std::string& path, std::unique_ptr<WritableFile>* out) override {
    std::unique_ptr<WritableFile> base;
    TWOPC_RETURN_IF_ERROR(Env::Default()->NewWritableFile(path, &base));
    *out = std::make_unique<File>(this, std::move(base));
    return Status::Ok();
  }
  Status ReadFileToString(const std::string& path, std::string* out) override {
    return Env::Default()->ReadFileToString(path, out);
  }
  Status ListDir(const std::string& dir, std::vector<std::string>* names) override {
    return Env::Default()->ListDir(dir, names);
  }
  Status CreateDirIfMissing(const std::string& dir) override {
    return Env::Default()->CreateDirIfMissing(dir);
  }
  Status DeleteFile(const std::string& path) override { return Env::Default()->DeleteFile(path); }
  Status Truncate(const std::string& path, uint64_t size) override {
    return Env::Default()->Truncate(path, size);
  }
  Status SyncDir(const std::string& dir) override { return Env::Default()->SyncDir(dir); }
  bool FileExists(const std::string& path) override { return Env::Default()->FileExists(path); }

 private:
  class File : public WritableFile {
   public:
    File(GatedEnv* env, std::unique_ptr<WritableFile> base) : env_(env), base_(std::move(base)) {}
    Status Append(std::string_view data) override {
      TWOPC_RETURN_IF_ERROR(base_->Append(data));
      std::lock_guard<std::mutex> lock(env_->mu_);
      ++env_->appends_;
      env_->cv_.notify_all();
      return Status::Ok();
    }
    Status Sync() override {
      {
        std::unique_lock<std::mutex> lock(env_->mu_);
        ++env_->blocked_;
        env_->cv_.notify_all();
        env_->cv_.wait(lock, [this] { return !env_->gate_ || env_->gate_(env_->appends_); });
        --env_->blocked_;
      }
      return base_->Sync();
    }
    Status Close() override { return base_->Close(); }
    uint64_t Size() const override { return base_->Size(); }
    Status Preallocate(uint64_t size) override { return base_->Preallocate(size); }
    Status TruncateToSize() override { return base_->TruncateToSize(); }

   private:
    GatedEnv* const env_;
    const std::unique_ptr<WritableFile> base_;
  };

  std::mutex mu_;
  std::condition_variable cv_;
  Gate gate_;
  uint64_t appends_ = 0;
  int blocked_ = 0;
};

// A reusable barrier (std::barrier is C++20).
class Barrier {
 public:
  explicit Barrier(int count) : count_(count) {}
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    const uint64_t generation = generation_;
    if (++arrived_ == count_) {
      arrived_ = 0;
      ++generation_;
      cv_.notify_all();
      return;
    }
    cv_.wait(lock, [&] { return generation_ != generation; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  const int count_;
  int arrived_ = 0;
  uint64_t generation_ = 0;
};

TEST_F(LogTest, AppendsProceedWhileSyncIsRunning) {
  GatedEnv env;
  LogOptions options = Options();
  options.env = &env;
  ASSERT_TRUE(Log::Open(options, CollectInto(&recovered_), &log_).ok());
  env.SetGate([](uint64_t) { return false; });  // hold every sync

  const Lsn first = *log_->Append(1, "first");
  Status synced;
  std::thread syncer([&] { synced = log_->Sync(first); });
  env.WaitForBlockedSync();
  // The fdatasync is stuck; appends must not wait for it (this would hang if they did).
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(log_->Append(1, PayloadFor(i)).ok());
  env.SetGate(nullptr);
  syncer.join();
  EXPECT_TRUE(synced.ok()) << synced.ToString();
  EXPECT_EQ(101u, log_->stats().appends);
  EXPECT_EQ(1u, log_->stats().syncs);
}

// Two callers arrive while a sync runs: when it ends, one of them is handed
// the next fdatasync, which covers both; nobody is left waiting.
TEST_F(LogTest, WaitersBehindARunningSyncAreHandedOneMoreSync) {
  GatedEnv env;
  LogOptions options = Options();
  options.env = &env;
  ASSERT_TRUE(Log::Open(options, CollectInto(&recovered_), &log_).ok());
  const uint64_t base = env.appends();
  const uint64_t syncs_before = log_->stats().syncs;
  // Every fdatasync waits until all three records are written.
  env.SetGate([base](uint64_t appends) { return appends - base >= 3; });
  std::thread first([&] { EXPECT_TRUE(log_->AppendAndSync(1, "first").ok()); });
  env.WaitForBlockedSync();
  std::thread second([&] { EXPECT_TRUE(log_->AppendAndSync(1, "second").ok()); });
  std::thread third([&] { EXPECT_TRUE(log_->AppendAndSync(1, "third").ok()); });
  first.join();
  second.join();
  third.join();
  // The first sync covered only its own record (the others came later).
  EXPECT_EQ(log_->stats().syncs - syncs_before, 2u);
  log_.reset();
  ASSERT_TRUE(OpenLog().ok());
  EXPECT_EQ(recovered_.size(), 3u);
}

TEST_F(LogTest, GroupCommitSharesFdatasyncAmongWaiters) {
  constexpr int kThreads = 8, kRounds = 500;
  GatedEnv env;
  LogOptions options = Options();
  options.env = &env;
  ASSERT_TRUE(Log::Open(options, CollectInto(&recovered_), &log_).ok());
  // In each round every thread appends one record and syncs it. A sync may only start
  // once all the round's appends are written, so whoever syncs first blocks while the
  // others append and queue up behind it: at most two fdatasyncs per round.
  const uint64_t base = env.appends();
  env.SetGate([base](uint64_t appends) { return (appends - base) % kThreads == 0; });

  Barrier barrier(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRounds; ++i) {
        barrier.Wait();
        auto lsn = log_->AppendAndSync(1, ThreadPayload(t, i));
        ASSERT_TRUE(lsn.ok()) << lsn.status().ToString();
      }
    });
  }
  for (auto& thread : threads) thread.join();

  const Log::Stats stats = log_->stats();
  EXPECT_EQ(static_cast<uint64_t>(kThreads * kRounds), stats.appends);
  EXPECT_GE(stats.syncs, static_cast<uint64_t>(kRounds));
  EXPECT_LE(stats.syncs, static_cast<uint64_t>(2 * kRounds));
  EXPECT_LT(stats.syncs, stats.appends);
  log_.reset();
  ExpectEveryRecordRecovered(dir_, kThreads, kRounds);
}

}  // namespace
}  // namespace twopc::wal
