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

  // Power loss: every file written through this Env loses what was written since it was
  // last synced: it keeps its synced data, followed by zeros up to the length it had at
  // that sync (preallocated space that sync made durable). Files created since their
  // directory was last synced disappear. Call it once the writers are closed (after
  // destroying the Log), as a crash would.
  Status DropUnsyncedData();

  // A torn write: keeps only the first keep_bytes of the most recent Append (which must
  // not have been synced yet) and drops the rest: it reads as zeros if the write went into
  // preallocated space, and is cut off otherwise.
  Status TearLastWrite(size_t keep_bytes);

  // While set, WritableFile::Sync / Append fail with IoError (a disk error, a full disk).
  void SetFailSync(bool fail) { fail_sync_ = fail; }
  void SetFailAppend(bool fail) { fail_append_ = fail; }
  // A disk that lies: Sync reports success and makes nothing durable (a
  // deliberately broken variant for the simulation to catch).
  void SetSyncLies(bool lies) { sync_lies_ = lies; }
  // While cleared, WritableFile::Preallocate says NotSupported, as on a file system
  // without fallocate.
  void SetPreallocateSupported(bool supported) { preallocate_supported_ = supported; }

  // Size of `path` that is known durable, or nullopt if the file is not tracked.
  std::optional<uint64_t> SyncedSize(const std::string& path);

 private:
  class File;
  struct FileState {
    uint64_t size = 0;  // bytes appended
    uint64_t synced_size = 0;
    uint64_t length = 0;  // the file's length: >= size with preallocated space
    // The length as of the latest sync, which made it durable (Preallocate and
    // TruncateToSize are not synced by themselves).
    uint64_t synced_length = 0;
    uint64_t length_changes = 0;         // counts Preallocate and TruncateToSize calls
    uint64_t synced_length_changes = 0;  // length_changes as of synced_length
    bool name_synced = false;            // the directory entry is durable
  };
  struct Write {
    std::string path;
    uint64_t offset = 0;
    uint64_t length = 0;
    uint64_t file_length = 0;  // before the write: preallocated space it went into
  };

  Status FileAppend(const std::string& path, WritableFile* base, std::string_view data);
  Status FileSync(const std::string& path, WritableFile* base);
  Status FilePreallocate(const std::string& path, WritableFile* base, uint64_t size);
  Status FileTruncateToSize(const std::string& path, WritableFile* base);
  // Rewrites the real file as `data_size` bytes of what it holds, then zeros up to
  // `length`.
  Status ResetFile(const std::string& path, uint64_t data_size, uint64_t length);

  Env* const base_;
  std::atomic<bool> fail_sync_{false};
  std::atomic<bool> sync_lies_{false};
  std::atomic<bool> fail_append_{false};
  std::atomic<bool> preallocate_supported_{true};
  std::mutex mu_;
  std::map<std::string, FileState> files_;
  std::optional<Write> last_write_;
};

}  // namespace twopc::wal
