// UseBatchScheduling on this test's own threads (it changes this process's
// policy, nothing else).
#include "thrift/server/batch_scheduling.h"

#include <sched.h>

#include <gtest/gtest.h>

#include <thread>

namespace twopc::rpc {
namespace {

TEST(BatchSchedulingTest, TheCallingThreadAndThreadsItStartsLaterRunUnderSchedBatch) {
  int policy_before_in_new_thread = -1;
  std::thread([&] { policy_before_in_new_thread = sched_getscheduler(0); }).join();
  ASSERT_EQ(policy_before_in_new_thread, SCHED_OTHER) << "the test must start from the default";

  const Status status = UseBatchScheduling();
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(sched_getscheduler(0), SCHED_BATCH);
  int policy_in_new_thread = -1;
  std::thread([&] { policy_in_new_thread = sched_getscheduler(0); }).join();
  EXPECT_EQ(policy_in_new_thread, SCHED_BATCH);
}

}  // namespace
}  // namespace twopc::rpc
