// What the tests that damage WAL files need to know about them: where each segment's
// records end. A segment file can be longer (preallocated space, zeros) while its
// process runs or after it was killed, so the file size does not say.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>

#include "wal/env.h"
#include "wal/log_format.h"
#include "wal/log_reader.h"

namespace twopc::test {

// Segment path -> the end of its last record (of its header if it has none), for every
// segment of the log in `dir`.
inline std::map<std::string, uint64_t> SegmentDataEnds(const std::string& dir) {
  std::map<std::string, uint64_t> ends;
  std::vector<uint64_t> segments;
  const Status listed = wal::ListSegments(wal::Env::Default(), dir, &segments);
  EXPECT_TRUE(listed.ok()) << listed.ToString();
  for (uint64_t segment : segments) ends[wal::SegmentPath(dir, segment)] = wal::kSegmentHeaderSize;
  const Status read = wal::ReadLog(
      wal::Env::Default(), dir,
      [&](const wal::LogRecord& record) {
        ends[wal::SegmentPath(dir, record.segment)] =
            record.offset + wal::kFrameHeaderSize + record.payload.size();
        return Status::Ok();
      },
      nullptr);
  EXPECT_TRUE(read.ok()) << read.ToString();
  return ends;
}

}  // namespace twopc::test
