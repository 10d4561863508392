#include "coordinator/core/coordinator_records.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace twopc::coordinator {
namespace {

CommitRecord SampleCommit(int64_t txid) {
  CommitRecord record;
  record.txid = txid;
  record.committed_at_ms = 1700000000456;
  record.participants = {"bank-a:9001", std::string("b\0inary", 7), ""};
  return record;
}

void ExpectSameCommit(const CommitRecord& got, const CommitRecord& want) {
  EXPECT_EQ(got.txid, want.txid);
  EXPECT_EQ(got.committed_at_ms, want.committed_at_ms);
  EXPECT_EQ(got.participants, want.participants);
}

// Deterministic garbage of the given length.
std::string Garbage(size_t length, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(length, '\0');
  for (char& c : out) c = static_cast<char>(rng() & 0xff);
  return out;
}

TEST(CoordinatorRecords, EpochRoundTrips) {
  for (uint64_t epoch : {uint64_t{0}, uint64_t{1}, ~uint64_t{0}}) {
    StatusOr<uint64_t> decoded = DecodeEpoch(EncodeEpoch(epoch));
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(*decoded, epoch);
  }
}

TEST(CoordinatorRecords, CommitRoundTripsParticipants) {
  const CommitRecord record = SampleCommit(int64_t{5} << 40 | 3);
  StatusOr<CommitRecord> decoded = DecodeCommit(EncodeCommit(record));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ExpectSameCommit(*decoded, record);
}

TEST(CoordinatorRecords, CommitWithoutParticipantsRoundTrips) {
  CommitRecord record;
  record.txid = 9;
  StatusOr<CommitRecord> decoded = DecodeCommit(EncodeCommit(record));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ExpectSameCommit(*decoded, record);
}

TEST(CoordinatorRecords, EndRoundTrips) {
  StatusOr<int64_t> decoded = DecodeEnd(EncodeEnd(-12345));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, -12345);
}

TEST(CoordinatorRecords, CheckpointRoundTripsEpochAndUndelivered) {
  CheckpointRecord record;
  record.epoch = 42;
  record.undelivered = {SampleCommit(1), SampleCommit(2)};
  StatusOr<CheckpointRecord> decoded = DecodeCheckpoint(EncodeCheckpoint(record));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->epoch, 42u);
  ASSERT_EQ(decoded->undelivered.size(), 2u);
  ExpectSameCommit(decoded->undelivered[0], record.undelivered[0]);
  ExpectSameCommit(decoded->undelivered[1], record.undelivered[1]);
}

TEST(CoordinatorRecords, MismatchRoundTripsAndTruncationIsCorruption) {
  const MismatchRecord record{7, "p2", false, 99};
  const std::string encoded = EncodeMismatch(record);
  StatusOr<MismatchRecord> decoded = DecodeMismatch(encoded);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->txid, 7);
  EXPECT_EQ(decoded->participant, "p2");
  EXPECT_FALSE(decoded->forced_commit);
  EXPECT_EQ(decoded->reported_at_ms, 99);
  for (size_t n = 0; n < encoded.size(); ++n) {
    EXPECT_TRUE(DecodeMismatch(encoded.substr(0, n)).status().IsCorruption()) << n;
  }
  CheckpointRecord checkpoint;
  checkpoint.epoch = 5;
  checkpoint.mismatches = {record};
  StatusOr<CheckpointRecord> round = DecodeCheckpoint(EncodeCheckpoint(checkpoint));
  ASSERT_TRUE(round.ok());
  ASSERT_EQ(round->mismatches.size(), 1u);
  EXPECT_EQ(round->mismatches[0].participant, "p2");
}

TEST(CoordinatorRecords, EmptyCheckpointRoundTrips) {
  CheckpointRecord record;
  record.epoch = 7;
  StatusOr<CheckpointRecord> decoded = DecodeCheckpoint(EncodeCheckpoint(record));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->epoch, 7u);
  EXPECT_TRUE(decoded->undelivered.empty());
}

TEST(CoordinatorRecords, EveryTruncatedRecordIsCorruption) {
  CheckpointRecord checkpoint;
  checkpoint.epoch = 3;
  checkpoint.undelivered = {SampleCommit(1)};
  const std::string epoch = EncodeEpoch(3);
  const std::string commit = EncodeCommit(SampleCommit(1));
  const std::string end = EncodeEnd(1);
  const std::string cp = EncodeCheckpoint(checkpoint);
  for (size_t n = 0; n < epoch.size(); ++n) {
    EXPECT_TRUE(DecodeEpoch(epoch.substr(0, n)).status().IsCorruption()) << n;
  }
  for (size_t n = 0; n < commit.size(); ++n) {
    EXPECT_TRUE(DecodeCommit(commit.substr(0, n)).status().IsCorruption()) << n;
  }
  for (size_t n = 0; n < end.size(); ++n) {
    EXPECT_TRUE(DecodeEnd(end.substr(0, n)).status().IsCorruption()) << n;
  }
  for (size_t n = 0; n < cp.size(); ++n) {
    EXPECT_TRUE(DecodeCheckpoint(cp.substr(0, n)).status().IsCorruption()) << n;
  }
}

TEST(CoordinatorRecords, TrailingBytesAreCorruption) {
  CheckpointRecord checkpoint;
  EXPECT_TRUE(DecodeEpoch(EncodeEpoch(1) + "x").status().IsCorruption());
  EXPECT_TRUE(DecodeCommit(EncodeCommit(SampleCommit(1)) + "x").status().IsCorruption());
  EXPECT_TRUE(DecodeEnd(EncodeEnd(1) + "x").status().IsCorruption());
  EXPECT_TRUE(DecodeCheckpoint(EncodeCheckpoint(checkpoint) + "x").status().IsCorruption());
}

TEST(CoordinatorRecords, HugeParticipantCountIsCorruption) {
  std::string payload = EncodeEnd(1) + EncodeEnd(0);                  // txid and time: 16 bytes
  payload += std::string("\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 9);  // count 2^63 - 1
  EXPECT_TRUE(DecodeCommit(payload).status().IsCorruption());
}

TEST(CoordinatorRecords, GarbageNeverCrashesTheDecoders) {
  for (uint32_t seed = 0; seed < 500; ++seed) {
    const std::string garbage = Garbage(seed % 64, seed);
    StatusOr<CommitRecord> commit = DecodeCommit(garbage);
    if (commit.ok()) {
      EXPECT_LE(commit->participants.size(), garbage.size()) << "seed " << seed;
    }
    StatusOr<CheckpointRecord> checkpoint = DecodeCheckpoint(garbage);
    if (checkpoint.ok()) {
      EXPECT_LE(checkpoint->undelivered.size(), garbage.size()) << "seed " << seed;
    }
    EXPECT_EQ(DecodeEpoch(garbage).ok(), garbage.size() == 8) << "seed " << seed;
    EXPECT_EQ(DecodeEnd(garbage).ok(), garbage.size() == 8) << "seed " << seed;
  }
}

}  // namespace
}  // namespace twopc::coordinator
