// The shared program conventions: config files, flag parsing, JSON log lines.
#include <gflags/gflags.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "tests/temp_dir.h"
#include "thrift/server/config_file.h"
#include "thrift/server/gflags_args.h"
#include "thrift/server/json_log_line.h"

DEFINE_int32(unit_count, 1, "an int flag for these tests");
DEFINE_string(unit_name, "", "a string flag for these tests");
DEFINE_bool(unit_switch, false, "a bool flag for these tests");

namespace twopc::program {
namespace {

std::vector<std::string> Texts(const std::vector<SourcedArg>& args) {
  std::vector<std::string> texts;
  for (const SourcedArg& arg : args) texts.push_back(arg.text);
  return texts;
}

TEST(ConfigFile, LinesBecomeFlagsWithCommentsAndBlanksSkipped) {
  std::vector<SourcedArg> args;
  const Status status = ParseConfigText(
      "# a comment\n\n  --listen=0.0.0.0:7700  \nwal_dir=/var/lib/x\n"
      "--create_db\r\n--participant=p0=10.0.0.1:7701 # not a comment\n",
      "f.conf", &args);
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(Texts(args), (std::vector<std::string>{
                             "--listen=0.0.0.0:7700", "--wal_dir=/var/lib/x", "--create_db",
                             "--participant=p0=10.0.0.1:7701 # not a comment"}));
  EXPECT_EQ(args[1].origin, "f.conf line 4");
}

TEST(ConfigFile, ALineThatIsNotAFlagNamesFileAndLine) {
  std::vector<SourcedArg> args;
  Status status = ParseConfigText("--listen=x\n--wal_dir /var/lib/x\n", "f.conf", &args);
  EXPECT_TRUE(status.IsInvalidArgument()) << status.ToString();
  EXPECT_EQ(status.message(), "f.conf line 2: expected --flag=value, got '--wal_dir /var/lib/x'");
  status = ParseConfigText("--config=other.conf\n", "f.conf", &args);
  EXPECT_TRUE(status.IsInvalidArgument()) << status.ToString();
  EXPECT_NE(status.message().find("f.conf line 1: --config cannot be used"), std::string::npos)
      << status.ToString();
}

TEST(ConfigFile, MissingFileOrDirectoryIsAClearError) {
  test::TempDir dir;
  std::vector<SourcedArg> args;
  Status status = ReadConfigFile(dir.Join("absent.conf"), &args);
  EXPECT_TRUE(status.IsIoError()) << status.ToString();
  EXPECT_NE(status.message().find("absent.conf: cannot read: No such file or directory"),
            std::string::npos)
      << status.ToString();
  status = ReadConfigFile(dir.path(), &args);
  EXPECT_TRUE(status.IsIoError()) << status.ToString();
  EXPECT_NE(status.message().find("it is a directory"), std::string::npos) << status.ToString();
  std::ofstream(dir.Join("ok.conf")) << "--unit_count=3\n";
  status = ReadConfigFile(dir.Join("ok.conf"), &args);
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(Texts(args), std::vector<std::string>{"--unit_count=3"});
}

std::vector<SourcedArg> CommandLine(const std::vector<std::string>& texts) {
  std::vector<SourcedArg> args;
  for (const std::string& text : texts) args.push_back({text, ""});
  return args;
}

TEST(GflagsArgs, EverySpellingSetsTheFlag) {
  ParsedArgs parsed;
  Status status = ApplyGflagsArgs(
      CommandLine({"--unit-count", "7", "-unit_name=a=b", "--unit_switch"}), {}, &parsed);
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(FLAGS_unit_count, 7);
  EXPECT_EQ(FLAGS_unit_name, "a=b");
  EXPECT_TRUE(FLAGS_unit_switch);
  status = ApplyGflagsArgs(CommandLine({"--nounit_switch", "--unit_count=8"}), {}, &parsed);
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_FALSE(FLAGS_unit_switch);
  EXPECT_EQ(FLAGS_unit_count, 8);
  EXPECT_TRUE(parsed.positionals.empty());
}

TEST(GflagsArgs, RepeatableFlagsAreCollectedInOrder) {
  ParsedArgs parsed;
  const Status status = ApplyGflagsArgs(CommandLine({"--participant=p0=h:1", "--participant",
                                                     "p1=h:2", "extra", "--", "--unit_count=9"}),
                                        {"participant"}, &parsed);
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(parsed.repeated["participant"], (std::vector<std::string>{"p0=h:1", "p1=h:2"}));
  EXPECT_EQ(parsed.positionals, (std::vector<std::string>{"extra", "--unit_count=9"}));
}

// The message of a refusal (ApplyGflagsArgs must fail with InvalidArgument).
std::string RefusalOf(const std::vector<SourcedArg>& args) {
  ParsedArgs parsed;
  const Status status = ApplyGflagsArgs(args, {}, &parsed);
  EXPECT_TRUE(status.IsInvalidArgument()) << status.ToString();
  return status.message();
}

TEST(GflagsArgs, UnknownFlagOrBadValueIsAOneLineErrorWithItsOrigin) {
  EXPECT_EQ(RefusalOf(CommandLine({"--unit_cuont=3"})), "unknown flag '--unit_cuont'");
  EXPECT_EQ(RefusalOf({{"--unit_count=many", "f.conf line 3"}}),
            "f.conf line 3: bad value 'many' for --unit_count (int32)");
  EXPECT_EQ(RefusalOf(CommandLine({"--unit_name"})), "--unit_name needs a value");
  // A config line never takes its value from the next line.
  EXPECT_EQ(RefusalOf({{"--unit_name", "f.conf line 1"}, {"x", "f.conf line 2"}}),
            "f.conf line 1: --unit_name needs a value");
}

TEST(JsonLogLine, HasEveryFieldEscaped) {
  LogRecord record;
  record.time = 1795450260;  // 2026-11-23T16:11:00Z
  record.usec = 42;
  record.severity = "WARNING";
  record.program = "txpart";
  record.thread = 4242;
  record.file = "agent.cc";
  record.line = 110;
  record.message = "say \"hi\"\n\tback\\slash";
  EXPECT_EQ(FormatJsonLogLine(record),
            "{\"time\":\"2026-11-23T16:11:00.000042Z\",\"severity\":\"WARNING\","
            "\"program\":\"txpart\",\"thread\":4242,\"file\":\"agent.cc\",\"line\":110,"
            "\"message\":\"say \\\"hi\\\"\\n\\tback\\\\slash\"}");
}

TEST(JsonLogLine, InvalidUtf8BecomesReplacementCharacters) {
  EXPECT_EQ(ValidUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  EXPECT_EQ(ValidUtf8("a\xFF"
                      "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(ValidUtf8("\xC3"), "\xEF\xBF\xBD");                                  // cut short
  EXPECT_EQ(ValidUtf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong
  EXPECT_EQ(ValidUtf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
}

}  // namespace
}  // namespace twopc::program
