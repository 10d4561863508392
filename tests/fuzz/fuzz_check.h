// A failed invariant in a fuzz target: say which, then abort so libFuzzer
// records the input as a crash.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace twopc::fuzz {

inline void Check(bool condition, const char* target, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "%s: invariant broken: %s\n", target, what);
    std::abort();
  }
}

}  // namespace twopc::fuzz
