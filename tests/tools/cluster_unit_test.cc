// tools/cluster's helpers without processes: the temporary directory, free
// ports and the bank database. The launcher itself runs in every integration
// test and in txbench's smoke test.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tests/temp_dir.h"
#include "tools/cluster/bank_database.h"
#include "tools/cluster/free_ports.h"
#include "tools/cluster/temp_dir.h"

namespace twopc::tools {
namespace {

TEST(ClusterTempDirTest, IsRemovedWithItsContents) {
  std::string path;
  {
    StatusOr<std::unique_ptr<TempDir>> dir = TempDir::Create("cluster_unit.");
    ASSERT_TRUE(dir.ok()) << dir.status().message();
    path = (*dir)->path();
    EXPECT_TRUE(std::filesystem::is_directory(path));
    std::ofstream((*dir)->Join("file")) << "x";
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(ClusterFreePortsTest, AreDistinct) {
  StatusOr<std::vector<int>> ports = FreePorts(5);
  ASSERT_TRUE(ports.ok()) << ports.status().message();
  ASSERT_EQ(ports->size(), 5u);
  EXPECT_EQ(std::set<int>(ports->begin(), ports->end()).size(), 5u);
  for (const int port : *ports) EXPECT_GT(port, 0);
}

TEST(ClusterBankDatabaseTest, RefusesAnExistingDatabaseAndNamesIt) {
  test::TempDir dir;
  const std::string path = dir.Join("p0.db");
  ASSERT_TRUE(CreateBankDatabase(path, 3, 100).ok());
  const Status again = CreateBankDatabase(path, 3, 100);
  EXPECT_FALSE(again.ok());
  EXPECT_NE(again.message().find(path), std::string::npos) << again.message();
}

TEST(ClusterBankDatabaseTest, ReportsBadExtraSql) {
  test::TempDir dir;
  const Status status = CreateBankDatabase(dir.Join("p0.db"), 3, 100, "CREATE TABLE (");
  EXPECT_FALSE(status.ok());
}

}  // namespace
}  // namespace twopc::tools
