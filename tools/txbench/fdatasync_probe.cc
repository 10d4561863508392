#include "tools/txbench/fdatasync_probe.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <vector>

#include "wal/log.h"

namespace twopc::txbench {
namespace {

int64_t Median(std::vector<int64_t>& samples) {
  if (samples.empty()) return -1;
  const auto middle = samples.begin() + static_cast<std::ptrdiff_t>(samples.size() / 2);
  std::nth_element(samples.begin(), middle, samples.end());
  return *middle;
}

}  // namespace

int64_t MeasureFdatasyncUs(const std::string& dir, int rounds, int bytes) {
  const std::string path = dir + "/fdatasync-probe";
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  const std::vector<char> block(static_cast<size_t>(bytes), 'x');
  std::vector<int64_t> samples;
  samples.reserve(static_cast<size_t>(rounds));
  bool ok = true;
  for (int i = 0; i < rounds && ok; ++i) {
    const auto start = std::chrono::steady_clock::now();
    ok = write(fd, block.data(), block.size()) == static_cast<ssize_t>(block.size()) &&
         fdatasync(fd) == 0;
    const auto end = std::chrono::steady_clock::now();
    samples.push_back(std::chrono::duration_cast<std::chrono::microseconds>(end - start).count());
  }
  close(fd);
  unlink(path.c_str());
  if (!ok) return -1;
  return Median(samples);
}

int64_t MeasureWalSyncUs(const std::string& dir, int rounds, int bytes) {
  wal::LogOptions options;
  options.dir = dir + "/wal-sync-probe";
  std::vector<int64_t> samples;
  bool ok = false;
  {
    std::unique_ptr<wal::Log> log;
    ok = wal::Log::Open(
             options, [](const wal::LogRecord&) { return Status::Ok(); }, &log)
             .ok();
    const std::string record(static_cast<size_t>(bytes), 'x');
    samples.reserve(static_cast<size_t>(rounds));
    for (int i = 0; i < rounds && ok; ++i) {
      const auto start = std::chrono::steady_clock::now();
      ok = log->AppendAndSync(1, record).ok();
      const auto end = std::chrono::steady_clock::now();
      samples.push_back(std::chrono::duration_cast<std::chrono::microseconds>(end - start).count());
    }
  }
  // Removed also after a failure, as the other probe removes its file.
  std::error_code ignored;
  std::filesystem::remove_all(options.dir, ignored);
  return ok ? Median(samples) : -1;
}

}  // namespace twopc::txbench
