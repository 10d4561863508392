// The timed part of a run: C client threads, each with its own connection to
// the coordinator, send transfers until the deadline. The clock starts once
// every client is connected; a transaction in flight at the deadline finishes.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "thrift/rpc/rpc_util.h"
#include "wal/base/status.h"

namespace twopc::txbench {

struct WorkloadConfig {
  rpc::HostPort coordinator;
  std::vector<std::string> participants;  // names, as the coordinator knows them
  int accounts = 1000;
  int clients = 16;
  int seconds = 10;
  std::ostream* progress = nullptr;  // a line about once a second; null for none
  rpc::SecurityOptions security;     // TLS and token of every client connection
};

struct WorkloadResult {
  int64_t committed = 0;
  int64_t aborted = 0;
  int64_t errors = 0;                        // transport errors, TxError, or an unexpected outcome
  double elapsed_seconds = 0;                // start of the clock to the last reply
  std::vector<int64_t> commit_latencies_us;  // client-side, send to reply
  std::string first_abort_reason;
  std::string first_error;
};

// Runs the workload. Returns IoError, saying why, if the clients cannot
// connect; an interrupt (see interrupt.h) ends the run early.
StatusOr<WorkloadResult> RunWorkload(const WorkloadConfig& config);

}  // namespace twopc::txbench
