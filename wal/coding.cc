#include "wal/coding.h"

namespace twopc::wal {

void EncodeFixed32(char* dst, uint32_t value) {
  for (int i = 0; i < 4; ++i) dst[i] = static_cast<char>(value >> (8 * i));
}

void EncodeFixed64(char* dst, uint64_t value) {
  for (int i = 0; i < 8; ++i) dst[i] = static_cast<char>(value >> (8 * i));
}

uint32_t DecodeFixed32(const char* src) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value |= uint32_t{static_cast<uint8_t>(src[i])} << (8 * i);
  return value;
}

uint64_t DecodeFixed64(const char* src) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value |= uint64_t{static_cast<uint8_t>(src[i])} << (8 * i);
  return value;
}

void PutFixed32(std::string* dst, uint32_t value) {
  char buf[4];
  EncodeFixed32(buf, value);
  dst->append(buf, sizeof(buf));
}

void PutFixed64(std::string* dst, uint64_t value) {
  char buf[8];
  EncodeFixed64(buf, value);
  dst->append(buf, sizeof(buf));
}

void PutVarint64(std::string* dst, uint64_t value) {
  while (value >= 0x80) {
    dst->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  dst->push_back(static_cast<char>(value));
}

void PutLengthPrefixed(std::string* dst, std::string_view value) {
  PutVarint64(dst, value.size());
  dst->append(value.data(), value.size());
}

bool Decoder::GetFixed32(uint32_t* value) {
  if (input_.size() < 4) return false;
  *value = DecodeFixed32(input_.data());
  input_.remove_prefix(4);
  return true;
}

bool Decoder::GetFixed64(uint64_t* value) {
  if (input_.size() < 8) return false;
  *value = DecodeFixed64(input_.data());
  input_.remove_prefix(8);
  return true;
}

bool Decoder::GetVarint64(uint64_t* value) {
  uint64_t result = 0;
  // A uint64 takes at most 10 bytes; the 10th may only carry the top bit.
  for (size_t i = 0; i < input_.size() && i < 10; ++i) {
    uint64_t byte = static_cast<uint8_t>(input_[i]);
    if (i == 9 && byte > 1) return false;
    result |= (byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) {
      *value = result;
      input_.remove_prefix(i + 1);
      return true;
    }
  }
  return false;
}

bool Decoder::GetLengthPrefixed(std::string_view* value) {
  Decoder probe(input_);
  uint64_t length = 0;
  if (!probe.GetVarint64(&length) || length > probe.input_.size()) return false;
  *value = probe.input_.substr(0, length);
  input_ = probe.input_.substr(length);
  return true;
}

}  // namespace twopc::wal
