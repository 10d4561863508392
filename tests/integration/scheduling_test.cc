// --sched_batch on the real servers: every thread of txcoord and txpart runs
// under SCHED_BATCH by default, under the default policy with --nosched_batch,
// and transactions commit either way.
#include <dirent.h>
#include <sched.h>

#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/cluster.h"

namespace twopc::testing {
namespace {

// Bound on waiting for a committed transfer to be applied (a deadline, not a timing).
constexpr int kAppliedDeadlineMs = 30000;

// The scheduling policy (field 41 of /proc/PID/task/TID/stat) of each thread.
std::map<int, int> ThreadPolicies(pid_t pid) {
  std::map<int, int> policies;
  const std::string task_dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* dir = opendir(task_dir.c_str());
  if (dir == nullptr) return policies;
  while (dirent* entry = readdir(dir)) {
    const std::string tid = entry->d_name;
    if (tid == "." || tid == "..") continue;
    std::ifstream stat(task_dir + "/" + tid + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    // The name (field 2) may hold spaces and parentheses: count from its end.
    const size_t name_end = text.rfind(')');
    if (name_end == std::string::npos) continue;
    std::istringstream fields(text.substr(name_end + 1));
    std::string field;
    for (int number = 3; number <= 41 && fields >> field; ++number) {
      if (number == 41) policies[std::stoi(tid)] = std::stoi(field);
    }
  }
  closedir(dir);
  return policies;
}

class SchedulingTest : public ::testing::Test {
 protected:
  void StartCluster(const std::vector<std::string>& flags) {
    Cluster::Options options;
    options.participants = 2;
    options.participant_flags = flags;
    options.coordinator_flags = flags;
    std::string error;
    ASSERT_TRUE(cluster_.Start(options, &error)) << error;
  }

  void TearDown() override {
    if (HasFailure()) std::cerr << cluster_.Logs();
  }

  // Every thread of every process, after a transfer ran through all of them
  // (so that the threads serving connections exist too).
  void ExpectEveryThreadUnder(int policy) {
    const RunResult run =
        cluster_.Exec({{"p0", "UPDATE accounts SET balance = balance - 5 WHERE id = 1"},
                       {"p1", "UPDATE accounts SET balance = balance + 5 WHERE id = 1"}});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    EXPECT_NE(run.out.find("COMMITTED"), std::string::npos) << run.out;
    // Answered at the commit point: the participant applies it right after.
    EXPECT_TRUE(WaitFor(
        [&] {
          return QueryInt(cluster_.db_path(1), "SELECT balance FROM accounts WHERE id = 1") == 1005;
        },
        kAppliedDeadlineMs));
    std::vector<Process*> processes = {&cluster_.coordinator(), &cluster_.participant(0),
                                       &cluster_.participant(1)};
    for (Process* process : processes) {
      const std::map<int, int> policies = ThreadPolicies(process->pid());
      ASSERT_GT(policies.size(), 1u) << "pid " << process->pid();
      for (const auto& [tid, thread_policy] : policies) {
        EXPECT_EQ(thread_policy, policy) << "pid " << process->pid() << " thread " << tid;
      }
    }
  }

  TempDir dir_;
  Cluster cluster_{dir_.path()};
};

TEST_F(SchedulingTest, EveryServerThreadRunsUnderSchedBatchByDefault) {
  StartCluster({});
  ExpectEveryThreadUnder(SCHED_BATCH);
}

TEST_F(SchedulingTest, NoSchedBatchKeepsTheDefaultPolicy) {
  StartCluster({"--nosched_batch"});
  ExpectEveryThreadUnder(SCHED_OTHER);
}

}  // namespace
}  // namespace twopc::testing
