// How long client SQL may run: a branch until the deadline of its prepare
// (what the coordinator sent, capped by --max_statement_ms), a query until
// --max_query_ms. Past it, or once the branch's transaction was aborted,
// SQLite is interrupted. Pure: the caller passes the time in.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace twopc::participant {

class StatementBudget {
 public:
  using Clock = std::chrono::steady_clock;

  // `limit_name` says where the limit came from, for the message
  // (e.g. "--max_statement_ms").
  StatementBudget(Clock::time_point start, std::chrono::milliseconds limit, std::string limit_name)
      : deadline_(start + limit), limit_(limit), limit_name_(std::move(limit_name)) {}
  StatementBudget(const StatementBudget&) = delete;
  StatementBudget& operator=(const StatementBudget&) = delete;

  // No limit: runs until done (the agent's own work).
  static std::chrono::milliseconds Unlimited() { return std::chrono::hours(24 * 365); }

  // The branch's transaction was aborted: stop at once. Any thread.
  void Cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }

  // True once cancelled or past the deadline.
  bool Expired(Clock::time_point now) const { return cancelled() || now >= deadline_; }
  Clock::time_point deadline() const { return deadline_; }

  // Why the work was interrupted, e.g. "interrupted after 3000 ms
  // (--max_statement_ms)".
  std::string Reason() const;

 private:
  const Clock::time_point deadline_;
  const std::chrono::milliseconds limit_;
  const std::string limit_name_;
  std::atomic<bool> cancelled_{false};
};

// A branch's limit: what its prepare asked for (requested_ms > 0) capped by
// the agent's --max_statement_ms, and the name of whichever applies.
struct BranchLimit {
  std::chrono::milliseconds limit;
  const char* name;
};
BranchLimit BranchLimitFor(int64_t requested_ms, std::chrono::milliseconds max_statement);

}  // namespace twopc::participant
