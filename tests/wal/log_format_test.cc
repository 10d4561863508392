#include "wal/log_format.h"

#include <gtest/gtest.h>

#include <string>

#include "wal/coding.h"
#include "wal/crc32c.h"

namespace twopc::wal {
namespace {

constexpr uint64_t kSegment = 7;

std::string Frame1(RecordType type, std::string_view payload, uint64_t segment = kSegment) {
  std::string out;
  EncodeFrame(segment, type, payload, &out);
  return out;
}

TEST(LogFormatTest, EncodeDecodeRoundTrip) {
  std::string data = Frame1(3, "first") + Frame1(200, "") + Frame1(1, std::string(5000, 'z'));
  Frame frame;
  size_t offset = 0;
  ASSERT_EQ(FrameStatus::kOk, DecodeFrame(data, offset, kSegment, &frame));
  EXPECT_EQ(3, frame.type);
  EXPECT_EQ("first", frame.payload);
  EXPECT_EQ(kFrameHeaderSize + 5, frame.size);
  offset += frame.size;
  ASSERT_EQ(FrameStatus::kOk, DecodeFrame(data, offset, kSegment, &frame));
  EXPECT_EQ(200, frame.type);
  EXPECT_EQ("", frame.payload);
  offset += frame.size;
  ASSERT_EQ(FrameStatus::kOk, DecodeFrame(data, offset, kSegment, &frame));
  EXPECT_EQ(std::string(5000, 'z'), frame.payload);
  offset += frame.size;
  EXPECT_EQ(FrameStatus::kEnd, DecodeFrame(data, offset, kSegment, &frame));
}

TEST(LogFormatTest, FrameLayoutIsCrcLengthTypePayload) {
  std::string data = Frame1(9, "abc");
  ASSERT_EQ(kFrameHeaderSize + 3, data.size());
  EXPECT_EQ(3u, DecodeFixed32(data.data() + 4));
  EXPECT_EQ(9, data[8]);
  EXPECT_EQ("abc", data.substr(9));
}

TEST(LogFormatTest, ZeroHeaderMeansNoMoreRecords) {
  std::string data = Frame1(1, "x");
  const size_t end = data.size();
  data.append(100, '\0');
  Frame frame;
  EXPECT_EQ(FrameStatus::kZeros, DecodeFrame(data, end, kSegment, &frame));
  // Zeros too short to hold a header are still zeros, not a truncated record.
  EXPECT_EQ(FrameStatus::kZeros, DecodeFrame(data, data.size() - 3, kSegment, &frame));
}

TEST(LogFormatTest, TruncatedHeaderOrPayload) {
  const std::string data = Frame1(1, "payload");
  Frame frame;
  for (size_t cut = 1; cut < data.size(); ++cut) {
    EXPECT_EQ(FrameStatus::kTruncated, DecodeFrame(data.substr(0, cut), 0, kSegment, &frame))
        << cut;
  }
}

TEST(LogFormatTest, BadLength) {
  std::string data = Frame1(1, "payload");
  std::string length;
  PutFixed32(&length, static_cast<uint32_t>(kMaxRecordBytes) + 1);
  data.replace(4, 4, length);
  Frame frame;
  EXPECT_EQ(FrameStatus::kBadLength, DecodeFrame(data, 0, kSegment, &frame));
}

TEST(LogFormatTest, ChecksumMismatchOnAnyFlippedByte) {
  const std::string good = Frame1(5, "some payload");
  Frame frame;
  // Flipping a CRC, type or payload byte must fail the checksum. (Length bytes give
  // kTruncated or kBadLength instead, or a CRC failure when the length shrinks.)
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] ^= 0x01;
    FrameStatus status = DecodeFrame(bad, 0, kSegment, &frame);
    EXPECT_NE(FrameStatus::kOk, status) << i;
    if (i < 4 || i >= 8) {
      EXPECT_EQ(FrameStatus::kChecksumMismatch, status) << i;
    }
  }
}

