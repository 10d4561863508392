// CRC-32C (Castagnoli), the checksum of the write-ahead log.
#pragma once

#include <cstddef>
#include <cstdint>

namespace twopc::wal {

// Returns the CRC-32C of data[0, n). Pass a previous result as `init` to extend it:
// Crc32c(b, nb, Crc32c(a, na)) == Crc32c(a followed by b).
uint32_t Crc32c(const void* data, size_t n, uint32_t init = 0);

// A CRC stored next to the data it covers is masked, so that computing the CRC of a
// string that contains embedded CRCs does not degenerate (the LevelDB trick).
uint32_t MaskCrc(uint32_t crc);
uint32_t UnmaskCrc(uint32_t masked);

namespace internal {
// Exposed for tests: both implementations must agree.
uint32_t Crc32cSoftware(const void* data, size_t n, uint32_t init);
bool HasHardwareCrc32c();
// Only call when HasHardwareCrc32c().
uint32_t Crc32cHardware(const void* data, size_t n, uint32_t init);
}  // namespace internal

}  // namespace twopc::wal
