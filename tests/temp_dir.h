// A fresh directory per test, removed with everything in it afterwards.
// Shared by the unit tests of every library: tools::TempDir (linked into every
// test by twopc_test) with a default constructor that fails the test instead
// of returning an error.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "tools/cluster/temp_dir.h"

namespace twopc::test {

class TempDir {
 public:
  TempDir() {
    StatusOr<std::unique_ptr<tools::TempDir>> dir = tools::TempDir::Create("twopc_test.");
    if (dir.ok()) {
      dir_ = std::move(dir).value();
    } else {
      ADD_FAILURE() << dir.status().message();
    }
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return dir_ ? dir_->path() : kNone; }
  std::string Join(const std::string& name) const { return path() + "/" + name; }

 private:
  inline static const std::string kNone;  // the path when creation failed
  std::unique_ptr<tools::TempDir> dir_;
};

}  // namespace twopc::test
