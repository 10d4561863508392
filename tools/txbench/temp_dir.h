// A fresh directory under /tmp, removed with its contents on destruction.
#pragma once

#include <memory>
#include <string>

namespace twopc::txbench {

class TempDir {
 public:
  // Creates /tmp/<prefix>XXXXXX; null and a reason in *error on failure.
  static std::unique_ptr<TempDir> Create(const std::string& prefix, std::string* error);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace twopc::txbench
