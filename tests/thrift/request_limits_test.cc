#include "thrift/rpc/request_limits.h"

#include <gtest/gtest.h>

#include <cstring>

namespace twopc::rpc {
namespace {

Statement Sql(const std::string& sql) {
  Statement statement;
  statement.sql = sql;
  return statement;
}

Value Text(size_t bytes) {
  Value value;
  value.kind = ValueKind::TEXT;
  value.__set_text_value(std::string(bytes, 'x'));
  return value;
}

Value Blob(size_t bytes) {
  Value value;
  value.kind = ValueKind::BLOB;
  value.__set_blob_value(std::string(bytes, '\0'));
  return value;
}

Branch BranchOf(const std::string& participant, size_t statements) {
  Branch branch;
  branch.participant = participant;
  for (size_t i = 0; i < statements; ++i) branch.statements.push_back(Sql("SELECT 1"));
  return branch;
}

ExecuteRequest RequestOf(std::vector<Branch> branches) {
  ExecuteRequest request;
  request.branches = std::move(branches);
  return request;
}

const std::vector<std::string> kKnown = {"p0", "p1", "p2"};

TEST(StatementLimitsTest, WithinEveryLimitPasses) {
  StatementLimits limits;
  limits.max_statements = 2;
  limits.max_sql_bytes = 8;
  limits.max_value_bytes = 4;
  limits.max_params = 2;
  Statement statement = Sql("SELECT ?");
  statement.params = {Text(4), Blob(4)};
  EXPECT_FALSE(CheckStatements({statement, Sql("SELECT 1")}, limits, "b"));
}

TEST(StatementLimitsTest, EachLimitIsRefusedWithLimitExceededAndSaysWhich) {
  StatementLimits limits;
  limits.max_statements = 2;
  limits.max_sql_bytes = 8;
  limits.max_value_bytes = 4;
  limits.max_params = 2;

  auto too_many = CheckStatements({Sql("a"), Sql("b"), Sql("c")}, limits, "the branch for 'p0'");
  ASSERT_TRUE(too_many);
  EXPECT_EQ(too_many->code, ErrorCode::LIMIT_EXCEEDED);
  EXPECT_EQ(too_many->message, "too many statements in the branch for 'p0': 3 > 2");

  auto long_sql = CheckStatements({Sql("SELECT 123")}, limits, "b");
  ASSERT_TRUE(long_sql);
  EXPECT_EQ(long_sql->code, ErrorCode::LIMIT_EXCEEDED);
  EXPECT_EQ(long_sql->message, "SQL too long in b, statement 1 (bytes): 10 > 8");

  Statement big = Sql("SELECT ?");
  big.params = {Text(1), Blob(5)};
  auto big_value = CheckStatements({Sql("x"), big}, limits, "b");
  ASSERT_TRUE(big_value);
  EXPECT_EQ(big_value->code, ErrorCode::LIMIT_EXCEEDED);
  EXPECT_EQ(big_value->message, "parameter 2 too large in b, statement 2 (bytes): 5 > 4");

  Statement many = Sql("SELECT ?");
  many.params = {Text(1), Text(1), Text(1)};
  auto many_params = CheckStatements({many}, limits, "b");
  ASSERT_TRUE(many_params);
  EXPECT_EQ(many_params->message, "too many parameters in b, statement 1: 3 > 2");
}

// Found by the coordinator RPC fuzzer: any number may arrive in Value.kind,
// and loading it as the enum is undefined behaviour (the UBSan build fails).
TEST(StatementLimitsTest, AValueOfAnUnknownKindIsNotReadAsTheEnum) {
  std::vector<Value> params(1);
  params[0].__set_text_value(std::string(10, 'x'));
  // Written in place: even copying a Value loads its kind as the enum.
  const int32_t unknown_kind = 63;
  std::memcpy(&params[0].kind, &unknown_kind, sizeof unknown_kind);
  StatementLimits limits;
  limits.max_value_bytes = 1;
  auto refusal = CheckStatement("SELECT ?", params, limits, "the query");
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->code, ErrorCode::INVALID_REQUEST)
      << "a value of no known kind is malformed, and carries no TEXT or BLOB bytes to count";
}

TEST(StatementLimitsTest, AParameterWhoseKindAndValueDisagreeIsAnInvalidRequest) {
  std::vector<Value> params(3);
  params[0].kind = ValueKind::NULL_VALUE;
  params[1].kind = ValueKind::INTEGER;
  params[1].__set_integer_value(7);
  params[2].kind = ValueKind::TEXT;  // no text_value
  auto refusal = CheckStatement("SELECT ?, ?, ?", params, StatementLimits(), "the query");
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->code, ErrorCode::INVALID_REQUEST);
  EXPECT_EQ(refusal->message, "parameter 3 in the query: its kind does not match its value");
  params[2].__set_text_value("");
  EXPECT_FALSE(CheckStatement("SELECT ?, ?, ?", params, StatementLimits(), "the query"));
}

