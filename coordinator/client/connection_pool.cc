#include "coordinator/client/connection_pool.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <cerrno>

namespace twopc::client_internal {

bool PeerClosed(int socket_fd) {
  if (socket_fd < 0) return true;
  char byte;
  const ssize_t n = recv(socket_fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0) return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
  return true;  // 0: the peer closed it; > 0: bytes nobody asked for
}

}  // namespace twopc::client_internal