TEST(LogFormatTest, RecordFromAnotherSegmentIsRejected) {
  const std::string data = Frame1(1, "stale", kSegment);
  Frame frame;
  EXPECT_EQ(FrameStatus::kOk, DecodeFrame(data, 0, kSegment, &frame));
  EXPECT_EQ(FrameStatus::kChecksumMismatch, DecodeFrame(data, 0, kSegment + 1, &frame));
}

TEST(LogFormatTest, ReservedTypeIsRejected) {
  // A frame claiming type 0 with a CRC that would otherwise match.
  std::string data = Frame1(1, "x");
  data[8] = 0;
  Frame frame;
  EXPECT_EQ(FrameStatus::kChecksumMismatch, DecodeFrame(data, 0, kSegment, &frame));
}

TEST(LogFormatTest, DecodeAtOffsetPastEndIsEnd) {
  Frame frame;
  EXPECT_EQ(FrameStatus::kEnd, DecodeFrame("", 0, kSegment, &frame));
  EXPECT_EQ(FrameStatus::kEnd, DecodeFrame("abc", 5, kSegment, &frame));
}

TEST(LogFormatTest, SegmentHeaderRoundTrip) {
  const std::string header = EncodeSegmentHeader(42);
  ASSERT_EQ(kSegmentHeaderSize, header.size());
  EXPECT_EQ("TWOPCWAL", header.substr(0, 8));
  uint64_t segment = 0;
  ASSERT_TRUE(DecodeSegmentHeader(header + "trailing records", &segment).ok());
  EXPECT_EQ(42u, segment);
}

TEST(LogFormatTest, DamagedSegmentHeaderIsCorruption) {
  const std::string header = EncodeSegmentHeader(42);
  uint64_t segment = 0;
  EXPECT_TRUE(DecodeSegmentHeader(header.substr(0, 10), &segment).IsCorruption());
  for (size_t i = 0; i < header.size(); ++i) {
    std::string bad = header;
    bad[i] ^= 0x10;
    EXPECT_TRUE(DecodeSegmentHeader(bad, &segment).IsCorruption()) << i;
  }
}

TEST(LogFormatTest, UnknownVersionIsCorruption) {
  // A header whose CRC is right but whose version is not ours.
  std::string header(kSegmentMagic);
  PutFixed32(&header, kFormatVersion + 1);
  PutFixed64(&header, 1);
  PutFixed32(&header, MaskCrc(Crc32c(header.data(), header.size())));
  uint64_t segment = 0;
  Status status = DecodeSegmentHeader(header, &segment);
  EXPECT_TRUE(status.IsCorruption());
  EXPECT_NE(std::string::npos, status.message().find("version")) << status.ToString();
}

TEST(LogFormatTest, SegmentFileNames) {
  EXPECT_EQ("wal-0000000000000001.log", SegmentFileName(1));
  EXPECT_EQ("wal-0000000000000042.log", SegmentFileName(42));
  uint64_t segment = 0;
  ASSERT_TRUE(ParseSegmentFileName("wal-0000000000000042.log", &segment));
  EXPECT_EQ(42u, segment);
  ASSERT_TRUE(ParseSegmentFileName("wal-9999999999999999.log", &segment));
  EXPECT_EQ(9999999999999999u, segment);
  EXPECT_FALSE(ParseSegmentFileName("wal-42.log", &segment));
  EXPECT_FALSE(ParseSegmentFileName("wal-0000000000000000.log", &segment));
  EXPECT_FALSE(ParseSegmentFileName("wal-00000000000000x2.log", &segment));
  EXPECT_FALSE(ParseSegmentFileName("wal-0000000000000042.log.tmp", &segment));
  EXPECT_FALSE(ParseSegmentFileName("xal-0000000000000042.log", &segment));
  EXPECT_FALSE(ParseSegmentFileName("wal-9999999999999999999.log", &segment));
}

}  // namespace
}  // namespace twopc::wal
