#include "wal/testing/fault_injection_env.h"

#include <algorithm>

namespace twopc::wal {
namespace {

std::string ParentDir(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string StripTrailingSlashes(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

}  // namespace

// Forwards to the real file and reports appends and syncs to the Env.
class FaultInjectionEnv::File final : public WritableFile {
 public:
  File(FaultInjectionEnv* env, std::string path, std::unique_ptr<WritableFile> base)
      : env_(env), path_(std::move(path)), base_(std::move(base)) {}

  Status Append(std::string_view data) override {
    return env_->FileAppend(path_, base_.get(), data);
  }
  Status Sync() override { return env_->FileSync(path_, base_.get()); }
  Status Close() override { return base_->Close(); }
  uint64_t Size() const override { return base_->Size(); }
  Status Preallocate(uint64_t size) override {
    return env_->FilePreallocate(path_, base_.get(), size);
  }
  Status TruncateToSize() override { return env_->FileTruncateToSize(path_, base_.get()); }

 private:
  FaultInjectionEnv* const env_;
  const std::string path_;
  const std::unique_ptr<WritableFile> base_;
};

Status FaultInjectionEnv::NewWritableFile(const std::string& path,
                                          std::unique_ptr<WritableFile>* out) {
  const bool existed = base_->FileExists(path);
  std::unique_ptr<WritableFile> base;
  TWOPC_RETURN_IF_ERROR(base_->NewWritableFile(path, &base));
  {
    std::lock_guard<std::mutex> lock(mu_);
    FileState& state = files_[path];
    state = FileState();
    state.name_synced = existed;
  }
  *out = std::make_unique<File>(this, path, std::move(base));
  return Status::Ok();
}

Status FaultInjectionEnv::FileAppend(const std::string& path, WritableFile* base,
                                     std::string_view data) {
  if (fail_append_) return Status::IoError("write " + path + ": injected I/O error");
  TWOPC_RETURN_IF_ERROR(base->Append(data));
  std::lock_guard<std::mutex> lock(mu_);
  FileState& state = files_[path];
  last_write_ = Write{path, state.size, data.size(), state.length};
  state.size += data.size();
  state.length = std::max(state.length, state.size);
  return Status::Ok();
}

Status FaultInjectionEnv::FileSync(const std::string& path, WritableFile* base) {
  if (fail_sync_) return Status::IoError("fdatasync " + path + ": injected I/O error");
  if (sync_lies_) return Status::Ok();
  FileState before;
  {
    // Only what was written before the sync started is known to be covered by it.
    std::lock_guard<std::mutex> lock(mu_);
    before = files_[path];
  }
  TWOPC_RETURN_IF_ERROR(base->Sync());
  std::lock_guard<std::mutex> lock(mu_);
  FileState& state = files_[path];
  state.synced_size = std::max(state.synced_size, before.size);
  // The length is not monotonic (TruncateToSize): the sync that started after the latest
  // change decides it, even if an older sync running concurrently ends later.
  if (before.length_changes > state.synced_length_changes) {
    state.synced_length = before.length;
    state.synced_length_changes = before.length_changes;
  } else if (before.length_changes == state.synced_length_changes) {
    state.synced_length = std::max(state.synced_length, before.length);
  }
  return Status::Ok();
}

Status FaultInjectionEnv::FilePreallocate(const std::string& path, WritableFile* base,
                                          uint64_t size) {
  if (!preallocate_supported_) {
    return Status::NotSupported("fallocate " + path + ": injected: not supported");
  }
  TWOPC_RETURN_IF_ERROR(base->Preallocate(size));
  std::lock_guard<std::mutex> lock(mu_);
  FileState& state = files_[path];
  state.length = std::max(state.length, size);
  ++state.length_changes;
  return Status::Ok();
}

Status FaultInjectionEnv::FileTruncateToSize(const std::string& path, WritableFile* base) {
  TWOPC_RETURN_IF_ERROR(base->TruncateToSize());
  std::lock_guard<std::mutex> lock(mu_);
  FileState& state = files_[path];
  state.length = state.size;
  ++state.length_changes;
  return Status::Ok();
}

Status FaultInjectionEnv::ResetFile(const std::string& path, uint64_t data_size, uint64_t length) {
  TWOPC_RETURN_IF_ERROR(base_->Truncate(path, data_size));
  if (length > data_size) TWOPC_RETURN_IF_ERROR(base_->Truncate(path, length));
  return Status::Ok();
}

Status FaultInjectionEnv::ReadFileToString(const std::string& path, std::string* out) {
  return base_->ReadFileToString(path, out);
}

Status FaultInjectionEnv::ListDir(const std::string& dir, std::vector<std::string>* names) {
  return base_->ListDir(dir, names);
}

Status FaultInjectionEnv::CreateDirIfMissing(const std::string& dir) {
  return base_->CreateDirIfMissing(dir);
}

Status FaultInjectionEnv::DeleteFile(const std::string& path) {
  TWOPC_RETURN_IF_ERROR(base_->DeleteFile(path));
  std::lock_guard<std::mutex> lock(mu_);
  files_.erase(path);
  return Status::Ok();
}

Status FaultInjectionEnv::Truncate(const std::string& path, uint64_t size) {
  TWOPC_RETURN_IF_ERROR(base_->Truncate(path, size));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(path);
  if (it != files_.end()) {  // Truncate syncs
    FileState& state = it->second;
    state.size = state.synced_size = state.length = state.synced_length = size;
    state.synced_length_changes = ++state.length_changes;
  }
  return Status::Ok();
}

Status FaultInjectionEnv::SyncDir(const std::string& dir) {
  TWOPC_RETURN_IF_ERROR(base_->SyncDir(dir));
  const std::string parent = StripTrailingSlashes(dir);
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [path, state] : files_) {
    if (ParentDir(path) == parent) state.name_synced = true;
  }
  return Status::Ok();
}

bool FaultInjectionEnv::FileExists(const std::string& path) { return base_->FileExists(path); }

Status FaultInjectionEnv::DropUnsyncedData() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = files_.begin(); it != files_.end();) {
    FileState& state = it->second;
    if (!state.name_synced) {
      TWOPC_RETURN_IF_ERROR(base_->DeleteFile(it->first));
      it = files_.erase(it);
      continue;
    }
    const uint64_t length = std::max(state.synced_size, state.synced_length);
    if (state.size > state.synced_size || state.length != length) {
      TWOPC_RETURN_IF_ERROR(ResetFile(it->first, state.synced_size, length));
      state.size = state.synced_size;
      state.length = length;
    }
    ++it;
  }
  last_write_.reset();
  return Status::Ok();
}

Status FaultInjectionEnv::TearLastWrite(size_t keep_bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!last_write_) return Status::InvalidArgument("no write to tear");
  const Write write = *last_write_;
  auto it = files_.find(write.path);
  if (it == files_.end() || it->second.size != write.offset + write.length) {
    return Status::InvalidArgument(write.path + " changed since its last write");
  }
  if (it->second.synced_size > write.offset) {
    return Status::InvalidArgument("last write to " + write.path + " is already synced");
  }
  const uint64_t size = write.offset + std::min<uint64_t>(keep_bytes, write.length);
  // What the write lost reads as zeros within the space preallocated before it (as far
  // as the file still has it), and is cut off beyond.
  const uint64_t length = std::max(size, std::min(write.file_length, it->second.length));
  TWOPC_RETURN_IF_ERROR(ResetFile(write.path, size, length));
  it->second.size = size;
  it->second.length = length;
  last_write_.reset();
  return Status::Ok();
}

std::optional<uint64_t> FaultInjectionEnv::SyncedSize(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(path);
  if (it == files_.end()) return std::nullopt;
  return it->second.synced_size;
}

}  // namespace twopc::wal
