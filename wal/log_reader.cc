#include "wal/log_reader.h"

#include <algorithm>

namespace twopc::wal {
namespace {

bool AllZeros(std::string_view data) {
  return data.find_first_not_of('\0') == std::string_view::npos;
}

// The first offset >= `from` holding a frame that is valid for `segment`, or npos.
size_t FindValidFrame(std::string_view data, size_t from, uint64_t segment) {
  Frame frame;
  for (size_t pos = from; pos + kFrameHeaderSize <= data.size(); ++pos) {
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
    // The writer syncs the header before any record, so a short file that is the newest
    // segment is a crash while the segment was being created.
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
      // Zero fill ends a segment. In the newest one it can only be unsynced data lost in
      // a crash; report it so recovery trims it.
      if (is_last) MarkTorn(report, segment, offset, Where(name, offset) + "zero-filled tail");
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
