#include "participant/participant_service.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>

namespace twopc::participant {
namespace {

// The wire can carry any number where Thrift expects a ValueKind. Set it
// without loading an out-of-range enum here.
rpc::Value ValueOfKind(int32_t kind) {
  rpc::Value value;
  std::memcpy(&value.kind, &kind, sizeof kind);
  value.__set_integer_value(1);
  return value;
}

TEST(ParticipantServiceFromThrift, UnknownValueKindIsAnInvalidRequest) {
  // Found by participant_rpc_fuzzer (corpus: regression-unknown-value-kind):
  // reading the kind as the enum was undefined behaviour (UBSan aborts).
  for (int32_t kind : {5, 63, -1, 1 << 30}) {
    try {
      (void)FromThrift(ValueOfKind(kind));
      ADD_FAILURE() << "kind " << kind << " was accepted";
    } catch (const rpc::TxError& error) {
      EXPECT_EQ(error.code, rpc::ErrorCode::INVALID_REQUEST) << "kind " << kind;
    }
  }
}

TEST(ParticipantServiceFromThrift, KnownKindsConvert) {
  const SqlValue integer = FromThrift(ValueOfKind(rpc::ValueKind::INTEGER));
  ASSERT_EQ(integer.index(), 1u);
  EXPECT_EQ(std::get<int64_t>(integer), 1);
  EXPECT_EQ(FromThrift(ValueOfKind(rpc::ValueKind::NULL_VALUE)).index(), 0u);
}

}  // namespace
}  // namespace twopc::participant
