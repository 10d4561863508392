// Simulated time: moves only when the scheduler says so.
#pragma once

#include <chrono>
#include <cstdint>

#include "wal/base/clock.h"

namespace twopc::sim {

class SimClock final : public Clock {
 public:
  TimePoint Now() const override { return TimePoint(std::chrono::nanoseconds(now_)); }
  int64_t WallMillis() const override { return 1'700'000'000'000 + now_ / 1'000'000; }

  int64_t now() const { return now_; }  // nanoseconds since the run began
  void Set(int64_t now) { now_ = now; }

 private:
  int64_t now_ = 0;
};

}  // namespace twopc::sim
