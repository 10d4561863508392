#include "tools/txbench/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace twopc::txbench {
namespace {

// In the child: only async-signal-safe calls. stdin from /dev/null, output to
// the log, no inherited descriptors, killed if txbench dies.
[[noreturn]] void ExecChild(const std::vector<char*>& argv, int log_fd, int null_fd) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  dup2(null_fd, STDIN_FILENO);
  dup2(log_fd, STDOUT_FILENO);
  dup2(log_fd, STDERR_FILENO);
  for (int fd = 3; fd < 1024; ++fd) close(fd);
  // txbench blocks or ignores some signals; the child starts with the defaults.
  sigset_t empty;
  sigemptyset(&empty);
  sigprocmask(SIG_SETMASK, &empty, nullptr);
  signal(SIGPIPE, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  execv(argv[0], argv.data());
  static const char kMessage[] = "exec failed\n";
  ssize_t ignored = write(STDERR_FILENO, kMessage, sizeof(kMessage) - 1);
  (void)ignored;
  _exit(127);
}

}  // namespace

std::unique_ptr<ChildProcess> ChildProcess::Start(const std::string& binary,
                                                  const std::vector<std::string>& args,
                                                  const std::string& log_path, std::string* error) {
  if (access(binary.c_str(), X_OK) != 0) {
    *error = "cannot execute " + binary + ": " + std::strerror(errno);
    return nullptr;
  }
  const int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (log_fd < 0 || null_fd < 0) {
    *error = "cannot open " + log_path + ": " + std::strerror(errno);
    if (log_fd >= 0) close(log_fd);
    if (null_fd >= 0) close(null_fd);
    return nullptr;
  }
  // argv is built before fork: the child may not allocate.
  std::vector<std::string> storage;
  storage.push_back(binary);
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : storage) argv.push_back(arg.data());
  argv.push_back(nullptr);

  const pid_t pid = fork();
  if (pid == 0) ExecChild(argv, log_fd, null_fd);
  const int fork_errno = errno;
  close(log_fd);
  close(null_fd);
  if (pid < 0) {
    *error = std::string("fork: ") + std::strerror(fork_errno);
    return nullptr;
  }
  return std::unique_ptr<ChildProcess>(new ChildProcess(pid, log_path));
}

ChildProcess::~ChildProcess() { Stop(std::chrono::milliseconds(5000)); }

void ChildProcess::Reap(bool block) {
  if (reaped_) return;
  int status = 0;
  pid_t done;
  do {
    done = waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (done < 0 && errno == EINTR);
  if (done == pid_ || (done < 0 && errno == ECHILD)) reaped_ = true;
}

bool ChildProcess::Running() {
  Reap(/*block=*/false);
  return !reaped_;
}

void ChildProcess::Terminate() {
  if (reaped_ || terminated_) return;
  kill(pid_, SIGTERM);
  terminated_ = true;
}

bool ChildProcess::WaitUntil(std::chrono::steady_clock::time_point deadline) {
  while (Running()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

void ChildProcess::Stop(std::chrono::milliseconds grace) {
  if (reaped_) return;
  Terminate();
  if (WaitUntil(std::chrono::steady_clock::now() + grace)) return;
  kill(pid_, SIGKILL);
  Reap(/*block=*/true);
}

std::string ChildProcess::LogTail(size_t max_bytes) const {
  std::ifstream in(log_path_, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  return text.size() <= max_bytes ? text : "..." + text.substr(text.size() - max_bytes);
}

}  // namespace twopc::txbench
