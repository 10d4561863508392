#include "wal/coding.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace twopc::wal {
namespace {

TEST(CodingTest, FixedRoundTripIsLittleEndian) {
  std::string buf;
  PutFixed32(&buf, 0x04030201u);
  PutFixed64(&buf, 0x0807060504030201ull);
  ASSERT_EQ(12u, buf.size());
  EXPECT_EQ(std::string("\x01\x02\x03\x04", 4), buf.substr(0, 4));
  EXPECT_EQ(std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8), buf.substr(4));

  Decoder decoder(buf);
  uint32_t v32 = 0;
  uint64_t v64 = 0;
  ASSERT_TRUE(decoder.GetFixed32(&v32));
  ASSERT_TRUE(decoder.GetFixed64(&v64));
  EXPECT_EQ(0x04030201u, v32);
  EXPECT_EQ(0x0807060504030201ull, v64);
  EXPECT_TRUE(decoder.done());
}

TEST(CodingTest, VarintRoundTripsAtBoundaries) {
  const uint64_t values[] = {0,
                             1,
                             127,
                             128,
                             16383,
                             16384,
                             (1ull << 32) - 1,
                             1ull << 32,
                             1ull << 63,
                             std::numeric_limits<uint64_t>::max()};
  std::string buf;
  for (uint64_t v : values) PutVarint64(&buf, v);
  Decoder decoder(buf);
  for (uint64_t v : values) {
    uint64_t got = 0;
    ASSERT_TRUE(decoder.GetVarint64(&got));
    EXPECT_EQ(v, got);
  }
  EXPECT_TRUE(decoder.done());
}

TEST(CodingTest, VarintSizes) {
  std::string buf;
  PutVarint64(&buf, 127);
  EXPECT_EQ(1u, buf.size());
  buf.clear();
  PutVarint64(&buf, 128);
  EXPECT_EQ(2u, buf.size());
  buf.clear();
  PutVarint64(&buf, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(10u, buf.size());
}

TEST(CodingTest, LengthPrefixedRoundTrip) {
  std::string buf;
  PutLengthPrefixed(&buf, "");
  PutLengthPrefixed(&buf, "foo");
  PutLengthPrefixed(&buf, std::string(300, 'x'));
  Decoder decoder(buf);
  std::string_view v;
  ASSERT_TRUE(decoder.GetLengthPrefixed(&v));
  EXPECT_EQ("", v);
  ASSERT_TRUE(decoder.GetLengthPrefixed(&v));
  EXPECT_EQ("foo", v);
  ASSERT_TRUE(decoder.GetLengthPrefixed(&v));
  EXPECT_EQ(std::string(300, 'x'), v);
  EXPECT_TRUE(decoder.done());
  EXPECT_FALSE(decoder.GetLengthPrefixed(&v));
}

TEST(CodingTest, ShortInputFailsWithoutConsuming) {
  std::string buf("\x01\x02\x03", 3);
  Decoder decoder(buf);
  uint32_t v32 = 0;
  uint64_t v64 = 0;
  EXPECT_FALSE(decoder.GetFixed32(&v32));
  EXPECT_FALSE(decoder.GetFixed64(&v64));
  EXPECT_EQ(3u, decoder.remaining().size());
  Decoder empty("");
  EXPECT_FALSE(empty.GetVarint64(&v64));
  EXPECT_TRUE(empty.done());
}

TEST(CodingTest, UnterminatedVarintFails) {
  std::string buf("\x80\x80\x80", 3);
  Decoder decoder(buf);
  uint64_t v = 0;
  EXPECT_FALSE(decoder.GetVarint64(&v));
  EXPECT_EQ(3u, decoder.remaining().size());
}

TEST(CodingTest, OverlongVarintFails) {
  // Eleven bytes, and a tenth byte carrying more than the top bit.
  uint64_t v = 0;
  EXPECT_FALSE(Decoder(std::string(10, '\xff') + '\x01').GetVarint64(&v));
  std::string too_big(9, '\xff');
  too_big.push_back('\x02');
  EXPECT_FALSE(Decoder(too_big).GetVarint64(&v));
}

TEST(CodingTest, LengthPrefixBeyondInputFails) {
  std::string buf;
  PutVarint64(&buf, 10);
  buf += "short";
  Decoder decoder(buf);
  std::string_view v;
  EXPECT_FALSE(decoder.GetLengthPrefixed(&v));
  EXPECT_EQ(buf.size(), decoder.remaining().size());

  std::string huge;
  PutVarint64(&huge, std::numeric_limits<uint64_t>::max());
  EXPECT_FALSE(Decoder(huge).GetLengthPrefixed(&v));
}

}  // namespace
}  // namespace twopc::wal
