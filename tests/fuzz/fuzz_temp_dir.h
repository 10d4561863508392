// A private temporary directory for a fuzz target's files, removed at exit.
// Under /dev/shm when it exists, so that fdatasync costs nothing and each
// input stays fast.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

#include "tests/fuzz/fuzz_check.h"

namespace twopc::fuzz {

inline const std::string& FuzzTempDir() {
  // Never destroyed: the exit handler below runs after static destructors would.
  static const std::string* dir = [] {
    std::error_code ignored;
    const char* base = std::filesystem::is_directory("/dev/shm", ignored) ? "/dev/shm" : "/tmp";
    std::string pattern = std::string(base) + "/twopc-fuzz.XXXXXX";
    Check(mkdtemp(pattern.data()) != nullptr, "fuzz", "cannot create a temporary directory");
    std::atexit([] {
      std::error_code error;
      std::filesystem::remove_all(FuzzTempDir(), error);
    });
    return new std::string(pattern);
  }();
  return *dir;
}

}  // namespace twopc::fuzz
