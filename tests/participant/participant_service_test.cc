#include "participant/participant_service.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "tests/participant/test_util.h"

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

rpc::PrepareRequest DebitRequest(int64_t txid, int64_t id, int64_t amount) {
  rpc::PrepareRequest request;
  request.txid = txid;
  rpc::Statement statement;
  statement.sql = "UPDATE accounts SET balance = balance - ? WHERE id = ?";
  for (int64_t value : {amount, id}) {
    rpc::Value param;
    param.kind = rpc::ValueKind::INTEGER;
    param.__set_integer_value(value);
    statement.params.push_back(param);
  }
  request.statements.push_back(statement);
  return request;
}

class ParticipantServicePrepareMany : public ::testing::Test {
 protected:
  void SetUp() override {
    test::ExecRaw(db_path_, test::kBankSchema);
    store_ = test::OpenStore(db_path_);
    ASSERT_NE(store_, nullptr);
    Status status = test::OpenAgent(store_.get(), dir_.Join("wal"), std::chrono::milliseconds(50),
                                    nullptr, &agent_);
    ASSERT_TRUE(status.ok()) << status.ToString();
    service_ = std::make_unique<ParticipantService>(agent_.get());
  }

  test::TempDir dir_;
  const std::string db_path_ = dir_.Join("bank.db");
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<Agent> agent_;
  std::unique_ptr<ParticipantService> service_;
};

TEST_F(ParticipantServicePrepareMany, ABadBranchIsRefusedAloneAndCarriedCommitsAreApplied) {
  rpc::PrepareResult first;
  service_->prepare(first, DebitRequest(1, 1, 30));
  ASSERT_EQ(first.vote, rpc::Vote::YES) << first.reason;

  rpc::PrepareRequest bad = DebitRequest(3, 3, 1);
  bad.statements[0].params[0].__isset.integer_value = false;  // kind without its value
  rpc::PrepareManyResult result;
  service_->prepare_many(result, {DebitRequest(2, 2, 5), bad}, {1});
  ASSERT_EQ(result.results.size(), 2u);
  EXPECT_EQ(result.results[0].vote, rpc::Vote::YES) << result.results[0].reason;
  EXPECT_EQ(result.results[1].vote, rpc::Vote::NO);
  EXPECT_NE(result.results[1].reason.find("kind"), std::string::npos) << result.results[1].reason;
  ASSERT_EQ(result.commit_acks.size(), 1u);
  EXPECT_EQ(result.commit_acks[0].txid, 1);
  EXPECT_TRUE(result.commit_acks[0].ok) << result.commit_acks[0].message;
  EXPECT_EQ(test::Balance(store_.get(), 1), 70);
  EXPECT_EQ(agent_->ListPrepared(), std::vector<int64_t>{2});
}

TEST_F(ParticipantServicePrepareMany, TooManyBranchesInOneCallAreRefused) {
  std::vector<rpc::PrepareRequest> requests(kMaxPrepareBatch + 1, DebitRequest(1, 1, 1));
  rpc::PrepareManyResult result;
  try {
    service_->prepare_many(result, requests, {});
    ADD_FAILURE() << "accepted " << requests.size() << " branches";
  } catch (const rpc::TxError& error) {
    EXPECT_EQ(error.code, rpc::ErrorCode::LIMIT_EXCEEDED);
  }
  EXPECT_TRUE(agent_->ListPrepared().empty());
}

}  // namespace
}  // namespace twopc::participant
