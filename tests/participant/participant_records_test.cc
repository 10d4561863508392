#include "participant/participant_records.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace twopc::participant {
namespace {

PreparedRecord SamplePrepared(int64_t txid) {
  PreparedRecord record;
  record.txid = txid;
  record.prepared_at_ms = 1700000000123;
  record.coordinator = "coord.example:9090";
  // A well-formed changeset (the decoder checks it): table "t" (id, data), one
  // INSERT of (id = 0x00ff..., data = X'00ff01').
  record.changeset = std::string("T\x02\x01\x00t\x00", 6) + std::string("\x12\x00", 2) +
                     std::string("\x01\x00\xff\x00\x00\x00\x00\x00\x07", 9) +
                     std::string("\x04\x03\x00\xff\x01", 5);
  return record;
}

void ExpectSamePrepared(const PreparedRecord& got, const PreparedRecord& want) {
  EXPECT_EQ(got.txid, want.txid);
  EXPECT_EQ(got.prepared_at_ms, want.prepared_at_ms);
  EXPECT_EQ(got.coordinator, want.coordinator);
  EXPECT_EQ(got.changeset, want.changeset);
  EXPECT_EQ(got.read_locks, want.read_locks);
}

PreparedRecord SamplePreparedWithReadLocks(int64_t txid) {
  PreparedRecord record = SamplePrepared(txid);
  record.read_locks = {RowLock{std::string("t\0i\x01", 4), LockMode::kShared},
                       RowLock{std::string("u\0t\x00", 4), LockMode::kExclusive}};
  return record;
}

// Deterministic garbage of the given length.
std::string Garbage(size_t length, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(length, '\0');
  for (char& c : out) c = static_cast<char>(rng() & 0xff);
  return out;
}

TEST(ParticipantRecords, PreparedRoundTripsBinaryChangeset) {
  const PreparedRecord record = SamplePrepared(7);
  StatusOr<PreparedRecord> decoded = DecodePrepared(EncodePrepared(record));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ExpectSamePrepared(*decoded, record);
}

TEST(ParticipantRecords, PreparedRoundTripsNegativeAndEmptyFields) {
  PreparedRecord record;
  record.txid = -5;
  StatusOr<PreparedRecord> decoded = DecodePrepared(EncodePrepared(record));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ExpectSamePrepared(*decoded, record);
}

TEST(ParticipantRecords, EveryTruncatedPreparedIsCorruption) {
  const std::string encoded = EncodePrepared(SamplePrepared(7));
  for (size_t length = 0; length < encoded.size(); ++length) {
    StatusOr<PreparedRecord> decoded = DecodePrepared(std::string_view(encoded).substr(0, length));
    EXPECT_TRUE(decoded.status().IsCorruption()) << "length " << length;
  }
}

TEST(ParticipantRecords, PreparedRoundTripsReadLocks) {
  const PreparedRecord record = SamplePreparedWithReadLocks(8);
  StatusOr<PreparedRecord> decoded = DecodePrepared(EncodePrepared(record));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ExpectSamePrepared(*decoded, record);
}

TEST(ParticipantRecords, PreparedWithoutReadLocksIsEncodedAsBefore) {
  PreparedRecord with = SamplePreparedWithReadLocks(8);
  const PreparedRecord without = SamplePrepared(8);
  EXPECT_EQ(EncodePrepared(with).substr(0, EncodePrepared(without).size()),
            EncodePrepared(without));
}

// A cut inside the read locks is corruption. (A cut exactly where they begin
// reads as a record without them: the log's checksum over the whole record is
// what catches that one.)
TEST(ParticipantRecords, EveryCutInsideTheReadLocksIsCorruption) {
  const std::string encoded = EncodePrepared(SamplePreparedWithReadLocks(8));
  const size_t locks_start = EncodePrepared(SamplePrepared(8)).size();
  for (size_t length = locks_start + 1; length < encoded.size(); ++length) {
    StatusOr<PreparedRecord> decoded = DecodePrepared(std::string_view(encoded).substr(0, length));
    EXPECT_TRUE(decoded.status().IsCorruption()) << "length " << length;
  }
}

TEST(ParticipantRecords, ReadLockWithUnknownModeIsCorruption) {
  std::string encoded = EncodePrepared(SamplePreparedWithReadLocks(8));
  const size_t locks_start = EncodePrepared(SamplePrepared(8)).size();
  encoded[locks_start + 1] = 9;  // after the count: the first lock's mode
  EXPECT_TRUE(DecodePrepared(encoded).status().IsCorruption());
}

TEST(ParticipantRecords, PreparedWithTrailingBytesIsCorruption) {
  EXPECT_TRUE(DecodePrepared(EncodePrepared(SamplePrepared(7)) + "x").status().IsCorruption());
}

HeuristicRecord SampleHeuristic(int64_t txid, HeuristicOutcome outcome) {
  return HeuristicRecord{txid, outcome, 1700000000999};
}

void ExpectSameHeuristic(const HeuristicRecord& got, const HeuristicRecord& want) {
  EXPECT_EQ(got.txid, want.txid);
  EXPECT_EQ(got.outcome, want.outcome);
  EXPECT_EQ(got.decided_at_ms, want.decided_at_ms);
}

CheckpointRecord SampleCheckpoint() {
  CheckpointRecord record;
  record.prepared = {SamplePrepared(1), SamplePreparedWithReadLocks(2), SamplePrepared(3)};
  record.heuristics = {SampleHeuristic(4, HeuristicOutcome::kCommit),
                       SampleHeuristic(5, HeuristicOutcome::kAbort)};
  record.mismatches = {SampleHeuristic(6, HeuristicOutcome::kCommit)};
  return record;
}

TEST(ParticipantRecords, CheckpointRoundTripsPreparedAndHeuristics) {
  const CheckpointRecord record = SampleCheckpoint();
  StatusOr<CheckpointRecord> decoded = DecodeCheckpoint(EncodeCheckpoint(record));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_EQ(decoded->prepared.size(), record.prepared.size());
  for (size_t i = 0; i < record.prepared.size(); ++i) {
    ExpectSamePrepared(decoded->prepared[i], record.prepared[i]);
  }
  ASSERT_EQ(decoded->heuristics.size(), record.heuristics.size());
  for (size_t i = 0; i < record.heuristics.size(); ++i) {
    ExpectSameHeuristic(decoded->heuristics[i], record.heuristics[i]);
  }
  ASSERT_EQ(decoded->mismatches.size(), 1u);
  ExpectSameHeuristic(decoded->mismatches[0], record.mismatches[0]);
}

TEST(ParticipantRecords, EmptyCheckpointRoundTrips) {
  StatusOr<CheckpointRecord> decoded = DecodeCheckpoint(EncodeCheckpoint(CheckpointRecord()));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_TRUE(decoded->prepared.empty());
  EXPECT_TRUE(decoded->heuristics.empty());
}

TEST(ParticipantRecords, EveryTruncatedCheckpointIsCorruption) {
  const std::string encoded = EncodeCheckpoint(SampleCheckpoint());
  for (size_t length = 0; length < encoded.size(); ++length) {
    EXPECT_TRUE(
        DecodeCheckpoint(std::string_view(encoded).substr(0, length)).status().IsCorruption())
        << "length " << length;
  }
}

TEST(ParticipantRecords, CheckpointWithTrailingBytesIsCorruption) {
  EXPECT_TRUE(DecodeCheckpoint(EncodeCheckpoint(SampleCheckpoint()) + "x").status().IsCorruption());
}

TEST(ParticipantRecords, CheckpointWithHugeCountIsCorruption) {
  // A varint count of 2^63 followed by nothing.
  const std::string payload("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", 10);
  EXPECT_TRUE(DecodeCheckpoint(payload).status().IsCorruption());
}

TEST(ParticipantRecords, CheckpointWithBadInnerRecordIsCorruption) {
  std::string payload;
  payload.push_back('\x01');  // one prepared record
  payload.push_back('\x03');  // of three bytes: far too short for a PREPARED
  payload += "abc";
  payload.push_back('\x00');  // no heuristics
  EXPECT_TRUE(DecodeCheckpoint(payload).status().IsCorruption());
}

TEST(ParticipantRecords, HeuristicRoundTripsBothOutcomes) {
  for (HeuristicOutcome outcome : {HeuristicOutcome::kCommit, HeuristicOutcome::kAbort}) {
    const HeuristicRecord record = SampleHeuristic(-3, outcome);
    StatusOr<HeuristicRecord> decoded = DecodeHeuristic(EncodeHeuristic(record));
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    ExpectSameHeuristic(*decoded, record);
  }
}

TEST(ParticipantRecords, HeuristicWithUnknownOutcomeIsCorruption) {
  std::string encoded = EncodeHeuristic(SampleHeuristic(1, HeuristicOutcome::kCommit));
  encoded[8] = 9;  // the outcome byte follows the 8-byte txid
  EXPECT_TRUE(DecodeHeuristic(encoded).status().IsCorruption());
}

TEST(ParticipantRecords, EveryTruncatedHeuristicIsCorruption) {
  const std::string encoded = EncodeHeuristic(SampleHeuristic(1, HeuristicOutcome::kAbort));
  for (size_t length = 0; length < encoded.size(); ++length) {
    EXPECT_TRUE(DecodeHeuristic(encoded.substr(0, length)).status().IsCorruption()) << length;
  }
  EXPECT_TRUE(DecodeHeuristic(encoded + "x").status().IsCorruption());
}

TEST(ParticipantRecords, TxidsRoundTrip) {
  const std::vector<int64_t> txids = {1, -1, int64_t{1} << 50, 0};
  StatusOr<std::vector<int64_t>> decoded = DecodeTxids(EncodeTxids(txids));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, txids);
}

