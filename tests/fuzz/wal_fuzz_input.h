// How a wal_reader fuzz input becomes a log directory (shared by the fuzzer and
// the corpus generator):
//
//   flags u8 | segment (kSegmentSeparator segment)*
//
// flags bits 0-1: the first segment's number - 1; bit 2: structured. A raw
// segment is the file's bytes as they are. A structured one gets a valid
// header, then its bytes are read as items: 0xFF ends the framed part and the
// rest is appended raw (a torn or damaged tail); any other byte is a record
// type, followed by a u16 little-endian length and the payload, framed with a
// correct CRC (so that mutations reach past the checksum).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wal/log_format.h"

namespace twopc::fuzz {

constexpr std::string_view kSegmentSeparator = "#SEG#";
constexpr uint8_t kStructuredFlag = 4;
constexpr uint8_t kRawTailMarker = 0xFF;

struct WalInput {
  uint64_t first_segment = 1;
  bool structured = false;
  std::vector<std::string> segments;  // bodies, as in the input
};

inline WalInput ParseWalInput(std::string_view data) {
  WalInput input;
  if (data.empty()) return input;
  const uint8_t flags = static_cast<uint8_t>(data[0]);
  input.first_segment = 1 + (flags & 3);
  input.structured = (flags & kStructuredFlag) != 0;
  data.remove_prefix(1);
  while (true) {
    const size_t cut = data.find(kSegmentSeparator);
    input.segments.emplace_back(data.substr(0, cut));
    if (cut == std::string_view::npos) break;
    data.remove_prefix(cut + kSegmentSeparator.size());
  }
  return input;
}

// The file contents of structured segment `segment` from its body.
inline std::string BuildStructuredSegment(uint64_t segment, std::string_view body) {
  std::string file = wal::EncodeSegmentHeader(segment);
  size_t pos = 0;
  while (pos < body.size()) {
    const uint8_t type = static_cast<uint8_t>(body[pos++]);
    if (type == kRawTailMarker) {
      file.append(body.substr(pos));
      break;
    }
    if (pos + 2 > body.size()) break;
    const size_t length =
        static_cast<uint8_t>(body[pos]) | (static_cast<uint8_t>(body[pos + 1]) << 8);
    pos += 2;
    const std::string_view payload = body.substr(pos, length);
    pos += payload.size();
    wal::EncodeFrame(segment, type, payload, &file);
  }
  return file;
}

// The structured body of records (type, payload), for the corpus.
inline std::string StructuredBody(const std::vector<std::pair<uint8_t, std::string>>& records,
                                  std::string_view raw_tail = {}) {
  std::string body;
  for (const auto& [type, payload] : records) {
    body.push_back(static_cast<char>(type));
    body.push_back(static_cast<char>(payload.size() & 0xff));
    body.push_back(static_cast<char>((payload.size() >> 8) & 0xff));
    body.append(payload.substr(0, 0xffff));
  }
  if (!raw_tail.empty()) {
    body.push_back(static_cast<char>(kRawTailMarker));
    body.append(raw_tail);
  }
  return body;
}

inline std::string WalInputBytes(const WalInput& input) {
  std::string out(1, static_cast<char>(((input.first_segment - 1) & 3) |
                                       (input.structured ? kStructuredFlag : 0)));
  for (size_t i = 0; i < input.segments.size(); ++i) {
    if (i > 0) out.append(kSegmentSeparator);
    out.append(input.segments[i]);
  }
  return out;
}

}  // namespace twopc::fuzz
