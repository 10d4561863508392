// --log_format=json: glog messages as JSON lines on stderr instead of glog's
// text lines (see json_log_line.h for the fields).
#pragma once

#include <string>

namespace twopc::program {

// Installs a glog sink writing one JSON line per message to stderr and turns
// off glog's own stderr and file output. Call once, after
// google::InitGoogleLogging. `program` fills the "program" field.
void UseJsonLogs(const std::string& program);

}  // namespace twopc::program
