// An Env that keeps files in memory, for fuzzing the log without a disk.
// Directories exist once created (or once a file is put in them); syncs are
// no-ops, preallocation zero-fills. Not thread-safe beyond what a single Log needs.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "wal/env.h"

namespace twopc::fuzz {

class MemoryEnv : public wal::Env {
 public:
  // Creates (or replaces) a file with these contents; its directory exists from now on.
  void PutFile(const std::string& path, std::string contents) {
    dirs_.insert(DirOf(path));
    files_[path] = std::move(contents);
  }

  Status NewWritableFile(const std::string& path,
                         std::unique_ptr<wal::WritableFile>* out) override {
    if (dirs_.count(DirOf(path)) == 0) return Status::NotFound("open " + path + ": no directory");
    files_[path].clear();
    *out = std::make_unique<File>(&files_[path]);
    return Status::Ok();
  }
  Status ReadFileToString(const std::string& path, std::string* out) override {
    auto it = files_.find(path);
    if (it == files_.end()) return Status::NotFound("open " + path + ": no such file");
    *out = it->second;
    return Status::Ok();
  }
  Status ListDir(const std::string& dir, std::vector<std::string>* names) override {
    if (dirs_.count(dir) == 0) return Status::NotFound("opendir " + dir + ": no such directory");
    names->clear();
    for (const auto& [path, contents] : files_) {
      if (DirOf(path) == dir) names->push_back(path.substr(dir.size() + 1));
    }
    return Status::Ok();
  }
  Status CreateDirIfMissing(const std::string& dir) override {
    dirs_.insert(dir);
    return Status::Ok();
  }
  Status DeleteFile(const std::string& path) override {
    if (files_.erase(path) == 0) return Status::NotFound("unlink " + path + ": no such file");
    return Status::Ok();
  }
  Status Truncate(const std::string& path, uint64_t size) override {
    auto it = files_.find(path);
    if (it == files_.end()) return Status::NotFound("truncate " + path + ": no such file");
    it->second.resize(size);
    return Status::Ok();
  }
  Status SyncDir(const std::string&) override { return Status::Ok(); }
  bool FileExists(const std::string& path) override { return files_.count(path) > 0; }

 private:
  // Points into files_ (std::map nodes do not move); the file must outlive it.
  // Preallocated space is zeros at the end of the contents.
  class File : public wal::WritableFile {
   public:
    explicit File(std::string* contents) : contents_(contents) {}
    Status Append(std::string_view data) override {
      if (contents_->size() < size_) contents_->resize(size_);  // cut behind its back
      contents_->replace(size_, data.size(), data);
      size_ += data.size();
      return Status::Ok();
    }
    Status Sync() override { return Status::Ok(); }
    Status Close() override { return Status::Ok(); }
    uint64_t Size() const override { return size_; }
    Status Preallocate(uint64_t size) override {
      if (contents_->size() < size) contents_->resize(size);
      return Status::Ok();
    }
    Status TruncateToSize() override {
      contents_->resize(size_);
      return Status::Ok();
    }

   private:
    std::string* contents_;
    size_t size_ = 0;
  };

  static std::string DirOf(const std::string& path) {
    const size_t slash = path.rfind('/');
    return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
  }

  std::map<std::string, std::string> files_;
  std::set<std::string> dirs_;
};

}  // namespace twopc::fuzz
