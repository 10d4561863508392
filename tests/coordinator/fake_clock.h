// A clock that moves only when a test moves it.
#pragma once

#include <atomic>
#include <chrono>

#include "wal/base/clock.h"

namespace twopc {

class FakeClock final : public Clock {
 public:
  TimePoint Now() const override { return TimePoint(std::chrono::nanoseconds(now_ns_.load())); }
  int64_t WallMillis() const override { return 1'700'000'000'000 + now_ns_.load() / 1'000'000; }
  void Advance(std::chrono::nanoseconds by) { now_ns_ += by.count(); }

 private:
  // Far from zero, so that "a while ago" is never before the epoch.
  std::atomic<int64_t> now_ns_{1'000'000'000'000};
};

}  // namespace twopc
