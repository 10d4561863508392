// Small helpers for the wal tests: a temp directory per test and byte-level damage.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// Bytes of the file in extents the file system marks unwritten (allocated by
// fallocate, never written), from FIEMAP; nullopt where FIEMAP is not
// supported (e.g. tmpfs).
inline std::optional<uint64_t> UnwrittenBytes(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    ADD_FAILURE() << "open " << path;
    return std::nullopt;
  }
  constexpr size_t kExtents = 256;
  std::vector<char> buffer(sizeof(fiemap) + kExtents * sizeof(fiemap_extent));
  auto* map = reinterpret_cast<fiemap*>(buffer.data());
  map->fm_start = 0;
  map->fm_length = FIEMAP_MAX_OFFSET;
  map->fm_flags = FIEMAP_FLAG_SYNC;
  map->fm_extent_count = kExtents;
  const int rc = ::ioctl(fd, FS_IOC_FIEMAP, map);
  ::close(fd);
  if (rc != 0) return std::nullopt;
  uint64_t unwritten = 0;
  for (uint32_t i = 0; i < map->fm_mapped_extents; ++i) {
    if (map->fm_extents[i].fe_flags & FIEMAP_EXTENT_UNWRITTEN) {
      unwritten += map->fm_extents[i].fe_length;
    }
  }
  return unwritten;
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
