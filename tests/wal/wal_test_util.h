// Small helpers for the wal tests: a temp directory per test and byte-level damage.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include "tests/temp_dir.h"

namespace twopc::wal::test {

using TempDir = ::twopc::test::TempDir;

inline std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void WriteBytes(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

inline uint64_t FileSize(const std::string& path) { return std::filesystem::file_size(path); }

// Disk space the file takes (st_blocks): less than its size when it has holes.
inline uint64_t AllocatedBytes(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    ADD_FAILURE() << "stat " << path;
    return 0;
  }
  return static_cast<uint64_t>(st.st_blocks) * 512;
}

// Cuts `bytes` off the end of the file.
inline void ShrinkFile(const std::string& path, uint64_t bytes) {
  std::filesystem::resize_file(path, FileSize(path) - bytes);
}

inline void FlipByte(const std::string& path, uint64_t offset) {
  std::string data = ReadBytes(path);
  ASSERT_LT(offset, data.size()) << path;
  data[offset] ^= 0x40;
  WriteBytes(path, data);
}

inline void OverwriteBytes(const std::string& path, uint64_t offset, std::string_view bytes) {
  std::string data = ReadBytes(path);
  ASSERT_LE(offset + bytes.size(), data.size()) << path;
  data.replace(offset, bytes.size(), bytes);
  WriteBytes(path, data);
}

}  // namespace twopc::wal::test
