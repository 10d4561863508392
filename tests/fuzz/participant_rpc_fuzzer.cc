// Fuzzes the Participant service as txpart serves it: arbitrary bytes reach
// the generated Participant processor (framed binary protocol) backed by the
// real ParticipantService and Agent on a real SQLite database and WAL in a
// temporary directory. Up to 8 calls per input, so sequences (prepare, then
// commit or abort) are reached; the agent's state carries over between inputs
// as it would between connections. Checked: no crash, no leak, no hang, and
// the agent's log is still healthy after every input.
#include <glog/logging.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "gen-cpp/Participant.h"
#include "participant/agent.h"
#include "participant/participant_service.h"
#include "participant/sqlite_store.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_database.h"
#include "tests/fuzz/fuzz_rpc.h"
#include "tests/fuzz/fuzz_temp_dir.h"

namespace {

namespace p = twopc::participant;

struct Served {
  std::unique_ptr<p::SqliteStore> store;
  std::unique_ptr<p::Agent> agent;
  std::shared_ptr<p::ParticipantService> service;
  std::unique_ptr<twopc::rpc::ParticipantProcessor> processor;
};

Served* Participant() {
  static Served* served = [] {
    auto s = new Served;
    const std::string dir = twopc::fuzz::FuzzTempDir();
    twopc::fuzz::CreateDatabase(dir + "/p0.db", twopc::fuzz::kFuzzSchema);
    twopc::fuzz::Check(p::SqliteStore::Open({dir + "/p0.db", false, 5000}, &s->store).ok(),
                       "participant_rpc_fuzzer", "open the database");
    p::AgentOptions options;
    options.name = "p0";
    options.coordinator = "127.0.0.1:1";  // never asked: no resolver runs here
    options.lock_wait = std::chrono::milliseconds(5);
    options.checkpoint_bytes = 64 << 10;  // checkpoints happen during a run
    twopc::wal::LogOptions log_options;
    log_options.dir = dir + "/p0-wal";
    twopc::fuzz::Check(p::Agent::Open(options, s->store.get(), log_options, &s->agent).ok(),
                       "participant_rpc_fuzzer", "open the agent");
    s->service = std::make_shared<p::ParticipantService>(s->agent.get());
    s->processor = std::make_unique<twopc::rpc::ParticipantProcessor>(s->service);
    return s;
  }();
  return served;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  FLAGS_minloglevel = 3;  // refused requests are logged: expected here
  Participant();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Served* served = Participant();
  twopc::fuzz::ServeBytes(served->processor.get(), data, size);
  twopc::rpc::Health health;
  served->service->health(health);
  twopc::fuzz::Check(health.details["wal"] == "ok", "participant_rpc_fuzzer",
                     "the agent's log is still healthy");
  return 0;
}
