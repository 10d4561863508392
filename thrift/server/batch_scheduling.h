// The servers' threads pass every request along over sockets (client ->
// txcoord -> txpart and back) and block right after each hand-off. Under
// Linux's default policy the woken thread preempts the one that woke it,
// which then runs again only to send the next message and block: a context
// switch more per hand-off, and a second participant's prepare sent only
// after the first one ran. Under SCHED_BATCH a woken thread does not preempt;
// it runs when its waker blocks, or on an idle CPU. (README: "Scheduling".)
#pragma once

#include "wal/base/status.h"

namespace twopc::rpc {

// Puts the calling thread, and so every thread it starts from now on, under
// SCHED_BATCH. Returns IoError with the reason when the kernel refuses.
Status UseBatchScheduling();

// Does what --sched_batch asks (default: on) for the calling thread; call it
// before any thread starts. A refusal is logged as a warning and the server
// runs on under the default policy.
void ApplySchedulingFlag();

}  // namespace twopc::rpc
