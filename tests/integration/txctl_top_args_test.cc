// txctl top's command line, tested without any process.
#include <gtest/gtest.h>

#include "tools/txctl_args.h"

namespace twopc::txctl {
namespace {

// Parses `args` into *command, which must succeed.
void Parses(const std::vector<std::string>& args, Command* command) {
  const Status status = ParseCommandLine(args, command);
  ASSERT_TRUE(status.ok()) << status.ToString();
}

TEST(TxctlTopArgsTest, TopReadsTheAdminEndpointUntilInterruptedByDefault) {
  Command command;
  ASSERT_NO_FATAL_FAILURE(Parses({"--admin", "127.0.0.1:9700", "top"}, &command));
  EXPECT_EQ(command.kind, CommandKind::kTop);
  EXPECT_EQ(command.address.ToString(), "127.0.0.1:9700");
  EXPECT_EQ(command.iterations, 0);
  ASSERT_NO_FATAL_FAILURE(Parses({"top", "--admin=127.0.0.1:9700", "--once"}, &command));
  EXPECT_EQ(command.iterations, 1);
  ASSERT_NO_FATAL_FAILURE(
      Parses({"top", "--admin", "127.0.0.1:9700", "--iterations", "5"}, &command));
  EXPECT_EQ(command.iterations, 5);
  EXPECT_FALSE(command.top_via_coordinator);
}

TEST(TxctlTopArgsTest, TopFindsTheAdminEndpointThroughTheCoordinator) {
  Command command;
  ASSERT_NO_FATAL_FAILURE(Parses({"--coordinator", "127.0.0.1:7700", "top", "--once"}, &command));
  EXPECT_EQ(command.kind, CommandKind::kTop);
  EXPECT_TRUE(command.top_via_coordinator);
  EXPECT_EQ(command.address.ToString(), "127.0.0.1:7700");
  EXPECT_EQ(command.iterations, 1);
}

TEST(TxctlTopArgsTest, BadTopUsageIsExplained) {
  auto error_of = [](const std::vector<std::string>& args) {
    Command command;
    const Status status = ParseCommandLine(args, &command);
    EXPECT_TRUE(status.IsInvalidArgument()) << status.ToString();
    return status.message();
  };
  EXPECT_NE(error_of({"top"}).find("--admin HOST:PORT"), std::string::npos);
  EXPECT_NE(error_of({"--coordinator", "127.0.0.1:7700", "--admin", "127.0.0.1:9700", "top"})
                .find("--admin"),
            std::string::npos);
  EXPECT_NE(error_of({"--participant", "127.0.0.1:7701", "top"}).find("--coordinator"),
            std::string::npos);
  EXPECT_NE(error_of({"--admin", "127.0.0.1:9700", "top", "--iterations", "0"}).find("positive"),
            std::string::npos);
  EXPECT_NE(
      error_of({"--admin", "127.0.0.1:9700", "top", "--once", "--iterations", "2"}).find("both"),
      std::string::npos);
  EXPECT_NE(error_of({"--admin", "127.0.0.1:9700", "top", "--branch", "p0:x"}).find("--branch"),
            std::string::npos);
  EXPECT_NE(error_of({"--coordinator", "127.0.0.1:7700", "--once", "health"}).find("--once"),
            std::string::npos);
  EXPECT_NE(error_of({"--admin", "127.0.0.1:9700", "health"}).find("--admin"), std::string::npos);
}

}  // namespace
}  // namespace twopc::txctl