TEST(StatementLimitsTest, AQueryIsCheckedAsOneStatement) {
  StatementLimits limits;
  limits.max_value_bytes = 4;
  EXPECT_FALSE(CheckStatement("SELECT ?", {Text(4)}, limits, "the query"));
  auto refusal = CheckStatement("SELECT ?", {Text(5)}, limits, "the query");
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->message, "parameter 1 too large in the query (bytes): 5 > 4");
}

TEST(StatementLimitsTest, NoStatementsIsAnInvalidRequest) {
  auto empty = CheckStatements({}, StatementLimits{}, "the branch for 'p1'");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->code, ErrorCode::INVALID_REQUEST);
  EXPECT_EQ(empty->message, "the branch for 'p1' has no statements");
}

TEST(ExecuteRequestLimitsTest, AValidRequestPasses) {
  EXPECT_FALSE(CheckExecuteRequest(RequestOf({BranchOf("p0", 2), BranchOf("p2", 1)}), {}, kKnown));
}

TEST(ExecuteRequestLimitsTest, EmptyUnknownDuplicateAndTooManyBranchesAreRefused) {
  auto empty = CheckExecuteRequest(RequestOf({}), {}, kKnown);
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->code, ErrorCode::INVALID_REQUEST);

  auto unknown = CheckExecuteRequest(RequestOf({BranchOf("px", 1)}), {}, kKnown);
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->code, ErrorCode::UNKNOWN_PARTICIPANT);
  EXPECT_EQ(unknown->message, "unknown participant 'px' (known: p0, p1, p2)");

  auto duplicate =
      CheckExecuteRequest(RequestOf({BranchOf("p1", 1), BranchOf("p1", 1)}), {}, kKnown);
  ASSERT_TRUE(duplicate);
  EXPECT_EQ(duplicate->code, ErrorCode::DUPLICATE_PARTICIPANT);

  RequestLimits two;
  two.max_branches = 2;
  auto too_many = CheckExecuteRequest(
      RequestOf({BranchOf("p0", 1), BranchOf("p1", 1), BranchOf("p2", 1)}), two, kKnown);
  ASSERT_TRUE(too_many);
  EXPECT_EQ(too_many->code, ErrorCode::LIMIT_EXCEEDED);
  EXPECT_EQ(too_many->message, "too many branches: 3 > 2");

  auto empty_branch = CheckExecuteRequest(RequestOf({BranchOf("p0", 0)}), {}, kKnown);
  ASSERT_TRUE(empty_branch);
  EXPECT_EQ(empty_branch->code, ErrorCode::INVALID_REQUEST);

  ExecuteRequest negative = RequestOf({BranchOf("p0", 1)});
  negative.timeout_ms = -1;
  auto bad_timeout = CheckExecuteRequest(negative, {}, kKnown);
  ASSERT_TRUE(bad_timeout);
  EXPECT_EQ(bad_timeout->code, ErrorCode::INVALID_REQUEST);

  ExecuteRequest negative_deadline = RequestOf({BranchOf("p0", 1)});
  negative_deadline.__set_deadline_ms(-1);
  auto bad_deadline = CheckExecuteRequest(negative_deadline, {}, kKnown);
  ASSERT_TRUE(bad_deadline);
  EXPECT_EQ(bad_deadline->code, ErrorCode::INVALID_REQUEST);
  EXPECT_EQ(bad_deadline->message, "deadline_ms must be >= 0");
}

TEST(ExecuteRequestLimitsTest, StatementLimitsApplyToEveryBranch) {
  RequestLimits limits;
  limits.statements.max_statements = 1;
  auto refusal =
      CheckExecuteRequest(RequestOf({BranchOf("p0", 1), BranchOf("p1", 2)}), limits, kKnown);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->message, "too many statements in the branch for 'p1': 2 > 1");
}

}  // namespace
}  // namespace twopc::rpc
