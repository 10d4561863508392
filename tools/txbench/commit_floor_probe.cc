#include "tools/txbench/commit_floor_probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <initializer_list>
#include <string>
#include <vector>

#include "tools/txbench/latency_stats.h"

namespace twopc::txbench {
namespace {

// About the size of a small prepare request, and of a vote.
constexpr size_t kRequestBytes = 128;
constexpr size_t kReplyBytes = 16;
// A commit that takes longer than this means a process is stuck or gone.
constexpr int kReplyTimeoutSeconds = 10;

enum class ReadOutcome { kFull, kClosed, kFailed };

// kClosed only when the peer closed before the first byte: a clean end.
ReadOutcome ReadFull(int fd, char* data, size_t size) {
  size_t done = 0;
  while (done < size) {
    const ssize_t n = read(fd, data + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 && done == 0) return ReadOutcome::kClosed;
    if (n <= 0) return ReadOutcome::kFailed;
    done += static_cast<size_t>(n);
  }
  return ReadOutcome::kFull;
}

// MSG_NOSIGNAL: a peer that died gives an error here, not SIGPIPE.
bool SendFull(int fd, const char* data, size_t size) {
  size_t done = 0;
  while (done < size) {
    const ssize_t n = send(fd, data + done, size - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

void SetNoDelay(int fd) {
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

sockaddr_in Loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  return address;
}

// A listening socket on a port the kernel picks; -1 on failure.
int Listen(int* port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in address = Loopback(0);
  socklen_t length = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 || listen(fd, 4) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    close(fd);
    return -1;
  }
  *port = ntohs(address.sin_port);
  return fd;
}

int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const sockaddr_in address = Loopback(port);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return -1;
  }
  SetNoDelay(fd);
  return fd;
}

// A log of `size` zero bytes, synced, so that every append overwrites
// allocated space as twopc's own log does; -1 on failure.
int PreallocatedLog(const std::string& path, size_t size) {
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  const std::vector<char> zeros(64 << 10, 0);
  bool ok = true;
  for (size_t written = 0; ok && written < size; written += zeros.size()) {
    ok = write(fd, zeros.data(), zeros.size()) == static_cast<ssize_t>(zeros.size());
  }
  if (!ok || fdatasync(fd) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool AppendAndSync(int log, const std::string& record, off_t* offset) {
  const ssize_t n = pwrite(log, record.data(), record.size(), *offset);
  if (n != static_cast<ssize_t>(record.size()) || fdatasync(log) != 0) return false;
  *offset += n;
  return true;
}

// Children end with the process that forked them, even if it is killed.
void DieWithParent(pid_t parent) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(1);
}

// The bodies of the children: system calls only and no allocation, since the
// process that forked them may have other threads.
[[noreturn]] void RunParticipant(int listener, int log, const std::string& record) {
  const int connection = accept(listener, nullptr, nullptr);
  if (connection < 0) _exit(1);
  SetNoDelay(connection);
  char request[kRequestBytes];
  off_t offset = 0;
  for (;;) {
    const ReadOutcome outcome = ReadFull(connection, request, sizeof(request));
    if (outcome == ReadOutcome::kClosed) _exit(0);
    if (outcome == ReadOutcome::kFailed || !AppendAndSync(log, record, &offset) ||
        !SendFull(connection, request, kReplyBytes)) {
      _exit(1);
    }
  }
}

[[noreturn]] void RunCoordinator(int listener, int log, const std::string& record,
                                 const std::vector<int>& participant_ports,
                                 std::vector<int>& participants) {
  for (size_t i = 0; i < participant_ports.size(); ++i) {
    participants[i] = Connect(participant_ports[i]);
    if (participants[i] < 0) _exit(1);
  }
  const int client = accept(listener, nullptr, nullptr);
  if (client < 0) _exit(1);
  SetNoDelay(client);
  char request[kRequestBytes];
  char reply[kReplyBytes];
  off_t offset = 0;
  for (;;) {
    const ReadOutcome outcome = ReadFull(client, request, sizeof(request));
    if (outcome == ReadOutcome::kClosed) _exit(0);
    if (outcome == ReadOutcome::kFailed) _exit(1);
    for (const int participant : participants) {
      if (!SendFull(participant, request, sizeof(request))) _exit(1);
    }
    for (const int participant : participants) {
      if (ReadFull(participant, reply, sizeof(reply)) != ReadOutcome::kFull) _exit(1);
    }
    if (!AppendAndSync(log, record, &offset) || !SendFull(client, reply, sizeof(reply))) _exit(1);
  }
}

// What the probe opened and started, undone in the destructor.
struct ProbeResources {
  std::vector<int> fds;
  std::vector<std::string> files;
  std::vector<pid_t> children;
  bool children_failed = false;

  // Waits for every child; kills them first when `kill_first`.
  void Reap(bool kill_first) {
    for (const pid_t child : children) {
      if (kill_first) kill(child, SIGKILL);
      int status = 0;
      while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
      }
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) children_failed = true;
    }
    children.clear();
  }
  // Keeps the valid ones of `opened` to close; false if any failed to open.
  bool Keep(std::initializer_list<int> opened) {
    bool all = true;
    for (const int fd : opened) {
      if (fd < 0) {
        all = false;
      } else {
        fds.push_back(fd);
      }
    }
    return all;
  }
  void CloseFds() {
    for (const int fd : fds) close(fd);
    fds.clear();
  }
  ~ProbeResources() {
    CloseFds();
    Reap(/*kill_first=*/true);
    for (const std::string& file : files) unlink(file.c_str());
  }
};

}  // namespace

