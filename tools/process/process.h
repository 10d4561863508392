// Child processes for txbench and the integration tests: start a program with
// its output in a log file, signal it by PID, and reap it. A Process kills and
// reaps its child when destroyed, so nothing is left running. A child is also
// killed when the *thread* that started it exits (PR_SET_PDEATHSIG): start
// long-lived processes from a thread that outlives them.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace twopc::tools {

class Process {
 public:
  // Starts `binary` with `args`; stdout and stderr go to `log_path` (appended).
  // `env` ("NAME=VALUE" entries) is added to the inherited environment,
  // replacing variables of the same name. Returns null and says why in *error
  // if it cannot start.
  static std::unique_ptr<Process> Start(const std::string& binary,
                                        const std::vector<std::string>& args,
                                        const std::string& log_path, std::string* error,
                                        const std::vector<std::string>& env = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }

  // True while the child has not exited (a stopped child is running).
  bool Running();
  // SIGKILL, then reap. Safe to call twice.
  void Kill();
  // Waits until the child exits on its own (polling, bounded by `deadline_ms`);
  // false if it is still running then. It is not killed.
  bool WaitForExit(int deadline_ms);
  // After the child was reaped: the signal that ended it (0 if it exited), and
  // its exit code (-1 if a signal ended it). Both -1 while it runs.
  int term_signal() const { return term_signal_; }
  int exit_code() const { return exit_code_; }
  // SIGTERM (once): asks the child to stop; it is reaped by a later call.
  void Terminate();
  // SIGTERM, up to `grace` to exit, then SIGKILL; always reaps. Idempotent.
  void Stop(std::chrono::milliseconds grace);
  // SIGSTOP / SIGCONT: the process keeps its sockets but answers nothing.
  void Pause();
  void Resume();
  // The last `max_bytes` of its log.
  std::string LogTail(size_t max_bytes = 4000) const;

 private:
  Process(pid_t pid, std::string log_path) : pid_(pid), log_path_(std::move(log_path)) {}
  void Reap(bool block);

  pid_t pid_;
  std::string log_path_;
  bool reaped_ = false;
  bool terminated_ = false;
  int term_signal_ = -1;
  int exit_code_ = -1;
};

// What a program printed and how it ended.
struct RunResult {
  int exit_code = -1;  // -1: killed by a signal (or by the deadline)
  std::string out;
  std::string err;
};

// Runs a program to completion, capturing stdout and stderr. A program still
// running after `deadline_ms` is killed (exit_code -1): a safety net, not a
// measurement.
RunResult RunProgram(const std::string& binary, const std::vector<std::string>& args,
                     int deadline_ms = 60000);

}  // namespace twopc::tools
