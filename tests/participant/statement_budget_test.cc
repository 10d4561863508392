// The budget of client SQL, as pure logic: when it expires, what it says, and
// which limit a branch gets.
#include "participant/statement_budget.h"

#include <gtest/gtest.h>

namespace twopc::participant {
namespace {

using std::chrono::milliseconds;
using Clock = StatementBudget::Clock;

TEST(StatementBudget, ExpiresAtItsDeadlineNotBefore) {
  const Clock::time_point start = Clock::now();
  StatementBudget budget(start, milliseconds(3000), "--max_statement_ms");
  EXPECT_FALSE(budget.Expired(start));
  EXPECT_FALSE(budget.Expired(start + milliseconds(2999)));
  EXPECT_TRUE(budget.Expired(start + milliseconds(3000)));
  EXPECT_EQ(budget.Reason(), "interrupted after 3000 ms (--max_statement_ms)");
}

TEST(StatementBudget, ACancelledBudgetExpiresAtOnceAndSaysWhy) {
  const Clock::time_point start = Clock::now();
  StatementBudget budget(start, milliseconds(60000), "--max_statement_ms");
  budget.Cancel();
  EXPECT_TRUE(budget.cancelled());
  EXPECT_TRUE(budget.Expired(start));
  EXPECT_EQ(budget.Reason(), "interrupted: its transaction was aborted");
}

TEST(StatementBudget, ABranchGetsTheShorterOfItsRequestAndTheFlag) {
  const BranchLimit asked = BranchLimitFor(2700, milliseconds(10000));
  EXPECT_EQ(asked.limit, milliseconds(2700));
  EXPECT_STREQ(asked.name, "the transaction's prepare timeout");

  const BranchLimit capped = BranchLimitFor(60000, milliseconds(10000));
  EXPECT_EQ(capped.limit, milliseconds(10000));
  EXPECT_STREQ(capped.name, "--max_statement_ms");

  // Nothing asked (an older coordinator, a client on the agent's port): the flag.
  for (int64_t none : {int64_t{0}, int64_t{-5}}) {
    const BranchLimit flag = BranchLimitFor(none, milliseconds(10000));
    EXPECT_EQ(flag.limit, milliseconds(10000));
    EXPECT_STREQ(flag.name, "--max_statement_ms");
  }
}

}  // namespace
}  // namespace twopc::participant
