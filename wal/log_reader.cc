#include "wal/log_reader.h"

#include <algorithm>
#include <cstring>

namespace twopc::wal {
namespace {

// The offset of the first non-zero byte at or after `from`, or npos. Word by word: a
// preallocated segment can end in many MiB of zeros.
size_t FirstNonZero(std::string_view data, size_t from) {
  size_t pos = from;
  for (; pos + sizeof(uint64_t) <= data.size(); pos += sizeof(uint64_t)) {
    uint64_t word;
    std::memcpy(&word, data.data() + pos, sizeof(word));
    if (word != 0) break;
  }
  for (; pos < data.size(); ++pos) {
    if (data[pos] != '\0') return pos;
  }
  return std::string_view::npos;
}

bool AllZeros(std::string_view data) { return FirstNonZero(data, 0) == std::string_view::npos; }

// The first offset >= `from` holding a frame that is valid for `segment`, or npos.
// A valid frame has a non-zero type byte (the last of its header), so offsets whose type
// byte would be a zero are skipped without decoding: past a tear, a zero-filled tail of
// many MiB costs one quick pass instead of a decode per byte. The result is the same as
// trying every offset.
size_t FindValidFrame(std::string_view data, size_t from, uint64_t segment) {
  constexpr size_t kTypeOffset = kFrameHeaderSize - 1;
  Frame frame;
  for (size_t pos = from; pos + kFrameHeaderSize <= data.size(); ++pos) {
    const size_t type_at = FirstNonZero(data, pos + kTypeOffset);
    if (type_at == std::string_view::npos) break;
    pos = type_at - kTypeOffset;
    if (DecodeFrame(data, pos, segment, &frame) == FrameStatus::kOk) return pos;
  }
  return std::string_view::npos;
}

const char* Describe(FrameStatus status) {
  if (status == FrameStatus::kZeros) return "zero-filled header followed by data";
  return FrameStatusName(status);
}

// "wal-0000000000000003.log offset 4096: " (the file name alone, for torn_detail) or with
// the full path (for errors).
std::string Where(const std::string& file, size_t offset) {
  return file + " offset " + std::to_string(offset) + ": ";
}

void MarkTorn(ReadReport* report, uint64_t segment, uint64_t offset, std::string detail) {
  report->torn_tail = true;
  report->torn_segment = segment;
  report->torn_offset = offset;
  report->torn_detail = std::move(detail);
}

Status ReadSegment(Env* env, const std::string& dir, uint64_t segment, bool is_last,
                   const RecordVisitor& visit, ReadReport* report) {
  const std::string path = SegmentPath(dir, segment);
  std::string data;
  TWOPC_RETURN_IF_ERROR(env->ReadFileToString(path, &data));

  const std::string name = SegmentFileName(segment);
  uint64_t header_segment = 0;
  Status header = DecodeSegmentHeader(data, &header_segment);
  if (!header.ok()) {
    // The writer syncs the header before any record (and before preallocating), so a
    // short file that is the newest segment is a crash while the segment was being
    // created.
    if (is_last && data.size() <= kSegmentHeaderSize) {
      MarkTorn(report, segment, 0, Where(name, 0) + header.message());
      return Status::Ok();
    }
    return Status::Corruption(Where(path, 0) + header.message());
  }
  if (header_segment != segment) {
    return Status::Corruption(Where(path, 0) + "header names segment " +
                              std::to_string(header_segment));
  }

  size_t offset = kSegmentHeaderSize;
  while (true) {
    Frame frame;
    FrameStatus status = DecodeFrame(data, offset, segment, &frame);
    if (status == FrameStatus::kEnd) return Status::Ok();
    if (status == FrameStatus::kOk) {
      LogRecord record{frame.type, std::string(frame.payload), segment, offset};
      TWOPC_RETURN_IF_ERROR(visit(record));
      ++report->records;
      offset += frame.size;
      continue;
    }
    if (status == FrameStatus::kZeros && AllZeros(std::string_view(data).substr(offset))) {
      if (!is_last) {
        // The writer cuts a segment to its records and syncs it before starting the
        // next one, so zeros here are damage (records zeroed after they were synced),
        // not preallocation: ending the segment quietly would drop them unseen.
        return Status::Corruption(Where(path, offset) +
                                  "zero-filled tail in a closed segment (a closed segment "
                                  "ends at its last record): records may have been lost");
      }
      // Zero fill ends the newest segment: preallocated space never written, or unsynced
      // data a crash lost (recovery trims it). No record is cut short, so this is a clean
      // end, not a torn tail.
      return Status::Ok();
    }
    if (!is_last) return Status::Corruption(Where(path, offset) + Describe(status));
    size_t next = FindValidFrame(data, offset + 1, segment);
    if (next != std::string_view::npos) {
      return Status::Corruption(Where(path, offset) + Describe(status) +
                                ", followed by a valid record at offset " + std::to_string(next));
    }
    MarkTorn(report, segment, offset, Where(name, offset) + Describe(status));
    return Status::Ok();
  }
}

}  // namespace

std::string SegmentPath(const std::string& dir, uint64_t segment) {
  if (!dir.empty() && dir.back() == '/') return dir + SegmentFileName(segment);
  return dir + "/" + SegmentFileName(segment);
}

Status ListSegments(Env* env, const std::string& dir, std::vector<uint64_t>* segments) {
  segments->clear();
  std::vector<std::string> names;
  TWOPC_RETURN_IF_ERROR(env->ListDir(dir, &names));
  for (const std::string& name : names) {
    uint64_t segment = 0;
    if (ParseSegmentFileName(name, &segment)) segments->push_back(segment);
  }
  std::sort(segments->begin(), segments->end());
  return Status::Ok();
}

Status ReadLog(Env* env, const std::string& dir, const RecordVisitor& visit, ReadReport* report) {
  ReadReport unused;
  if (report == nullptr) report = &unused;
  *report = ReadReport();

  std::vector<uint64_t> segments;
  Status listed = ListSegments(env, dir, &segments);
  if (listed.IsNotFound()) return Status::NotFound(dir + ": no such directory");
  TWOPC_RETURN_IF_ERROR(listed);
  if (segments.empty()) return Status::Ok();

  report->first_segment = segments.front();
  report->last_segment = segments.back();
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i > 0 && segments[i] != segments[i - 1] + 1) {
      return Status::Corruption(dir + ": segment " + std::to_string(segments[i - 1] + 1) +
                                " is missing (found " + std::to_string(segments[i - 1]) + " and " +
                                std::to_string(segments[i]) + ")");
    }
    TWOPC_RETURN_IF_ERROR(
        ReadSegment(env, dir, segments[i], i + 1 == segments.size(), visit, report));
  }
  return Status::Ok();
}

}  // namespace twopc::wal
