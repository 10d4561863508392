// An exclusive lock on a log directory (flock on DIR/LOCK), held for as long
// as the owning process lives, so that two processes never write one log and
// offline tools refuse to touch the log of a running process.
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "wal/base/status.h"

namespace twopc::wal {

class DirLock {
 public:
  DirLock() = default;
  ~DirLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

  // Creates dir if missing. Busy when another process holds the lock.
  Status Acquire(const std::string& dir) {
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
      return Status::IoError("create " + dir + ": " + std::strerror(errno));
    }
    const std::string path = dir + "/LOCK";
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) return Status::IoError("open " + path + ": " + std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      const int error = errno;
      ::close(fd_);
      fd_ = -1;
      if (error == EWOULDBLOCK) {
        return Status::Busy(dir + " is in use by another process (" + path + " is locked)");
      }
      return Status::IoError("lock " + path + ": " + std::strerror(error));
    }
    return Status::Ok();
  }

 private:
  int fd_ = -1;
};

}  // namespace twopc::wal
