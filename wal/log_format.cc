#include "wal/log_format.h"

#include <cinttypes>
#include <cstdio>

#include "wal/coding.h"
#include "wal/crc32c.h"

namespace twopc::wal {
namespace {

constexpr std::string_view kNamePrefix = "wal-";
constexpr std::string_view kNameSuffix = ".log";
constexpr size_t kNameDigits = 16;

uint32_t FrameCrc(uint64_t segment, RecordType type, std::string_view payload) {
  char prefix[9];
  EncodeFixed64(prefix, segment);
  prefix[8] = static_cast<char>(type);
  uint32_t crc = Crc32c(prefix, sizeof(prefix));
  return Crc32c(payload.data(), payload.size(), crc);
}

}  // namespace

std::string SegmentFileName(uint64_t segment) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "wal-%016" PRIu64 ".log", segment);
  return buf;
}

bool ParseSegmentFileName(std::string_view name, uint64_t* segment) {
  if (name.size() != kNamePrefix.size() + kNameDigits + kNameSuffix.size() ||
      name.substr(0, kNamePrefix.size()) != kNamePrefix ||
      name.substr(name.size() - kNameSuffix.size()) != kNameSuffix) {
    return false;
  }
  uint64_t value = 0;
  for (char c : name.substr(kNamePrefix.size(), kNameDigits)) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint64_t>(c - '0');  // 16 digits cannot overflow
  }
  if (value == 0) return false;  // segments are numbered from 1
  *segment = value;
  return true;
}

std::string EncodeSegmentHeader(uint64_t segment) {
  std::string header(kSegmentMagic);
  PutFixed32(&header, kFormatVersion);
  PutFixed64(&header, segment);
  PutFixed32(&header, MaskCrc(Crc32c(header.data(), header.size())));
  return header;
}

Status DecodeSegmentHeader(std::string_view data, uint64_t* segment) {
  if (data.size() < kSegmentHeaderSize) {
    return Status::Corruption("segment header cut short (" + std::to_string(data.size()) + " of " +
                              std::to_string(kSegmentHeaderSize) + " bytes)");
  }
  if (data.substr(0, kSegmentMagic.size()) != kSegmentMagic) {
    return Status::Corruption("bad segment magic");
  }
  const size_t crc_offset = kSegmentHeaderSize - 4;
  uint32_t expected = UnmaskCrc(DecodeFixed32(data.data() + crc_offset));
  if (Crc32c(data.data(), crc_offset) != expected) {
    return Status::Corruption("segment header checksum mismatch");
  }
  uint32_t version = DecodeFixed32(data.data() + kSegmentMagic.size());
  if (version != kFormatVersion) {
    return Status::Corruption("unsupported format version " + std::to_string(version));
  }
  *segment = DecodeFixed64(data.data() + kSegmentMagic.size() + 4);
  return Status::Ok();
}

void EncodeFrame(uint64_t segment, RecordType type, std::string_view payload, std::string* dst) {
  PutFixed32(dst, MaskCrc(FrameCrc(segment, type, payload)));
  PutFixed32(dst, static_cast<uint32_t>(payload.size()));
  dst->push_back(static_cast<char>(type));
  dst->append(payload.data(), payload.size());
}

const char* FrameStatusName(FrameStatus status) {
  switch (status) {
    case FrameStatus::kOk:
      return "ok";
    case FrameStatus::kEnd:
      return "end of data";
    case FrameStatus::kZeros:
      return "zero-filled header";
    case FrameStatus::kTruncated:
      return "record runs past end of file";
    case FrameStatus::kBadLength:
      return "bad record length";
    case FrameStatus::kChecksumMismatch:
      return "checksum mismatch";
  }
  return "unknown";
}

FrameStatus DecodeFrame(std::string_view data, size_t offset, uint64_t segment, Frame* frame) {
  if (offset >= data.size()) return FrameStatus::kEnd;
  std::string_view rest = data.substr(offset);
  std::string_view header = rest.substr(0, kFrameHeaderSize);
  if (header.find_first_not_of('\0') == std::string_view::npos) return FrameStatus::kZeros;
  if (header.size() < kFrameHeaderSize) return FrameStatus::kTruncated;

  uint32_t masked_crc = DecodeFixed32(header.data());
  uint32_t length = DecodeFixed32(header.data() + 4);
  auto type = static_cast<RecordType>(header[8]);
  if (length > kMaxRecordBytes) return FrameStatus::kBadLength;
  if (length > rest.size() - kFrameHeaderSize) return FrameStatus::kTruncated;

  std::string_view payload = rest.substr(kFrameHeaderSize, length);
  // A reserved type can only come from damage: the writer never emits it.
  if (type == kReservedType || UnmaskCrc(masked_crc) != FrameCrc(segment, type, payload)) {
    return FrameStatus::kChecksumMismatch;
  }
  frame->type = type;
  frame->payload = payload;
  frame->size = kFrameHeaderSize + length;
  return FrameStatus::kOk;
}

}  // namespace twopc::wal