int64_t MeasureCommitFloorUs(const std::string& dir, int rounds, int branches, int bytes) {
  if (rounds < 1 || branches < 1 || bytes < 1) return -1;
  const int warmup = rounds / 10;
  const std::string record(static_cast<size_t>(bytes), 'x');
  const size_t log_size = static_cast<size_t>(rounds + warmup + 1) * record.size();
  ProbeResources resources;

  // Everything the children need exists before the first fork.
  std::vector<int> participant_listeners(static_cast<size_t>(branches));
  std::vector<int> participant_ports(static_cast<size_t>(branches));
  std::vector<int> participant_logs(static_cast<size_t>(branches));
  std::vector<int> coordinator_connections(static_cast<size_t>(branches), -1);
  for (int i = 0; i < branches; ++i) {
    const std::string path = dir + "/commit-floor-participant-" + std::to_string(i);
    resources.files.push_back(path);
    participant_logs[i] = PreallocatedLog(path, log_size);
    participant_listeners[i] = Listen(&participant_ports[i]);
    if (!resources.Keep({participant_logs[i], participant_listeners[i]})) return -1;
  }
  const std::string coordinator_path = dir + "/commit-floor-coordinator";
  resources.files.push_back(coordinator_path);
  int coordinator_port = 0;
  const int coordinator_log = PreallocatedLog(coordinator_path, log_size);
  const int coordinator_listener = Listen(&coordinator_port);
  if (!resources.Keep({coordinator_log, coordinator_listener})) return -1;

  const pid_t parent = getpid();
  for (int i = 0; i <= branches; ++i) {
    const pid_t child = fork();
    if (child < 0) return -1;
    if (child == 0) {
      DieWithParent(parent);
      if (i < branches) RunParticipant(participant_listeners[i], participant_logs[i], record);
      RunCoordinator(coordinator_listener, coordinator_log, record, participant_ports,
                     coordinator_connections);
    }
    resources.children.push_back(child);
  }
  resources.CloseFds();

  const int client = Connect(coordinator_port);
  if (client < 0) return -1;
  resources.fds.push_back(client);
  const timeval timeout{kReplyTimeoutSeconds, 0};
  setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  char request[kRequestBytes] = {};
  char reply[kReplyBytes];
  std::vector<int64_t> samples;
  samples.reserve(static_cast<size_t>(rounds));
  for (int i = 0; i < warmup + rounds; ++i) {
    const auto start = std::chrono::steady_clock::now();
    if (!SendFull(client, request, sizeof(request)) ||
        ReadFull(client, reply, sizeof(reply)) != ReadOutcome::kFull) {
      return -1;
    }
    const auto end = std::chrono::steady_clock::now();
    if (i >= warmup) {
      samples.push_back(std::chrono::duration_cast<std::chrono::microseconds>(end - start).count());
    }
  }
  // Closing the client ends the coordinator, which ends the participants.
  resources.CloseFds();
  resources.Reap(/*kill_first=*/false);
  if (resources.children_failed) return -1;
  return Summarize(&samples).p50_us;
}

}  // namespace twopc::txbench
