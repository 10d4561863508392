#include "thrift/rpc/socket_probe.h"

#include <poll.h>

namespace twopc::rpc {

bool SocketHasInput(int fd) {
  if (fd < 0) return true;
  pollfd entry{fd, POLLIN | POLLRDHUP, 0};
  const int ready = ::poll(&entry, 1, 0);
  return ready != 0;  // readable, hung up, in error, or poll itself failed
}

}  // namespace twopc::rpc
