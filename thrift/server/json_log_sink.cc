#include "thrift/server/json_log_sink.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include <glog/logging.h>

#include "thrift/server/json_log_line.h"

namespace twopc::program {
namespace {

class JsonLogSink : public google::LogSink {
 public:
  explicit JsonLogSink(std::string program) : program_(std::move(program)) {}

  // Called on the logging thread with glog's lock held: no LOG() in here.
  void send(google::LogSeverity severity, const char* /*full_filename*/, const char* base_filename,
            int line, const google::LogMessageTime& time, const char* message,
            size_t message_len) override {
    LogRecord record;
    record.time = time.timestamp();
    record.usec = time.usec();
    record.severity = google::GetLogSeverityName(severity);
    record.program = program_;
    record.thread = static_cast<int64_t>(::syscall(SYS_gettid));
    record.file = base_filename;
    record.line = line;
    record.message.assign(message, message_len);
    WriteAll(FormatJsonLogLine(record) + "\n");
  }

 private:
  // One write(2) per line when possible, so lines do not interleave.
  static void WriteAll(const std::string& text) {
    size_t done = 0;
    while (done < text.size()) {
      const ssize_t n = ::write(STDERR_FILENO, text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // stderr is gone: nothing better to do
      done += static_cast<size_t>(n);
    }
  }

  const std::string program_;
};

}  // namespace

void UseJsonLogs(const std::string& program) {
  // glog writes text to stderr when logtostderr is set, or for severities at or
  // above stderrthreshold; to files unless a severity's destination is "".
  FLAGS_logtostderr = false;
  FLAGS_alsologtostderr = false;
  FLAGS_stderrthreshold = google::NUM_SEVERITIES;
  for (int severity = 0; severity < google::NUM_SEVERITIES; ++severity) {
    google::SetLogDestination(severity, "");
  }
  static JsonLogSink* sink = new JsonLogSink(program);  // lives as long as the process
  google::AddLogSink(sink);
}

}  // namespace twopc::program
