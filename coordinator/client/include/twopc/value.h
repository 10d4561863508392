// A SQLite value, as bound to a statement's parameter or read from a row.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

namespace twopc {

enum class ValueKind { kNull, kInteger, kReal, kText, kBlob };

class Value {
 public:
  Value() = default;  // NULL
  Value(std::nullptr_t) {}
  // Any integer but bool (use Value::Integer(b) to bind one).
  template <typename T,
            std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  Value(T integer) : kind_(ValueKind::kInteger), integer_(static_cast<int64_t>(integer)) {}
  Value(double real) : kind_(ValueKind::kReal), real_(real) {}
  Value(const char* text) : kind_(ValueKind::kText), bytes_(text) {}
  Value(std::string text) : kind_(ValueKind::kText), bytes_(std::move(text)) {}

  static Value Null() { return Value(); }
  static Value Integer(int64_t integer) { return Value(integer); }
  static Value Real(double real) { return Value(real); }
  static Value Text(std::string text) { return Value(std::move(text)); }
  static Value Blob(std::string bytes) {
    Value value(std::move(bytes));
    value.kind_ = ValueKind::kBlob;
    return value;
  }

  ValueKind kind() const { return kind_; }
  bool is_null() const { return kind_ == ValueKind::kNull; }
  // Each accessor answers for its own kind; any other kind gives 0 / empty.
  int64_t integer() const { return kind_ == ValueKind::kInteger ? integer_ : 0; }
  double real() const { return kind_ == ValueKind::kReal ? real_ : 0; }
  // The text, or the bytes of a blob.
  const std::string& bytes() const { return bytes_; }

  bool operator==(const Value& other) const {
    return kind_ == other.kind_ && integer_ == other.integer_ &&
           (kind_ != ValueKind::kReal || real_ == other.real_) && bytes_ == other.bytes_;
  }
  bool operator!=(const Value& other) const { return !(*this == other); }

 private:
  ValueKind kind_ = ValueKind::kNull;
  int64_t integer_ = 0;
  double real_ = 0;
  std::string bytes_;
};

}  // namespace twopc
