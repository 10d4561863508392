// A look at a connected socket without reading from it.
#pragma once

namespace twopc::rpc {

// True when `fd` has input waiting or the peer closed it: for an idle client
// connection (nothing asked, nothing due), either means it cannot be reused.
bool SocketHasInput(int fd);

}  // namespace twopc::rpc
