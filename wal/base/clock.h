// Time, as the protocol cores see it: a monotonic clock for timeouts and a
// wall clock for what operators read. Production uses SystemClock; tests and
// the simulation drive a clock of their own, so a run replays exactly.
#pragma once

#include <chrono>
#include <cstdint>

namespace twopc {

class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using Duration = std::chrono::steady_clock::duration;

  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
  // Milliseconds since the Unix epoch.
  virtual int64_t WallMillis() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::steady_clock::now(); }
  int64_t WallMillis() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  // One for the whole process (it has no state).
  static SystemClock* Get() {
    static SystemClock clock;
    return &clock;
  }
};

}  // namespace twopc
