// Orderly shutdown of a server process: SIGTERM and SIGINT are blocked in
// every thread and taken by one thread that waits for them.
#pragma once

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

namespace twopc::signal_waiter {

// Call before starting any thread, so that every thread inherits the mask.
inline void BlockTerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

// Blocks until SIGTERM or SIGINT arrives; returns it.
inline int WaitForTerminationSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int signal = 0;
  sigwait(&set, &signal);
  return signal;
}

// Wakes WaitForTerminationSignal from inside the process.
inline void RaiseStop() { ::kill(::getpid(), SIGTERM); }

}  // namespace twopc::signal_waiter
