// The file layer under the log, behind an interface so tests can drop unsynced data,
// tear writes and fail syncs (see testing/fault_injection_env.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "wal/base/status.h"

namespace twopc::wal {

// A file being appended to. Not thread-safe, except that Sync() may run concurrently
// with Append() (the log syncs outside its append lock).
class WritableFile {
 public:
  virtual ~WritableFile();
  // Writes at offset Size(), over preallocated space if there is some.
  virtual Status Append(std::string_view data) = 0;
  virtual Status Sync() = 0;  // fdatasync: everything appended so far is durable
  virtual Status Close() = 0;
  // The bytes appended so far (the file may be longer: see Preallocate).
  virtual uint64_t Size() const = 0;

  // Makes the file at least `size` bytes long with allocated, zero-filled space past
  // Size(), so that appends overwrite it instead of growing the file: an fdatasync then
  // has no new size or block allocation to commit, which makes it cheaper. Not synced.
  // NotSupported when the file system cannot (appends then grow the file as usual).
  virtual Status Preallocate(uint64_t size) = 0;
  // Cuts the file to Size(), dropping any preallocated space. Not synced.
  virtual Status TruncateToSize() = 0;
};

// Error messages carry the operation, the path and strerror, e.g.
// "open /x/wal-0000000000000001.log: Permission denied".
class Env {
 public:
  virtual ~Env();

  // The POSIX implementation; never deleted.
  static Env* Default();

  // Creates the file, or truncates it if it exists.
  virtual Status NewWritableFile(const std::string& path, std::unique_ptr<WritableFile>* out) = 0;
  virtual Status ReadFileToString(const std::string& path, std::string* out) = 0;
  // Entry names (not paths), without "." and "..". NotFound when `dir` does not exist.
  virtual Status ListDir(const std::string& dir, std::vector<std::string>* names) = 0;
  // Creates `dir` and any missing parents.
  virtual Status CreateDirIfMissing(const std::string& dir) = 0;
  virtual Status DeleteFile(const std::string& path) = 0;
  // Sets the file's size to `size` bytes (cutting it, or extending it with zeros, as
  // ftruncate does) and syncs it.
  virtual Status Truncate(const std::string& path, uint64_t size) = 0;
  // fsync of the directory, so that names created or deleted in it are durable.
  virtual Status SyncDir(const std::string& dir) = 0;
  virtual bool FileExists(const std::string& path) = 0;
};

}  // namespace twopc::wal
