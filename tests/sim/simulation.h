// A deterministic simulation of a whole twopc cluster in one thread: the
// coordinator's protocol core (CoordinatorCore) with its decision log on the
// real WAL code, N participant agents (Agent, Resolver) with real SQLite
// databases and real WALs, every WAL over a FaultInjectionEnv; a simulated
// network (delay, reorder, loss, duplication, partitions one-way or both)
// and simulated time, all driven by one seeded scheduler. Processes crash at
// any event boundary, losing their unsynced WAL bytes or tearing the last
// write, and restart through recovery. Clients run bank transfers with a
// ledger tag per transfer and time out.
//
// After the chaos the faults heal, every process comes back, and the run
// must settle; then it checks: atomicity per transfer (its tag on every
// branch or none), a COMMITTED reply means applied everywhere, ABORTED means
// nowhere, every logged COMMIT is applied everywhere, the total balance is
// unchanged, and nothing is left prepared or locked.
//
// The same options (seed included) give the same trace, event for event.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace twopc::sim {

// Deliberately broken variants, to show that the checks catch them.
enum class Bug {
  kNone,
  // The participants' disks acknowledge syncs they did not do: a prepare is
  // acknowledged before its record is durable.
  kSyncLies,
  // The coordinator answers ABORT to an inquiry about a transaction it may
  // still commit.
  kAbortLiveInquiry,
};

// "none", "sync_lies", "abort_live_inquiry"; false if unknown.
bool ParseBug(const std::string& name, Bug* bug);
const char* BugName(Bug bug);

struct SimOptions {
  uint64_t seed = 1;
  int participants = 3;
  int clients = 6;
  int accounts = 8;  // per participant
  // New transactions and faults start only during this much simulated time.
  std::chrono::milliseconds chaos{1000};
  // After the chaos, how long the cluster may take to settle.
  std::chrono::milliseconds settle_limit{120000};
  Bug bug = Bug::kNone;
  bool keep_trace = false;  // the whole trace in the result, else its last lines
  std::string dir;          // where databases and logs go; empty: a fresh temp dir
};

struct SimResult {
  std::vector<std::string> violations;
  uint64_t trace_hash = 0;
  std::vector<std::string> trace;
  uint64_t events = 0;
  uint64_t transactions = 0;  // submitted to the coordinator
  uint64_t committed = 0;
  uint64_t aborted = 0;
  uint64_t unknown = 0;  // the client timed out or was told UNKNOWN
  uint64_t crashes = 0;
  uint64_t partitions = 0;
  uint64_t messages = 0;
  uint64_t lost = 0;  // messages dropped or cut by a partition or a crash
  double simulated_seconds = 0;

  bool ok() const { return violations.empty(); }
};

SimResult RunSimulation(const SimOptions& options);

}  // namespace twopc::sim
