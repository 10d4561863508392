// `cmake --install` of this build tree, then a project outside the tree that
// uses find_package(twopc) and links twopc::client, built against it and run
// against a real cluster: the transfer must land on both databases.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/integration/cluster.h"

namespace twopc::testing {
namespace {

// A safety net for configure and build on a loaded machine, not a measurement.
constexpr int kBuildDeadlineMs = 600000;

RunResult Cmake(const std::vector<std::string>& args) {
  return RunProgram(TWOPC_CMAKE_COMMAND, args, kBuildDeadlineMs);
}

TEST(ClientPackageTest, ConsumerFindsThePackageLinksTheClientAndTransfers) {
  TempDir dir;
  const std::string prefix = dir.path() + "/prefix";
  const std::string build = dir.path() + "/consumer-build";

  RunResult run =
      Cmake({"--install", TWOPC_BUILD_DIR, "--prefix", prefix, "--component", "client"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  run = Cmake({"-S", TWOPC_CONSUMER_SOURCE_DIR, "-B", build, "-DCMAKE_PREFIX_PATH=" + prefix,
               "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
               std::string("-DCMAKE_CXX_COMPILER=") + TWOPC_CXX_COMPILER,
               std::string("-DCMAKE_CXX_FLAGS=") + TWOPC_SANITIZE_FLAGS,
               std::string("-DCMAKE_EXE_LINKER_FLAGS=") + TWOPC_SANITIZE_FLAGS});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  // The package found is the one just installed.
  std::ifstream cache(build + "/CMakeCache.txt");
  const std::string cache_text((std::istreambuf_iterator<char>(cache)),
                               std::istreambuf_iterator<char>());
  EXPECT_NE(cache_text.find("twopc_DIR:PATH=" + prefix + "/"), std::string::npos);
  run = Cmake({"--build", build});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;

  Cluster cluster(dir.path());
  Cluster::Options options;
  options.accounts = 4;
  options.balance = 100;
  std::string error;
  ASSERT_TRUE(cluster.Start(options, &error)) << error;
  run = RunProgram(build + "/twopc_transfer",
                   {cluster.coordinator_address(), "p0", "1", "p1", "3", "25"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err << cluster.Logs();
  EXPECT_NE(run.out.find(" COMMITTED"), std::string::npos) << run.out;
  EXPECT_EQ(ReadBalances(cluster.db_path(0)), (std::vector<int64_t>{100, 75, 100, 100}));
  EXPECT_EQ(ReadBalances(cluster.db_path(1)), (std::vector<int64_t>{100, 100, 100, 125}));
}

}  // namespace
}  // namespace twopc::testing
