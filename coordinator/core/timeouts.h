// How long a transaction's prepare may take, and what each branch is told.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace twopc::coordinator {

// The prepare timeout a request gets: its own (timeout_ms > 0) capped at
// `max`, or `default_timeout`.
inline std::chrono::milliseconds EffectivePrepareTimeout(int32_t timeout_ms,
                                                         std::chrono::milliseconds default_timeout,
                                                         std::chrono::milliseconds max) {
  if (timeout_ms <= 0) return std::min(default_timeout, max);
  return std::min(std::chrono::milliseconds(timeout_ms), max);
}

// What a prepare sent with `remaining_ms` of its prepare timeout left asks the
// participant for (how long its SQL may run): a tenth less, at most 500 ms
// less, so that the participant's NO vote with its reason arrives before the
// coordinator stops waiting. Never 0 ("no limit").
inline int32_t BranchTimeoutMs(int64_t remaining_ms) {
  const int64_t margin = std::min<int64_t>(remaining_ms / 10, 500);
  return static_cast<int32_t>(std::clamp<int64_t>(remaining_ms - margin, 1, INT32_MAX));
}

}  // namespace twopc::coordinator
