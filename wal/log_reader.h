// Reading a whole log directory without modifying it: used by recovery (Log::Open) and
// by offline tools.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "wal/base/status.h"
#include "wal/env.h"
#include "wal/log_format.h"

namespace twopc::wal {

struct ReadReport {
  uint64_t records = 0;
  uint64_t first_segment = 0;  // 0 when the directory has no segment
  uint64_t last_segment = 0;
  // The last segment ends with a partial or bad record and nothing valid after it: a
  // crash mid-write, tolerated. (Zero fill after the last record, preallocated space a
  // crashed writer left, is a clean end and not reported: recovery trims it silently.)
  bool torn_tail = false;
  uint64_t torn_segment = 0;
  uint64_t torn_offset = 0;  // where the valid data of torn_segment ends
  // e.g. "wal-0000000000000003.log offset 8123: record runs past end of file"
  std::string torn_detail;
};

struct LogRecord {
  RecordType type = kReservedType;
  std::string payload;
  uint64_t segment = 0;
  uint64_t offset = 0;  // of the frame within its segment file
};

using RecordVisitor = std::function<Status(const LogRecord&)>;

// Calls visit for every valid record, in log order. Zero fill ends the newest segment;
// in any other segment it is corruption (the writer never leaves it there). Returns OK
// (possibly with report->torn_tail set), or Corruption naming the file and offset for
// damage anywhere but a torn tail: a bad record in a segment that is not the last; a bad
// record in the last segment with any valid record after it; a bad segment header; a gap
// in segment numbers; a record written for another segment. Nothing is skipped silently.
// A missing directory gives NotFound, an unreadable one IoError; an empty one OK with no
// records. If visit returns an error, reading stops and that error is returned.
// `report` may be null.
Status ReadLog(Env* env, const std::string& dir, const RecordVisitor& visit, ReadReport* report);

// The segment numbers present in `dir`, ascending. Other files are ignored.
Status ListSegments(Env* env, const std::string& dir, std::vector<uint64_t>* segments);

// dir + "/" + SegmentFileName(segment).
std::string SegmentPath(const std::string& dir, uint64_t segment);

}  // namespace twopc::wal
