// A fixture: a cluster whose coordinator and first participant serve their
// admin endpoint (--admin-listen) on free ports; its logs are printed when a
// test fails.
#pragma once

#include <gtest/gtest.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/cluster.h"

namespace twopc::testing {

class AdminClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::vector<int> ports = FreePorts(2);
    coordinator_admin_ = "127.0.0.1:" + std::to_string(ports[0]);
    participant_admin_ = "127.0.0.1:" + std::to_string(ports[1]);
    cluster_ = std::make_unique<Cluster>(dir_.path());
    Cluster::Options options;
    options.coordinator_flags = {"--admin-listen=" + coordinator_admin_};
    options.participant_own_flags = {{"--admin-listen=" + participant_admin_}};
    std::string error;
    ASSERT_TRUE(cluster_->Start(options, &error)) << error;
  }

  void TearDown() override {
    if (HasFailure() && cluster_) std::cerr << cluster_->Logs();
  }

  TempDir dir_;
  std::unique_ptr<Cluster> cluster_;
  std::string coordinator_admin_;
  std::string participant_admin_;
};

}  // namespace twopc::testing
