// A plain TCP connection for tests that speak no Thrift: garbage bytes,
// silent clients, connections that only occupy a slot.
#pragma once

#include <string>

namespace twopc::testing {

class RawConnection {
 public:
  // Connects to HOST:PORT (blocking); check connected().
  explicit RawConnection(const std::string& address);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  bool Send(const std::string& bytes);
  // Tells the peer nothing more will be sent (shutdown for writing).
  void FinishSending();
  // Reads until the peer closes the connection or `deadline_ms` passes;
  // returns what arrived. *closed says whether the peer closed it.
  std::string ReadUntilClosed(int deadline_ms, bool* closed);
  // True when the peer has closed the connection (checked without waiting).
  bool PeerClosed();
  void Close();

 private:
  int fd_ = -1;
};

}  // namespace twopc::testing
