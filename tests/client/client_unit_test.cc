// The client library's pure parts: values, building a transaction, the
// conversions to and from the wire types, error codes, the idle-socket check.
#include <gtest/gtest.h>

#include <cstring>

#include <sys/socket.h>
#include <unistd.h>

#include "coordinator/client/connection_pool.h"
#include "coordinator/client/wire.h"
#include "tests/allocation_counter.h"
#include "twopc/client.h"

namespace twopc {
namespace {

using client_internal::FromWire;
using client_internal::ToWire;

TEST(ClientValueTest, ConvertsFromPlainCppValues) {
  EXPECT_EQ(Value(42).kind(), ValueKind::kInteger);
  EXPECT_EQ(Value(int64_t{-7}).integer(), -7);
  EXPECT_EQ(Value(2.5).kind(), ValueKind::kReal);
  EXPECT_EQ(Value("abc").kind(), ValueKind::kText);
  EXPECT_EQ(Value(std::string("abc")).bytes(), "abc");
  EXPECT_TRUE(Value(nullptr).is_null());
  EXPECT_TRUE(Value().is_null());
  const Value blob = Value::Blob(std::string("\x00\x01", 2));
  EXPECT_EQ(blob.kind(), ValueKind::kBlob);
  EXPECT_EQ(blob.bytes().size(), 2u);
  EXPECT_NE(blob, Value::Text(std::string("\x00\x01", 2)));
  // Accessors of another kind answer 0.
  EXPECT_EQ(Value("5").integer(), 0);
}

TEST(ClientTransactionTest, StatementsForOneParticipantJoinItsBranchInOrder) {
  Transaction transaction;
  transaction.Add("p0", "UPDATE a SET x = ?", {1})
      .Add("p1", "UPDATE b SET y = ?", {"text", nullptr})
      .AddExpecting("p0", 1, "UPDATE a SET z = 2");
  ASSERT_EQ(transaction.branches().size(), 2u);
  const Branch& p0 = transaction.branches()[0];
  EXPECT_EQ(p0.participant, "p0");
  ASSERT_EQ(p0.statements.size(), 2u);
  EXPECT_EQ(p0.statements[0].sql, "UPDATE a SET x = ?");
  EXPECT_EQ(p0.statements[0].params, std::vector<Value>{Value(1)});
  EXPECT_FALSE(p0.statements[0].expect_changes.has_value());
  EXPECT_EQ(p0.statements[1].expect_changes, 1);
  EXPECT_EQ(transaction.branches()[1].statements[0].params,
            (std::vector<Value>{Value("text"), Value()}));
  transaction.Clear();
  EXPECT_TRUE(transaction.empty());
}

TEST(ClientWireTest, EveryValueKindRoundTrips) {
  const std::vector<Value> values = {Value(), Value(-3), Value(0.25), Value("t\tx"),
                                     Value::Blob(std::string("\xff\x00", 2))};
  for (const Value& value : values) {
    rpc::Value wire;
    ToWire(value, &wire);
    EXPECT_EQ(FromWire(wire), value);
  }
  // A reused wire value forgets the field of its previous kind.
  rpc::Value wire;
  ToWire(Value("text"), &wire);
  ToWire(Value(7), &wire);
  EXPECT_EQ(wire.kind, rpc::ValueKind::INTEGER);
  EXPECT_FALSE(wire.__isset.text_value);
  EXPECT_TRUE(wire.__isset.integer_value);
}

// Rows come from participants, which may be newer: a kind this build does
// not know is read raw (never loaded as the enum) and becomes NULL.
TEST(ClientWireTest, AValueOfAnUnknownKindIsNull) {
  rpc::Value wire;
  wire.__set_text_value("x");
  const int32_t unknown_kind = 63;
  std::memcpy(&wire.kind, &unknown_kind, sizeof unknown_kind);
  EXPECT_EQ(FromWire(wire), Value::Null());
  rpc::QueryResult rows;
  rows.columns = {"c"};
  rows.rows.emplace_back();
  rows.rows[0].values.resize(2);
  // Written in place: even copying a Value loads its kind as the enum.
  rows.rows[0].values[0].__set_text_value("x");
  std::memcpy(&rows.rows[0].values[0].kind, &unknown_kind, sizeof unknown_kind);
  rows.rows[0].values[1].kind = rpc::ValueKind::TEXT;
  rows.rows[0].values[1].__set_text_value("moved");
  const QueryResult read = FromWire(std::move(rows));
  ASSERT_EQ(read.rows.size(), 1u);
  EXPECT_EQ(read.rows[0][0], Value::Null());
  EXPECT_EQ(read.rows[0][1], Value::Text("moved"));
}

TEST(ClientWireTest, RequestCarriesBranchesParamsExpectationsAndOptions) {
  Transaction transaction;
  transaction.AddExpecting("p0", 1, "UPDATE a SET x = x - ? WHERE id = ?", {5, 1})
      .Add("p1", "UPDATE a SET x = x + 5 WHERE id = 2");
  rpc::ExecuteRequest request;
  ToWire(transaction, ExecuteOptions{1500, true, 700}, &request);
  ASSERT_EQ(request.branches.size(), 2u);
  EXPECT_EQ(request.branches[0].participant, "p0");
  const rpc::Statement& debit = request.branches[0].statements.at(0);
  EXPECT_EQ(debit.params.size(), 2u);
  EXPECT_EQ(debit.params[0].integer_value, 5);
  EXPECT_TRUE(debit.__isset.expect_changes);
  EXPECT_EQ(debit.expect_changes, 1);
  EXPECT_FALSE(request.branches[1].statements.at(0).__isset.expect_changes);
  EXPECT_EQ(request.timeout_ms, 1500);
  EXPECT_TRUE(request.wait_applied);
  EXPECT_EQ(request.deadline_ms, 700);

  // Reused for a smaller transaction: nothing of the old one is left.
  Transaction single;
  single.Add("p2", "DELETE FROM a");
  ToWire(single, ExecuteOptions{}, &request);
  ASSERT_EQ(request.branches.size(), 1u);
  EXPECT_EQ(request.branches[0].participant, "p2");
  EXPECT_TRUE(request.branches[0].statements.at(0).params.empty());
  EXPECT_FALSE(request.wait_applied);
  EXPECT_EQ(request.deadline_ms, 0);
}

TEST(ClientWireTest, ConvertingTheSameShapeAgainAllocatesNothing) {
  Transaction transaction;
  transaction
      .AddExpecting("p0", 1, "UPDATE accounts SET balance = balance - ? WHERE id = ?", {5, 1})
      .AddExpecting("p1", 1, "UPDATE accounts SET balance = balance + ? WHERE id = ?", {5, 2});
  rpc::ExecuteResult wire_result;
  wire_result.branches.resize(2);
  wire_result.branches[0].changes = {1};
  wire_result.branches[1].changes = {1};
  rpc::ExecuteRequest request;
  ExecuteResult result;
  ToWire(transaction, ExecuteOptions{}, &request);
  FromWire(wire_result, &result);

  const int64_t before = testing::allocations.load();
  for (int i = 0; i < 100; ++i) {
    transaction.mutable_branches()[i % 2].statements[0].params[0] = Value::Integer(i);
    ToWire(transaction, ExecuteOptions{}, &request);
    FromWire(wire_result, &result);
  }
  EXPECT_EQ(testing::allocations.load() - before, 0);
  EXPECT_EQ(request.branches[1].statements[0].params[0].integer_value, 99);
}

TEST(ClientWireTest, ResultOutcomeReasonAndChanges) {
  rpc::ExecuteResult wire;
  wire.txid = 99;
  wire.outcome = rpc::Outcome::ABORTED;
  wire.reason = "participant p1: lock conflict";
  rpc::BranchResult branch;
  branch.participant = "p1";
  branch.changes = {1, 0};
  wire.branches = {branch};
  ExecuteResult result;
  FromWire(wire, &result);
  EXPECT_EQ(result.txid, 99);
  EXPECT_EQ(result.outcome, Outcome::kAborted);
  EXPECT_FALSE(result.committed());
  EXPECT_EQ(result.reason, "participant p1: lock conflict");
  ASSERT_EQ(result.branches.size(), 1u);
  EXPECT_EQ(result.branches[0].changes, (std::vector<int64_t>{1, 0}));
  EXPECT_STREQ(OutcomeName(FromWire(rpc::Outcome::IN_PROGRESS)), "IN_PROGRESS");
}

TEST(ClientErrorTest, ServiceCodesKeepTheirNumbersAndNames) {
  EXPECT_EQ(FromWire(rpc::ErrorCode::UNKNOWN_PARTICIPANT), ErrorCode::kUnknownParticipant);
  EXPECT_EQ(FromWire(rpc::ErrorCode::HEURISTIC_MISMATCH), ErrorCode::kHeuristicMismatch);
  // A code newer than this client, stored as Thrift stores it (bytes, not a
  // cast: an enum holding a number no enumerator has is undefined to load).
  rpc::ErrorCode::type newer;
  const int32_t raw = 77;
  std::memcpy(&newer, &raw, sizeof raw);
  EXPECT_EQ(FromWire(newer), ErrorCode::kInternal);
  EXPECT_STREQ(ErrorCodeName(ErrorCode::kLimitExceeded), "LIMIT_EXCEEDED");
  EXPECT_TRUE(ClientError(ErrorCode::kOverloaded, "m", "d").refused_by_service());
  EXPECT_FALSE(ClientError(ErrorCode::kCallFailed, "m", "d").refused_by_service());
}

TEST(ClientOptionsTest, AnAddressThatIsNotHostPortIsRefused) {
  try {
    Client client(ClientOptions{"no-port"});
    FAIL() << "accepted";
  } catch (const ClientError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("HOST:PORT"), std::string::npos) << e.what();
  }
}

TEST(ClientOptionsTest, AnAddressIsEnoughToMakeAClientWhichConnectsLazily) {
  Client client({"127.0.0.1:1"});  // nothing listens on port 1; nothing is tried yet
  EXPECT_EQ(client.address(), "127.0.0.1:1");
  ParticipantClient participant({"127.0.0.1:1"});
  EXPECT_EQ(participant.address(), "127.0.0.1:1");
}

TEST(ClientConnectionTest, AnIdleSocketIsOpenUntilItsPeerCloses) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  EXPECT_FALSE(client_internal::PeerClosed(fds[0]));
  ASSERT_EQ(write(fds[1], "x", 1), 1);
  EXPECT_TRUE(client_internal::PeerClosed(fds[0])) << "unasked bytes put the stream out of step";
  char byte;
  ASSERT_EQ(read(fds[0], &byte, 1), 1);
  EXPECT_FALSE(client_internal::PeerClosed(fds[0]));
  close(fds[1]);
  EXPECT_TRUE(client_internal::PeerClosed(fds[0]));
  close(fds[0]);
  EXPECT_TRUE(client_internal::PeerClosed(-1));
}

}  // namespace
}  // namespace twopc
