// txctl's command line and output formats, tested without any process.
#include <gtest/gtest.h>

#include "tools/txctl_args.h"
#include "tools/txctl_format.h"
#include "wal/base/json_text.h"

namespace twopc::txctl {
namespace {

Command Parse(const std::vector<std::string>& args) {
  Command command;
  const Status status = ParseCommandLine(args, &command);
  EXPECT_TRUE(status.ok()) << status.ToString();
  return command;
}

std::string ParseError(const std::vector<std::string>& args) {
  Command command;
  const Status status = ParseCommandLine(args, &command);
  EXPECT_TRUE(status.IsInvalidArgument()) << status.ToString();
  return status.message();
}

TEST(TxctlArgsTest, BranchSplitsAtFirstColonAndMergesByParticipantInOrder) {
  const Command command =
      Parse({"--coordinator", "127.0.0.1:7000", "exec", "--branch", "p0:SELECT 'a:b'", "--branch",
             "p1:UPDATE t SET x = 1", "--branch=p0:UPDATE t SET x = 2"});
  EXPECT_EQ(command.kind, CommandKind::kExec);
  EXPECT_EQ(command.address.host, "127.0.0.1");
  EXPECT_EQ(command.address.port, 7000);
  ASSERT_EQ(command.branches.size(), 2u);
  EXPECT_EQ(command.branches[0].participant, "p0");
  EXPECT_EQ(command.branches[0].statements,
            (std::vector<std::string>{"SELECT 'a:b'", "UPDATE t SET x = 2"}));
  EXPECT_EQ(command.branches[1].participant, "p1");
  EXPECT_EQ(command.branches[1].statements, std::vector<std::string>{"UPDATE t SET x = 1"});
}

TEST(TxctlArgsTest, ExpectRowsAppliesToTheBranchJustBeforeIt) {
  const Command command = Parse({"--coordinator", "h:1", "exec", "--branch", "p0:SELECT 1",
                                 "--expect-rows", "1", "--branch", "p1:UPDATE t SET x = 1",
                                 "--branch", "p0:UPDATE t SET x = 2", "--expect-rows=0"});
  ASSERT_EQ(command.branches.size(), 2u);
  EXPECT_EQ(command.branches[0].expect_rows,
            (std::vector<std::optional<int64_t>>{int64_t{1}, int64_t{0}}));
  EXPECT_EQ(command.branches[1].expect_rows, (std::vector<std::optional<int64_t>>{std::nullopt}));
  EXPECT_EQ(ParseError({"--coordinator", "h:1", "exec", "--expect-rows", "1", "--branch", "a:x"}),
            "--expect-rows applies to the --branch before it; give that --branch first");
  EXPECT_EQ(ParseError({"--coordinator", "h:1", "exec", "--branch", "a:x", "--expect-rows", "1",
                        "--expect-rows", "2"}),
            "--expect-rows (for one --branch) given twice");
  EXPECT_EQ(ParseError({"--coordinator", "h:1", "exec", "--branch", "a:x", "--expect-rows", "-1"}),
            "--expect-rows expects a count of rows (0 or more), got '-1'");
  EXPECT_EQ(ParseError({"--coordinator", "h:1", "exec", "--branch", "a:x", "--expect-rows"}),
            "--expect-rows needs a value");
}

TEST(TxctlArgsTest, SecurityOptionsGoWithEveryCommand) {
  const Command health =
      Parse({"--tls-ca", "ca.pem", "--coordinator", "h:1", "health", "--tls-cert=node.pem",
             "--tls-key", "node.key", "--token-file", "token"});
  EXPECT_EQ(health.security.tls_ca, "ca.pem");
  EXPECT_EQ(health.security.tls_cert, "node.pem");
  EXPECT_EQ(health.security.tls_key, "node.key");
  EXPECT_EQ(health.token_file, "token");
  EXPECT_EQ(health.security.token, "");  // read by the caller, never on the command line
  EXPECT_EQ(ParseError({"--tls-ca", "a", "--tls-ca", "b", "--coordinator", "h:1", "health"}),
            "--tls-ca given twice");
  EXPECT_EQ(ParseError({"--token-file=", "--coordinator", "h:1", "health"}),
            "--tls-cert, --tls-key, --tls-ca and --token-file need a file name");
}

TEST(TxctlArgsTest, ExecTakesTimeoutAndJson) {
  const Command command =
      Parse({"exec", "--coordinator=h:1", "--branch", "a:x", "--timeout-ms", "500", "--json"});
  EXPECT_EQ(command.timeout_ms, 500);
  EXPECT_EQ(command.deadline_ms, 0);
  EXPECT_TRUE(command.json);
}

TEST(TxctlArgsTest, ExecTakesADeadlineOtherCommandsRefuseIt) {
  EXPECT_EQ(
      Parse({"exec", "--coordinator=h:1", "--branch", "a:x", "--deadline-ms", "250"}).deadline_ms,
      250);
  EXPECT_EQ(ParseError({"--coordinator", "h:1", "exec", "--branch", "a:b", "--deadline-ms", "-1"}),
            "--deadline-ms expects milliseconds (0..2147483647), got '-1'");
  EXPECT_EQ(ParseError({"--coordinator", "h:1", "exec", "--branch", "a:b", "--deadline-ms", "1",
                        "--deadline-ms", "2"}),
            "--deadline-ms given twice");
  EXPECT_NE(ParseError({"--coordinator", "h:1", "status", "4", "--deadline-ms", "5"})
                .find("--deadline-ms"),
            std::string::npos);
}

TEST(TxctlArgsTest, StatusQueryAndHealthPickTheirService) {
  EXPECT_EQ(Parse({"--coordinator", "h:1", "status", "42"}).txid, 42);
  const Command query = Parse({"--participant", "h:2", "query", "SELECT 1"});
  EXPECT_EQ(query.kind, CommandKind::kQuery);
  EXPECT_EQ(query.sql, "SELECT 1");
  EXPECT_EQ(Parse({"--participant", "h:2", "health"}).target, Target::kParticipant);
  EXPECT_EQ(Parse({"--coordinator", "h:2", "health"}).target, Target::kCoordinator);
}

TEST(TxctlArgsTest, HelpWinsEverywhere) {
  EXPECT_EQ(Parse({"--help"}).kind, CommandKind::kHelp);
  EXPECT_EQ(Parse({"exec", "-h"}).kind, CommandKind::kHelp);
}

TEST(TxctlArgsTest, VersionNeedsNothingElse) {
  EXPECT_EQ(Parse({"--version"}).kind, CommandKind::kVersion);
  EXPECT_EQ(Parse({"--coordinator", "h:1", "exec", "--version"}).kind, CommandKind::kVersion);
}

TEST(TxctlArgsTest, BadUsageIsExplained) {
  EXPECT_NE(ParseError({}).find("no command"), std::string::npos);
  EXPECT_NE(ParseError({"launch"}).find("unknown command 'launch'"), std::string::npos);
  EXPECT_NE(ParseError({"--coordinator", "h:1", "exec", "--frob"}).find("'--frob'"),
            std::string::npos);
  EXPECT_NE(ParseError({"--coordinator", "h:1", "exec", "--branch"}).find("needs a value"),
            std::string::npos);
  EXPECT_NE(ParseError({"--coordinator", "h:1", "exec", "--branch", "nocolon"}).find("NAME:SQL"),
            std::string::npos);
  EXPECT_NE(ParseError({"--coordinator", "h:1", "exec", "--branch", ":SELECT 1"}).find("NAME:SQL"),
            std::string::npos);
  EXPECT_NE(ParseError({"--coordinator", "h:1", "exec", "--branch", "p0:  "}).find("empty SQL"),
            std::string::npos);
  EXPECT_NE(ParseError({"--coordinator", "h:1", "exec"}).find("--branch"), std::string::npos);
  EXPECT_NE(ParseError({"--coordinator", "nohost", "exec", "--branch", "a:b"}).find("HOST:PORT"),
            std::string::npos);
  EXPECT_NE(ParseError({"--coordinator", "h:0", "health"}).find("port"), std::string::npos);
  EXPECT_NE(ParseError({"--coordinator", "h:1", "exec", "--branch", "a:b", "--timeout-ms", "-5"})
                .find("--timeout-ms"),
            std::string::npos);
  EXPECT_NE(ParseError({"--coordinator", "h:1", "status", "12x"}).find("TXID"), std::string::npos);
  EXPECT_NE(ParseError({"--coordinator", "h:1", "status"}).find("TXID"), std::string::npos);
  EXPECT_NE(ParseError({"--coordinator", "h:1", "query", "SELECT 1"}).find("--participant"),
            std::string::npos);
  EXPECT_NE(ParseError({"--participant", "h:1", "exec", "--branch", "a:b"}).find("--participant"),
            std::string::npos);
  EXPECT_NE(ParseError({"health"}).find("exactly one"), std::string::npos);
  EXPECT_NE(ParseError({"--coordinator", "h:1", "--coordinator", "h:2", "health"}).find("twice"),
            std::string::npos);
}

TEST(TxctlFormatTest, JsonQuoteEscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(JsonQuote("plain"), "\"plain\"");
  EXPECT_EQ(JsonQuote("a\"b\\c\nd\te\x01"), "\"a\\\"b\\\\c\\nd\\te\\u0001\"");
  EXPECT_EQ(JsonQuote("h\xc3\xa9"), "\"h\xc3\xa9\"");
}

rpc::Value Integer(int64_t v) {
  rpc::Value value;
  value.kind = rpc::ValueKind::INTEGER;
  value.__set_integer_value(v);
  return value;
}

TEST(TxctlFormatTest, ValuesPrintLikeSqlLiterals) {
  rpc::Value null_value;
  null_value.kind = rpc::ValueKind::NULL_VALUE;
  EXPECT_EQ(FormatValue(null_value), "NULL");
  EXPECT_EQ(FormatValue(Integer(-42)), "-42");
  rpc::Value real;
  real.kind = rpc::ValueKind::REAL;
  real.__set_real_value(1.5);
  EXPECT_EQ(FormatValue(real), "1.5");
  real.__set_real_value(2.0);
  EXPECT_EQ(FormatValue(real), "2.0");
  real.__set_real_value(0.1);
  EXPECT_EQ(FormatValue(real), "0.1");
  rpc::Value blob;
  blob.kind = rpc::ValueKind::BLOB;
  blob.__set_blob_value(std::string("\x00\xff\x10", 3));
  EXPECT_EQ(FormatValue(blob), "X'00FF10'");
  rpc::Value text;
  text.kind = rpc::ValueKind::TEXT;
  text.__set_text_value("a\tb\\c");
  EXPECT_EQ(FormatValue(text), "a\\tb\\\\c");

  rpc::Row row;
  row.values = {Integer(1), null_value, text};
  EXPECT_EQ(FormatRow(row), "1\tNULL\ta\\tb\\\\c");
}

TEST(TxctlFormatTest, ExecuteResultAsTextAndJson) {
  rpc::ExecuteResult result;
  result.txid = 17;
  result.outcome = rpc::Outcome::COMMITTED;
  EXPECT_EQ(FormatExecuteText(result), "17 COMMITTED");
  rpc::BranchResult branch;
  branch.participant = "p0";
  branch.changes = {1, 0};
  result.branches = {branch};
  EXPECT_EQ(FormatExecuteJson(result),
            "{\"txid\":17,\"outcome\":\"COMMITTED\",\"reason\":\"\",\"branches\":"
            "[{\"participant\":\"p0\",\"changes\":[1,0]}]}");

  result.outcome = rpc::Outcome::ABORTED;
  result.reason = "p1: CHECK constraint failed: \"balance\" >= 0";
  EXPECT_EQ(FormatExecuteText(result), "17 ABORTED: p1: CHECK constraint failed: \"balance\" >= 0");
  EXPECT_NE(FormatExecuteJson(result).find(
                "\"reason\":\"p1: CHECK constraint failed: \\\"balance\\\" >= 0\""),
            std::string::npos);
}

TEST(TxctlFormatTest, RowsABranchReadPrintAfterTheOutcomeAndInJson) {
  ExecuteResult result;
  result.txid = 18;
  result.outcome = Outcome::kCommitted;
  BranchResult branch;
  branch.participant = "p0";
  branch.changes = {0, 1};
  QueryResult read;
  read.columns = {"id", "note", "photo", "score", "gone"};
  read.rows = {{Value(int64_t{1}), Value("a\tb"), Value::Blob(std::string("\x00\xff", 2)),
                Value(0.5), Value()}};
  branch.rows = {read, QueryResult()};
  result.branches = {branch};
  EXPECT_EQ(FormatExecuteReads(result), "1\ta\\tb\tX'00FF'\t0.5\tNULL\n");
  EXPECT_EQ(FormatExecuteJson(result),
            "{\"txid\":18,\"outcome\":\"COMMITTED\",\"reason\":\"\",\"branches\":"
            "[{\"participant\":\"p0\",\"changes\":[0,1],\"rows\":["
            "{\"columns\":[\"id\",\"note\",\"photo\",\"score\",\"gone\"],"
            "\"rows\":[[1,\"a\\tb\",{\"blob\":\"00FF\"},0.5,null]]},"
            "{\"columns\":[],\"rows\":[]}]}]}");
  // Text that is not UTF-8 still makes valid JSON.
  result.branches[0].rows = {QueryResult{{"t"}, {{Value(std::string("a\xff"))}}}};
  EXPECT_NE(FormatExecuteJson(result).find("\"rows\":[[\"a\xEF\xBF\xBD\"]]"), std::string::npos)
      << FormatExecuteJson(result);
  result.branches[0].rows.clear();
  EXPECT_EQ(FormatExecuteReads(result), "");
}

}  // namespace
}  // namespace twopc::txctl
