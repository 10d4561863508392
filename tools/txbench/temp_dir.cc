#include "tools/txbench/temp_dir.h"

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace twopc::txbench {

std::unique_ptr<TempDir> TempDir::Create(const std::string& prefix, std::string* error) {
  std::string pattern = "/tmp/" + prefix + "XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    *error = "mkdtemp " + pattern + ": " + std::strerror(errno);
    return nullptr;
  }
  return std::unique_ptr<TempDir>(new TempDir(pattern));
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace twopc::txbench
