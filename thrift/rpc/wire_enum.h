// Thrift stores whatever i32 arrives in an enum field or argument, also a
// number no enumerator has, and loading such an enum is undefined behaviour
// (UBSan's -fsanitize=enum aborts on it). Code that reads an enum from the
// wire reads its raw number with this, then compares it with the enumerators.
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>

namespace twopc::rpc {

template <typename Enum>
int32_t WireEnumValue(const Enum& value) {
  static_assert(std::is_enum_v<Enum> && sizeof(Enum) == sizeof(int32_t));
  int32_t raw = 0;
  std::memcpy(&raw, &value, sizeof raw);  // not a load of the enum type
  return raw;
}

}  // namespace twopc::rpc
