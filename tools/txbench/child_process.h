// A program started by txbench: its output goes to a log file, it is signalled
// by PID only, and it is stopped and reaped when its owner is destroyed.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace twopc::txbench {

class ChildProcess {
 public:
  // Starts `binary` with `args`; stdout and stderr go to `log_path`. Returns
  // null and says why in *error if it cannot start.
  static std::unique_ptr<ChildProcess> Start(const std::string& binary,
                                             const std::vector<std::string>& args,
                                             const std::string& log_path, std::string* error);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }

  // True while the child has not exited.
  bool Running();
  // Sends SIGTERM (once); the child is reaped by Wait or Stop.
  void Terminate();
  // Waits until the child exited or `deadline` passed; true if it exited.
  bool WaitUntil(std::chrono::steady_clock::time_point deadline);
  // SIGTERM, up to `grace` to exit, then SIGKILL; always reaps. Idempotent.
  void Stop(std::chrono::milliseconds grace);
  // The last `max_bytes` of its log.
  std::string LogTail(size_t max_bytes) const;

 private:
  ChildProcess(pid_t pid, std::string log_path) : pid_(pid), log_path_(std::move(log_path)) {}
  void Reap(bool block);

  pid_t pid_;
  std::string log_path_;
  bool reaped_ = false;
  bool terminated_ = false;
};

}  // namespace twopc::txbench
