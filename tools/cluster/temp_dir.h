// A fresh directory, removed with its contents on destruction. txbench keeps
// its data there; tests/temp_dir.h wraps it for the tests.
#pragma once

#include <memory>
#include <string>

#include "wal/base/status.h"

namespace twopc::tools {

class TempDir {
 public:
  // Creates $TMPDIR/<prefix>XXXXXX (/tmp when TMPDIR is unset or empty).
  static StatusOr<std::unique_ptr<TempDir>> Create(const std::string& prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Join(const std::string& name) const { return path_ + "/" + name; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace twopc::tools
