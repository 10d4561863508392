// One log message as a JSON object on one line (--log_format=json). Pure.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>

namespace twopc::program {

struct LogRecord {
  std::time_t time = 0;  // seconds since the epoch
  int32_t usec = 0;
  std::string severity;  // INFO, WARNING, ERROR, FATAL
  std::string program;
  int64_t thread = 0;  // the kernel's thread id, as in glog's text lines
  std::string file;    // base name of the source file
  int line = 0;
  std::string message;
};

// {"time":"2026-11-23T16:11:00.123456Z","severity":"INFO","program":"txpart",
//  "thread":4242,"file":"txpart_main.cc","line":118,"message":"..."}
// without a newline. Time is UTC. Bytes of the message that are not valid
// UTF-8 become U+FFFD, so every line parses as JSON.
std::string FormatJsonLogLine(const LogRecord& record);

// `text` with every byte sequence that is not valid UTF-8 replaced by U+FFFD.
std::string ValidUtf8(const std::string& text);

}  // namespace twopc::program
