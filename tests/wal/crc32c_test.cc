#include "wal/crc32c.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace twopc::wal {
namespace {

TEST(Crc32cTest, MatchesRfc3720Vectors) {
  std::vector<uint8_t> buf(32, 0x00);
  EXPECT_EQ(0x8a9136aau, Crc32c(buf.data(), buf.size()));

  std::fill(buf.begin(), buf.end(), 0xff);
  EXPECT_EQ(0x62a8ab43u, Crc32c(buf.data(), buf.size()));

  for (int i = 0; i < 32; ++i) buf[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(0x46dd794eu, Crc32c(buf.data(), buf.size()));

  for (int i = 0; i < 32; ++i) buf[i] = static_cast<uint8_t>(31 - i);
  EXPECT_EQ(0x113fdb5cu, Crc32c(buf.data(), buf.size()));

  // An iSCSI SCSI Read (10) command PDU.
  const uint8_t pdu[48] = {0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                           0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
                           0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
                           0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  EXPECT_EQ(0xd9963a56u, Crc32c(pdu, sizeof(pdu)));
}

TEST(Crc32cTest, MatchesCheckValue) { EXPECT_EQ(0xe3069283u, Crc32c("123456789", 9)); }

TEST(Crc32cTest, EmptyInputKeepsInit) {
  EXPECT_EQ(0u, Crc32c("", 0));
  EXPECT_EQ(0x12345678u, Crc32c("", 0, 0x12345678u));
}

TEST(Crc32cTest, ExtendEqualsWholeComputation) {
  const std::string data = "hello, write-ahead world: extending a crc in pieces";
  const uint32_t whole = Crc32c(data.data(), data.size());
  for (size_t split = 0; split <= data.size(); ++split) {
    uint32_t first = Crc32c(data.data(), split);
    EXPECT_EQ(whole, Crc32c(data.data() + split, data.size() - split, first)) << split;
  }
}

TEST(Crc32cTest, DifferentDataGivesDifferentCrc) {
  EXPECT_NE(Crc32c("a", 1), Crc32c("foo", 3));
  EXPECT_NE(Crc32c("bar", 3), Crc32c("foo", 3));
}

TEST(Crc32cTest, MaskRoundTripsAndChangesValue) {
  const uint32_t crc = Crc32c("foo", 3);
  EXPECT_NE(crc, MaskCrc(crc));
  EXPECT_NE(crc, MaskCrc(MaskCrc(crc)));
  EXPECT_EQ(crc, UnmaskCrc(MaskCrc(crc)));
  EXPECT_EQ(crc, UnmaskCrc(UnmaskCrc(MaskCrc(MaskCrc(crc)))));
  for (uint32_t v : {0u, 1u, 0xffffffffu, 0x80000000u, 0xa282ead8u}) {
    EXPECT_EQ(v, UnmaskCrc(MaskCrc(v))) << v;
  }
}

TEST(Crc32cTest, HardwareMatchesSoftware) {
  if (!internal::HasHardwareCrc32c()) GTEST_SKIP() << "CPU has no SSE4.2";
  std::mt19937 rng(42);
  std::vector<uint8_t> buf(4096 + 16);
  for (auto& b : buf) b = static_cast<uint8_t>(rng());
  // Every small length and alignment, then some large ones, with varying init values.
  for (size_t align = 0; align < 8; ++align) {
    for (size_t n = 0; n < 64; ++n) {
      uint32_t init = static_cast<uint32_t>(rng());
      ASSERT_EQ(internal::Crc32cSoftware(buf.data() + align, n, init),
                internal::Crc32cHardware(buf.data() + align, n, init))
          << "align " << align << " n " << n;
    }
  }
  for (size_t n : {1000u, 4095u, 4096u}) {
    ASSERT_EQ(internal::Crc32cSoftware(buf.data() + 3, n, 0),
              internal::Crc32cHardware(buf.data() + 3, n, 0))
        << n;
  }
}

TEST(Crc32cTest, SoftwareMatchesRfc3720Vector) {
  std::vector<uint8_t> buf(32, 0xff);
  EXPECT_EQ(0x62a8ab43u, internal::Crc32cSoftware(buf.data(), buf.size(), 0));
}

}  // namespace
}  // namespace twopc::wal
