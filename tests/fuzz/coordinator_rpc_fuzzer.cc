// Fuzzes the Coordinator service as txcoord serves it: arbitrary bytes reach
// the generated Coordinator processor (framed binary protocol) backed by the
// real CoordinatorService, Coordinator and WAL decision log in a temporary
// directory. Participants p0 and p1 are fakes that vote YES (NO for the SQL
// "NO"), so transactions commit and the decision log is written; p2 is
// unreachable. Up to 8 calls per input. Checked: no crash, no leak, no hang,
// and the coordinator still answers health after every input.
#include <glog/logging.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "coordinator/coordinator.h"
#include "coordinator/coordinator_service.h"
#include "coordinator/thrift_participant_channel.h"
#include "coordinator/wal_decision_log.h"
#include "gen-cpp/Coordinator.h"
#include "tests/fuzz/fake_participant.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_rpc.h"
#include "tests/fuzz/fuzz_temp_dir.h"

namespace {

namespace c = twopc::coordinator;

void Check(bool condition, const char* what) {
  twopc::fuzz::Check(condition, "coordinator_rpc_fuzzer", what);
}

struct Served {
  std::unique_ptr<c::WalDecisionLog> log;
  std::unique_ptr<c::Coordinator> coordinator;
  std::shared_ptr<c::CoordinatorService> service;
  std::unique_ptr<twopc::rpc::CoordinatorProcessor> processor;
};

Served* Coordinator() {
  static Served* served = [] {
    auto s = new Served;
    twopc::wal::LogOptions log_options;
    log_options.dir = twopc::fuzz::FuzzTempDir() + "/coord-wal";
    c::RecoveredDecisions recovered;
    Check(c::WalDecisionLog::Open(log_options, &recovered, &s->log, 64 << 10).ok(),
          "open the decision log");
    twopc::StatusOr<uint64_t> epoch = s->log->BeginEpoch();
    Check(epoch.ok(), "begin an epoch");

    const int fake_port = twopc::fuzz::StartFakeParticipant();
    std::map<std::string, std::unique_ptr<c::ParticipantChannel>> participants;
    for (const char* name : {"p0", "p1"}) {
      participants[name] = std::make_unique<c::ThriftParticipantChannel>(
          name, twopc::rpc::HostPort{"127.0.0.1", fake_port}, 1000);
    }
    // Port 1 on loopback refuses at once: an unreachable participant.
    participants["p2"] = std::make_unique<c::ThriftParticipantChannel>(
        "p2", twopc::rpc::HostPort{"127.0.0.1", 1}, 1000);

    c::CoordinatorOptions options;
    options.default_prepare_timeout = std::chrono::milliseconds(1000);
    options.max_prepare_timeout = std::chrono::milliseconds(1000);
    options.commit_rpc_timeout = std::chrono::milliseconds(1000);
    options.redelivery_interval = std::chrono::milliseconds(100);
    options.fanout_threads = 2;
    s->coordinator = std::make_unique<c::Coordinator>(
        options, s->log.get(), std::move(participants), *epoch, std::move(recovered));
    s->coordinator->Start();
    s->service = std::make_shared<c::CoordinatorService>(s->coordinator.get(), "fuzz");
    s->processor = std::make_unique<twopc::rpc::CoordinatorProcessor>(s->service);
    return s;
  }();
  return served;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  FLAGS_minloglevel = 3;  // refused requests and heuristic reports are logged: expected here
  Coordinator();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Served* served = Coordinator();
  twopc::fuzz::ServeBytes(served->processor.get(), data, size);
  twopc::rpc::Health health;
  served->service->health(health);
  Check(health.details["participants"] == "p0,p1,p2", "the coordinator still answers health");
  return 0;
}