TEST(ParticipantRecords, EmptyTxidsRoundTrip) {
  StatusOr<std::vector<int64_t>> decoded = DecodeTxids(EncodeTxids({}));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_TRUE(decoded->empty());
}

TEST(ParticipantRecords, EveryTruncatedTxidsIsCorruption) {
  const std::string encoded = EncodeTxids({1, 2, 3});
  for (size_t length = 0; length < encoded.size(); ++length) {
    EXPECT_TRUE(DecodeTxids(std::string_view(encoded).substr(0, length)).status().IsCorruption())
        << "length " << length;
  }
}

TEST(ParticipantRecords, TxidsWithTrailingBytesIsCorruption) {
  EXPECT_TRUE(DecodeTxids(EncodeTxids({1}) + "z").status().IsCorruption());
}

TEST(ParticipantRecords, GarbageNeverDecodesSilentlyIntoSomethingLarger) {
  for (uint32_t seed = 0; seed < 500; ++seed) {
    const std::string garbage = Garbage(seed % 64, seed);
    // Decoding must not crash; whatever it accepts must fit in the input.
    StatusOr<PreparedRecord> prepared = DecodePrepared(garbage);
    if (prepared.ok()) {
      EXPECT_LE(prepared->coordinator.size() + prepared->changeset.size(), garbage.size());
    }
    StatusOr<CheckpointRecord> checkpoint = DecodeCheckpoint(garbage);
    if (checkpoint.ok()) {
      EXPECT_LE(checkpoint->prepared.size() + checkpoint->heuristics.size(), garbage.size());
    }
    StatusOr<HeuristicRecord> heuristic = DecodeHeuristic(garbage);
    if (heuristic.ok()) {
      EXPECT_EQ(garbage.size(), 17u) << "seed " << seed;
    }
    StatusOr<std::vector<int64_t>> txids = DecodeTxids(garbage);
    if (txids.ok()) {
      EXPECT_LT(txids->size() * 8, garbage.size()) << "seed " << seed;
    }
  }
}

}  // namespace
}  // namespace twopc::participant
