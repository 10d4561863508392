// Named crash points for tests. A process started with
// TWOPC_FAILPOINTS=name[,name...] kills itself with SIGKILL when it reaches an
// armed point, exactly as `kill -9` would at that moment. The deterministic
// simulation installs a handler instead, called at every point, which may
// throw to crash the simulated process there. Off by default, and cheap when
// off: one load of a cached flag and one of the handler.
#pragma once

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

namespace twopc {

namespace fail_point_internal {
inline const std::string& ArmedList() {
  static const std::string list = [] {
    const char* env = std::getenv("TWOPC_FAILPOINTS");
    return env ? "," + std::string(env) + "," : std::string();
  }();
  return list;
}
}  // namespace fail_point_internal

inline bool FailPointArmed(const char* name) {
  const std::string& list = fail_point_internal::ArmedList();
  if (list.empty()) return false;
  return list.find("," + std::string(name) + ",") != std::string::npos;
}

using FailPointHandler = void (*)(const char* name);

inline std::atomic<FailPointHandler>& FailPointHandlerSlot() {
  static std::atomic<FailPointHandler> handler{nullptr};
  return handler;
}

// nullptr removes it.
inline void SetFailPointHandler(FailPointHandler handler) {
  FailPointHandlerSlot().store(handler, std::memory_order_release);
}

[[noreturn]] inline void CrashAtFailPoint(const char* name) {
  const char prefix[] = "fail point reached, killing this process: ";
  (void)!::write(2, prefix, sizeof(prefix) - 1);
  (void)!::write(2, name, std::strlen(name));
  (void)!::write(2, "\n", 1);
  ::kill(::getpid(), SIGKILL);
  std::abort();
}

}  // namespace twopc

#define TWOPC_FAIL_POINT(name)                                                 \
  do {                                                                         \
    if (::twopc::FailPointHandler twopc_fail_point_handler_ =                  \
            ::twopc::FailPointHandlerSlot().load(std::memory_order_acquire)) { \
      twopc_fail_point_handler_(name);                                         \
    }                                                                          \
    if (::twopc::FailPointArmed(name)) ::twopc::CrashAtFailPoint(name);        \
  } while (0)
