// Little-endian fixed-width and varint encoding, for the log format and for callers'
// record payloads. Decoding never reads past the input and fails cleanly on short or
// malformed data.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace twopc::wal {

void PutFixed32(std::string* dst, uint32_t value);
void PutFixed64(std::string* dst, uint64_t value);
void PutVarint64(std::string* dst, uint64_t value);
// A varint64 length followed by the bytes.
void PutLengthPrefixed(std::string* dst, std::string_view value);

// Raw little-endian loads and stores; the caller guarantees the bytes exist.
void EncodeFixed32(char* dst, uint32_t value);
void EncodeFixed64(char* dst, uint64_t value);
uint32_t DecodeFixed32(const char* src);
uint64_t DecodeFixed64(const char* src);

// Consumes values from the front of a buffer it does not own. A failed Get leaves the
// decoder where it was.
class Decoder {
 public:
  explicit Decoder(std::string_view input) : input_(input) {}

  bool GetFixed32(uint32_t* value);
  bool GetFixed64(uint64_t* value);
  bool GetVarint64(uint64_t* value);
  // The returned view points into the input.
  bool GetLengthPrefixed(std::string_view* value);

  bool done() const { return input_.empty(); }
  std::string_view remaining() const { return input_; }

 private:
  std::string_view input_;
};

}  // namespace twopc::wal
