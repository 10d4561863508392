// An Env for tests that models what a crash or a failing disk does to files written
// through it: unsynced data lost, a last write torn, fdatasync or write failing.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "wal/env.h"

namespace twopc::wal {

class FaultInjectionEnv : public Env {
 public:
  explicit FaultInjectionEnv(Env* base) : base_(base) {}

  Status NewWritableFile(const std::string& path, std::unique_ptr<WritableFile>* out) override;
  Status ReadFileToString(const std::string& path, std::string* out) override;
  Status ListDir(const std::string& dir, std::vector<std::string>* names) override;
  Status CreateDirIfMissing(const std::string& dir) override;
  Status DeleteFile(const std::string& path) override;
  Status Truncate(const std::string& path, uint64_t size) override;
  Status SyncDir(const std::string& dir) override;
  bool FileExists(const std::string& path) override;

  // Power loss: every file written through this Env goes back to its last synced size,
  // and files created since their directory was last synced disappear. Call it once the
  // writers are closed (after destroying the Log), as a crash would.
  Status DropUnsyncedData();

  // A torn write: keeps only the first keep_bytes of the most recent Append (which must
  // not have been synced yet) and drops the rest.
  Status TearLastWrite(size_t keep_bytes);

  // While set, WritableFile::Sync / Append fail with IoError (a disk error, a full disk).
  void SetFailSync(bool fail) { fail_sync_ = fail; }
  void SetFailAppend(bool fail) { fail_append_ = fail; }

  // Size of `path` that is known durable, or nullopt if the file is not tracked.
  std::optional<uint64_t> SyncedSize(const std::string& path);

 private:
  class File;
  struct FileState {
    uint64_t size = 0;
    uint64_t synced_size = 0;
    bool name_synced = false;  // the directory entry is durable
  };
  struct Write {
    std::string path;
    uint64_t offset = 0;
    uint64_t length = 0;
  };

  Status FileAppend(const std::string& path, WritableFile* base, std::string_view data);
  Status FileSync(const std::string& path, WritableFile* base);

  Env* const base_;
  std::atomic<bool> fail_sync_{false};
  std::atomic<bool> fail_append_{false};
  std::mutex mu_;
  std::map<std::string, FileState> files_;
  std::optional<Write> last_write_;
};

}  // namespace twopc::wal
