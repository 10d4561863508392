// The on-disk format of the write-ahead log. Pure encode/decode; no I/O here.
//
// A log is a directory of segment files named "wal-%016llu.log", numbered from 1 up
// with no gaps (checkpoints delete a prefix). Each segment starts with a header:
//
//   magic "TWOPCWAL" (8) | format version u32 | segment number u64 | masked crc32c u32
//
// where the CRC covers the 20 bytes before it. Records follow, each framed as
//
//   masked crc32c u32 | payload length u32 | type u8 | payload
//
// All integers are little-endian. The record CRC covers the segment number (u64), the
// type and the payload, so a stale record copied or left over from another segment is
// rejected (an idea from RocksDB's recycled logs). Type 0 is reserved and never
// written: an all-zero frame header means "no more records in this segment"
// (zero fill, preallocation).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "wal/base/status.h"

namespace twopc::wal {

using RecordType = uint8_t;
using Lsn = uint64_t;

constexpr size_t kMaxRecordBytes = 64 << 20;
constexpr RecordType kReservedType = 0;

constexpr std::string_view kSegmentMagic = "TWOPCWAL";
constexpr uint32_t kFormatVersion = 1;
constexpr size_t kSegmentHeaderSize = 8 + 4 + 8 + 4;
constexpr size_t kFrameHeaderSize = 4 + 4 + 1;

// "wal-0000000000000042.log" for 42.
std::string SegmentFileName(uint64_t segment);
// True, setting *segment, when `name` is exactly a segment file name (number >= 1).
bool ParseSegmentFileName(std::string_view name, uint64_t* segment);

std::string EncodeSegmentHeader(uint64_t segment);
// Checks magic, version and CRC of the first kSegmentHeaderSize bytes of `data`.
// Corruption (with a short reason) when they are wrong or missing.
Status DecodeSegmentHeader(std::string_view data, uint64_t* segment);

// Appends the framed record to *dst.
void EncodeFrame(uint64_t segment, RecordType type, std::string_view payload, std::string* dst);

enum class FrameStatus {
  kOk,                // a valid record
  kEnd,               // offset is exactly the end of the data
  kZeros,             // an all-zero header (or all-zero bytes too short for one)
  kTruncated,         // header or payload runs past the end of the data
  kBadLength,         // length larger than kMaxRecordBytes
  kChecksumMismatch,  // CRC does not match (damaged, or written for another segment)
};
const char* FrameStatusName(FrameStatus status);

struct Frame {
  RecordType type = kReservedType;
  std::string_view payload;  // points into the decoded data
  size_t size = 0;           // header + payload: the next frame starts at offset + size
};

// Decodes the frame at data[offset...] of segment `segment`. Fills *frame only on kOk.
FrameStatus DecodeFrame(std::string_view data, size_t offset, uint64_t segment, Frame* frame);

}  // namespace twopc::wal
