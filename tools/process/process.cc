#include "tools/process/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace twopc::tools {
namespace {

// argv for execv, built before fork (the child may only make async-signal-safe calls).
std::vector<char*> MakeArgv(const std::string& binary, const std::vector<std::string>& args,
                            std::vector<std::string>* storage) {
  storage->clear();
  storage->push_back(binary);
  storage->insert(storage->end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : *storage) argv.push_back(s.data());
  argv.push_back(nullptr);
  return argv;
}

// The inherited environment with `extra` ("NAME=VALUE") added; an entry of
// `extra` replaces an inherited variable of the same name.
std::vector<char*> MakeEnvp(const std::vector<std::string>& extra,
                            std::vector<std::string>* storage) {
  storage->clear();
  auto name_of = [](const std::string& entry) { return entry.substr(0, entry.find('=')); };
  for (char** variable = environ; *variable != nullptr; ++variable) {
    const std::string entry = *variable;
    bool replaced = false;
    for (const std::string& added : extra) replaced = replaced || name_of(added) == name_of(entry);
    if (!replaced) storage->push_back(entry);
  }
  storage->insert(storage->end(), extra.begin(), extra.end());
  std::vector<char*> envp;
  for (std::string& s : *storage) envp.push_back(s.data());
  envp.push_back(nullptr);
  return envp;
}

// In the child: stdin from /dev/null, stdout and stderr as given, no other
// inherited descriptors, killed if the thread that forked it dies, then exec.
[[noreturn]] void ExecChild(const std::vector<char*>& argv, int out_fd, int err_fd, int null_fd,
                            char* const* envp = environ) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  dup2(null_fd, STDIN_FILENO);
  dup2(out_fd, STDOUT_FILENO);
  dup2(err_fd, STDERR_FILENO);
  for (int fd = 3; fd < 1024; ++fd) close(fd);
  execve(argv[0], argv.data(), envp);
  static const char kMessage[] = "exec failed\n";
  ssize_t ignored = write(STDERR_FILENO, kMessage, sizeof(kMessage) - 1);
  (void)ignored;
  _exit(127);
}

}  // namespace

std::unique_ptr<Process> Process::Start(const std::string& binary,
                                        const std::vector<std::string>& args,
                                        const std::string& log_path, std::string* error,
                                        const std::vector<std::string>& env) {
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
  std::vector<std::string> storage;
  const std::vector<char*> argv = MakeArgv(binary, args, &storage);
  std::vector<std::string> env_storage;
  const std::vector<char*> envp = MakeEnvp(env, &env_storage);
  const pid_t pid = fork();
  if (pid == 0) ExecChild(argv, log_fd, log_fd, null_fd, envp.data());
  const int fork_errno = errno;
  close(log_fd);
  close(null_fd);
  if (pid < 0) {
    *error = std::string("fork: ") + std::strerror(fork_errno);
    return nullptr;
  }
  return std::unique_ptr<Process>(new Process(pid, log_path));
}

Process::~Process() { Kill(); }

void Process::Reap(bool block) {
  if (reaped_) return;
  int status = 0;
  pid_t done;
  do {
    done = waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (done < 0 && errno == EINTR);
  if (done == pid_) {
    reaped_ = true;
    term_signal_ = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  } else if (done < 0 && errno == ECHILD) {
    reaped_ = true;
  }
}

bool Process::WaitForExit(int deadline_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(deadline_ms);
  while (Running()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling interval
  }
  return true;
}

bool Process::Running() {
  Reap(/*block=*/false);
  return !reaped_;
}

void Process::Terminate() {
  if (reaped_ || terminated_) return;
  ::kill(pid_, SIGTERM);
  terminated_ = true;
}

void Process::Stop(std::chrono::milliseconds grace) {
  if (reaped_) return;
  Terminate();
  if (WaitForExit(static_cast<int>(grace.count()))) return;
  Kill();
}

void Process::Kill() {
  if (reaped_) return;
  kill(pid_, SIGKILL);
  Reap(/*block=*/true);
}

void Process::Pause() {
  if (!reaped_) kill(pid_, SIGSTOP);
}

void Process::Resume() {
  if (!reaped_) kill(pid_, SIGCONT);
}

std::string Process::LogTail(size_t max_bytes) const {
  std::ifstream in(log_path_, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  return text.size() <= max_bytes ? text : "..." + text.substr(text.size() - max_bytes);
}

RunResult RunProgram(const std::string& binary, const std::vector<std::string>& args,
                     int deadline_ms) {
  RunResult result;
  int out_pipe[2];
  int err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return result;
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    return result;
  }
  const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  std::vector<std::string> storage;
  const std::vector<char*> argv = MakeArgv(binary, args, &storage);
  const pid_t pid = fork();
  if (pid == 0) ExecChild(argv, out_pipe[1], err_pipe[1], null_fd);
  close(out_pipe[1]);
  close(err_pipe[1]);
  close(null_fd);
  if (pid < 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    return result;
  }

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(deadline_ms);
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_pipes = 2;
  bool killed = false;
  while (open_pipes > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0 && !killed) {
      kill(pid, SIGKILL);
      killed = true;
    }
    const int ready = poll(fds, 2, killed ? 1000 : static_cast<int>(left));
    if (ready < 0 && errno != EINTR) break;
    if (ready == 0 && killed) break;  // killed, yet something still holds the pipes
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buffer[4096];
      const ssize_t n = read(fds[i].fd, buffer, sizeof(buffer));
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_pipes;
      }
    }
  }
  for (const pollfd& fd : fds) {
    if (fd.fd >= 0) close(fd.fd);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = (!killed && WIFEXITED(status)) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace twopc::tools
