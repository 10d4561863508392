// glibc gives every thread that allocates concurrently its own malloc arena
// (up to 8 per core), and each arena keeps its high-water mark. A server with a
// thread per connection then grows for minutes before its memory levels off.
// Two arenas are enough for two cores and keep the footprint flat.
#pragma once

#include <malloc.h>

namespace twopc {

inline void LimitMallocArenas() {
#ifdef M_ARENA_MAX
  mallopt(M_ARENA_MAX, 2);
#endif
}

}  // namespace twopc
