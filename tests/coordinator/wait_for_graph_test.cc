#include "coordinator/core/wait_for_graph.h"

#include <gtest/gtest.h>

namespace twopc::coordinator {
namespace {

TEST(WaitForGraph, WaitsWithoutACycleAreNoDeadlock) {
  WaitForGraph graph;
  EXPECT_EQ(graph.AddWait(1, 0, "p0", 2), std::nullopt);
  EXPECT_EQ(graph.AddWait(2, 0, "p1", 3), std::nullopt);
  EXPECT_EQ(graph.AddWait(4, 0, "p1", 3), std::nullopt);
}

TEST(WaitForGraph, TwoTransactionsWaitingForEachOtherAreADeadlockAndTheYoungestIsTheVictim) {
  WaitForGraph graph;
  ASSERT_EQ(graph.AddWait(7, 1, "p1", 9), std::nullopt);
  const std::optional<WaitForGraph::Deadlock> deadlock = graph.AddWait(9, 0, "p0", 7);
  ASSERT_TRUE(deadlock.has_value());
  EXPECT_EQ(deadlock->victim, 9);
  ASSERT_EQ(deadlock->cycle.size(), 2u);
  EXPECT_EQ(WaitForGraph::Describe(*deadlock),
            "transaction 9 waits for 7 at p0, 7 waits for 9 at p1");
}

TEST(WaitForGraph, ALongerCycleIsFoundAndItsYoungestChosenWhoeverClosedIt) {
  WaitForGraph graph;
  ASSERT_EQ(graph.AddWait(5, 0, "p0", 8), std::nullopt);
  ASSERT_EQ(graph.AddWait(8, 0, "p1", 3), std::nullopt);
  const std::optional<WaitForGraph::Deadlock> deadlock = graph.AddWait(3, 0, "p2", 5);
  ASSERT_TRUE(deadlock.has_value());
  EXPECT_EQ(deadlock->victim, 8);
  EXPECT_EQ(deadlock->cycle.size(), 3u);
}

TEST(WaitForGraph, AWaitThatEndedNoLongerCloses) {
  WaitForGraph graph;
  ASSERT_EQ(graph.AddWait(1, 0, "p0", 2), std::nullopt);
  graph.RemoveWait(1, 0);
  EXPECT_EQ(graph.AddWait(2, 0, "p1", 1), std::nullopt);
  EXPECT_EQ(graph.AddWait(1, 0, "p0", 3), std::nullopt);
  graph.Forget(2);
  EXPECT_EQ(graph.AddWait(3, 0, "p2", 2), std::nullopt) << "2 waits for nothing now";
}

TEST(WaitForGraph, ABranchWaitsForOneHolderAtATime) {
  WaitForGraph graph;
  ASSERT_EQ(graph.AddWait(1, 0, "p0", 2), std::nullopt);
  ASSERT_EQ(graph.AddWait(1, 0, "p0", 3), std::nullopt);  // sent again, another holder
  EXPECT_EQ(graph.AddWait(2, 0, "p1", 1), std::nullopt) << "1 no longer waits for 2";
  EXPECT_TRUE(graph.AddWait(3, 0, "p1", 1).has_value());
}

TEST(WaitForGraph, ForgettingEveryWaitEmptiesIt) {
  WaitForGraph graph;
  ASSERT_EQ(graph.AddWait(1, 0, "p0", 2), std::nullopt);
  ASSERT_EQ(graph.AddWait(1, 1, "p1", 3), std::nullopt);
  graph.Forget(1);
  EXPECT_TRUE(graph.empty());
}

}  // namespace
}  // namespace twopc::coordinator
