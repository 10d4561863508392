// The deterministic simulation as a test: a fixed budget of seeds passes,
// a seed replays exactly, and deliberately broken variants are caught.
#include "tests/sim/simulation.h"

#include <gtest/gtest.h>

namespace twopc::sim {
namespace {

std::string Describe(const SimResult& result) {
  std::string out;
  for (const std::string& v : result.violations) out += "  " + v + "\n";
  out += "last events:\n";
  for (const std::string& line : result.trace) out += "  " + line + "\n";
  return out;
}

TEST(SimulationTest, TheSameSeedGivesTheSameTrace) {
  SimOptions options;
  options.seed = 7;
  const SimResult first = RunSimulation(options);
  const SimResult second = RunSimulation(options);
  ASSERT_TRUE(first.ok()) << Describe(first);
  EXPECT_GT(first.transactions, 0u);
  EXPECT_GT(first.crashes, 0u);
  EXPECT_EQ(first.trace_hash, second.trace_hash);
  EXPECT_EQ(first.events, second.events);
  options.seed = 8;
  EXPECT_NE(RunSimulation(options).trace_hash, first.trace_hash);
}

TEST(SimulationTest, FixedSeedsPassEveryCheck) {
  SimOptions options;
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    options.seed = seed;
    const SimResult result = RunSimulation(options);
    ASSERT_TRUE(result.ok()) << "seed " << seed << ":\n"
                             << Describe(result) << "replay: build/tests/twopc_sim --seed " << seed
                             << " --trace";
  }
}

// A variant is caught when some seed among the first `budget` fails.
uint64_t FirstFailingSeed(Bug bug, uint64_t budget) {
  SimOptions options;
  options.bug = bug;
  for (uint64_t seed = 1; seed <= budget; ++seed) {
    options.seed = seed;
    if (!RunSimulation(options).ok()) return seed;
  }
  return 0;
}

TEST(SimulationTest, ADiskThatAcknowledgesSyncsItDidNotDoIsCaught) {
  EXPECT_NE(FirstFailingSeed(Bug::kSyncLies, 40), 0u);
}

TEST(SimulationTest, AnAbortAnsweredForALiveTransactionIsCaught) {
  EXPECT_NE(FirstFailingSeed(Bug::kAbortLiveInquiry, 40), 0u);
}

}  // namespace
}  // namespace twopc::sim
