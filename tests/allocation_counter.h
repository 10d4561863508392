// Counts every operator new in the test binary that includes this header
// (include it in exactly one file of a binary): for tests that a loop
// allocates nothing once warm.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace twopc::testing {

inline std::atomic<int64_t> allocations{0};

}  // namespace twopc::testing

// GCC takes malloc/free inside a replaced operator new/delete for a mismatch.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t size) {
  twopc::testing::allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* memory = std::malloc(size == 0 ? 1 : size)) return memory;
  throw std::bad_alloc();
}
void operator delete(void* memory) noexcept { std::free(memory); }
void operator delete(void* memory, std::size_t) noexcept { std::free(memory); }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
