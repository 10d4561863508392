#include "tools/cluster/http_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace twopc::tools {
namespace {

using Clock = std::chrono::steady_clock;

// Closes the descriptor on every return path.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Waits for `events` on a non-blocking socket until `deadline`; false on timeout.
bool WaitFor(int fd, short events, Clock::time_point deadline) {
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd entry{fd, events, 0};
    const int ready = poll(&entry, 1, static_cast<int>(left));
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return false;
  }
}

Status ErrnoError(const std::string& what) {
  return Status::IoError(what + ": " + std::strerror(errno));
}

// "HTTP/1.x 200 OK\r\n...\r\n\r\nbody" -> status and body.
StatusOr<HttpResponse> ParseResponse(const std::string& raw, const std::string& where) {
  const size_t line_end = raw.find("\r\n");
  const size_t space = raw.find(' ');
  const size_t head_end = raw.find("\r\n\r\n");
  if (raw.compare(0, 5, "HTTP/") != 0 || space == std::string::npos || space > line_end ||
      head_end == std::string::npos) {
    return Status::Corruption("malformed HTTP response from " + where);
  }
  HttpResponse response;
  response.status = std::atoi(raw.c_str() + space + 1);
  response.body = raw.substr(head_end + 4);
  return response;
}

}  // namespace

StatusOr<HttpResponse> HttpRequest(const std::string& host, int port, const std::string& method,
                                   const std::string& path, const std::string& body,
                                   std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  const std::string where = host + ":" + std::to_string(port);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) {
    return Status::InvalidArgument("not a numeric IPv4 address: " + host);
  }
  Fd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (fd.get() < 0) return ErrnoError("socket");
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    if (errno != EINPROGRESS) return ErrnoError("connect " + where);
    if (!WaitFor(fd.get(), POLLOUT, deadline)) return Status::IoError("connect timeout " + where);
    int error = 0;
    socklen_t length = sizeof(error);
    getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) return Status::IoError("connect " + where + ": " + std::strerror(error));
  }

  std::string request = method + " " + path + " HTTP/1.0\r\nHost: " + where + "\r\n";
  if (!body.empty()) {
    request +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += "\r\n" + body;
  for (size_t sent = 0; sent < request.size();) {
    const ssize_t n = send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
      return ErrnoError("send to " + where);
    } else if (!WaitFor(fd.get(), POLLOUT, deadline)) {
      return Status::IoError("send timeout " + where);
    }
  }

  std::string raw;
  char buffer[4096];
  while (true) {
    const ssize_t n = recv(fd.get(), buffer, sizeof(buffer), 0);
    if (n > 0) {
      raw.append(buffer, static_cast<size_t>(n));
    } else if (n == 0) {
      break;  // the server closed: the response is complete
    } else if (errno != EAGAIN && errno != EINTR) {
      return ErrnoError("recv from " + where);
    } else if (!WaitFor(fd.get(), POLLIN, deadline)) {
      return Status::IoError("response timeout " + where);
    }
  }
  return ParseResponse(raw, where);
}

}  // namespace twopc::tools
