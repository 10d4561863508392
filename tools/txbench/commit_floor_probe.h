// The floor under one distributed commit on this machine: the protocol's own
// hops and syncs with nothing else. A client, a coordinator and `branches`
// participants, each its own process, talk over loopback TCP. Per commit the
// client sends a request to the coordinator, which sends it to every
// participant at once; each participant appends `bytes` to its log and
// fdatasyncs before it answers; once all answered the coordinator appends and
// syncs its decision, then answers the client. No SQL, no RPC framework, no
// threads: what is left of a real 2PC latency above this is the system's.
#pragma once

#include <cstdint>
#include <string>

namespace twopc::txbench {

// Median, in microseconds, of `rounds` timed commits (after a tenth as many
// untimed ones), with the logs in `dir` (removed afterwards). -1 if a file,
// socket or process fails; every process it started has then been killed and
// reaped.
int64_t MeasureCommitFloorUs(const std::string& dir, int rounds = 400, int branches = 2,
                             int bytes = 512);

}  // namespace twopc::txbench
