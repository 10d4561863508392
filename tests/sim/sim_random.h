// The simulation's only source of randomness: one seeded generator, with the
// same sequence on every platform (no std:: distributions).
#pragma once

#include <cstdint>

namespace twopc::sim {

class SimRandom {
 public:
  explicit SimRandom(uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 1) {}

  // splitmix64
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // In [lo, hi].
  int64_t Uniform(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Next() % static_cast<uint64_t>(hi - lo + 1));
  }
  bool Chance(double p) { return static_cast<double>(Next() >> 11) * 0x1.0p-53 < p; }

 private:
  uint64_t state_;
};

}  // namespace twopc::sim
