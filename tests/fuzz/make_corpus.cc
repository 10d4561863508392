// Writes the seed corpus of every fuzz target: valid records, log segments,
// changesets and serialized RPC calls, made by the project's own encoders and
// the generated Thrift clients (so they follow the formats as they change).
//   fuzz_make_corpus OUT_DIR      (OUT_DIR/<target>/<seed>; tests/fuzz/corpus in the repo)
// Regression inputs for bugs the fuzzers found live beside these, named
// regression-*, and are not generated.
#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/transport/TBufferTransports.h>
#include "participant/sqlite_session.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "coordinator/core/coordinator_records.h"
#include "gen-cpp/Coordinator.h"
#include "gen-cpp/Participant.h"
#include "participant/participant_records.h"
#include "tests/fuzz/fuzz_database.h"
#include "tests/fuzz/memory_env.h"
#include "tests/fuzz/wal_fuzz_input.h"
#include "wal/log.h"

namespace {

namespace p = twopc::participant;
namespace c = twopc::coordinator;
namespace rpc = twopc::rpc;

std::filesystem::path out_dir;

void Write(const std::string& target, const std::string& name, const std::string& bytes) {
  const std::filesystem::path dir = out_dir / target;
  std::filesystem::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary | std::ios::trunc) << bytes;
}

// Changesets of statements run on the fuzz schema, in memory.
class Changesets {
 public:
  Changesets() {
    sqlite3_open(":memory:", &db_);
    sqlite3_exec(db_, twopc::fuzz::kFuzzSchema, nullptr, nullptr, nullptr);
  }
  ~Changesets() { sqlite3_close(db_); }
  std::string Of(const std::string& sql) {
    sqlite3_session* session = nullptr;
    sqlite3session_create(db_, "main", &session);
    sqlite3session_attach(session, nullptr);
    sqlite3_exec(db_, "SAVEPOINT s", nullptr, nullptr, nullptr);
    sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
    int size = 0;
    void* data = nullptr;
    sqlite3session_changeset(session, &size, &data);
    std::string out(static_cast<const char*>(data), static_cast<size_t>(size));
    sqlite3_free(data);
    sqlite3session_delete(session);
    sqlite3_exec(db_, "ROLLBACK TO s; RELEASE s", nullptr, nullptr, nullptr);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

std::string WithType(uint8_t type, const std::string& payload) {
  return std::string(1, static_cast<char>(type)) + payload;
}

// The bytes of calls made through a generated client, framed as on the wire.
template <typename Client>
std::string Calls(const std::function<void(Client&)>& send) {
  using apache::thrift::transport::TFramedTransport;
  using apache::thrift::transport::TMemoryBuffer;
  auto buffer = std::make_shared<TMemoryBuffer>();
  auto framed = std::make_shared<TFramedTransport>(buffer);
  Client client(std::make_shared<apache::thrift::protocol::TBinaryProtocol>(framed));
  send(client);
  return buffer->getBufferAsString();
}

rpc::Statement Sql(const std::string& sql, std::vector<rpc::Value> params = {}) {
  rpc::Statement statement;
  statement.sql = sql;
  if (!params.empty()) statement.__set_params(std::move(params));
  return statement;
}

rpc::PrepareRequest Prepare(int64_t txid, std::vector<rpc::Statement> statements,
                            bool one_phase = false) {
  rpc::PrepareRequest request;
  request.txid = txid;
  request.statements = std::move(statements);
  if (one_phase) request.__set_one_phase(true);
  return request;
}

rpc::Branch Branch(const std::string& participant, std::vector<rpc::Statement> statements) {
  rpc::Branch branch;
  branch.participant = participant;
  branch.statements = std::move(statements);
  return branch;
}

rpc::ExecuteRequest Execute(std::vector<rpc::Branch> branches, bool wait_applied = false) {
  rpc::ExecuteRequest request;
  request.branches = std::move(branches);
  if (wait_applied) request.__set_wait_applied(true);
  return request;
}

std::vector<rpc::Value> EveryValueKind() {
  std::vector<rpc::Value> values(5);
  values[0].kind = rpc::ValueKind::NULL_VALUE;
  values[1].kind = rpc::ValueKind::INTEGER;
  values[1].__set_integer_value(-7);
  values[2].kind = rpc::ValueKind::REAL;
  values[2].__set_real_value(2.5);
  values[3].kind = rpc::ValueKind::TEXT;
  values[3].__set_text_value("text");
  values[4].kind = rpc::ValueKind::BLOB;
  values[4].__set_blob_value(std::string("\x00\xff", 2));
  return values;
}

void ChangesetSeeds(Changesets& changesets) {
  Write("changeset_fuzzer", "update",
        changesets.Of("UPDATE accounts SET balance = 1 WHERE id = 1"));
  Write("changeset_fuzzer", "insert", changesets.Of("INSERT INTO accounts VALUES (10, 5)"));
  Write("changeset_fuzzer", "delete", changesets.Of("DELETE FROM accounts WHERE id = 2"));
  Write("changeset_fuzzer", "every_type",
        changesets.Of("INSERT INTO kinds VALUES ('t', X'01', -1.25, 'n');"
                      "UPDATE kinds SET r = NULL, n = X'aa' WHERE a = 'x';"
                      "UPDATE accounts SET balance = balance + 1"));
}

void ParticipantRecordSeeds(Changesets& changesets) {
  const std::string changeset = changesets.Of(
      "UPDATE accounts SET balance = 0 WHERE id = 1; INSERT INTO kinds VALUES ('k', X'02', 0.5, "
      "1)");
  const p::PreparedRecord prepared{42, 1700000000000, "127.0.0.1:7700", changeset, {}};
  const std::string target = "participant_records_fuzzer";
  Write(target, "prepared", WithType(1, p::EncodePrepared(prepared)));
  Write(target, "committed", WithType(2, p::EncodeTxids({42, 43})));
  Write(target, "aborted", WithType(3, p::EncodeTxids({44})));
  p::CheckpointRecord checkpoint;
  checkpoint.prepared = {prepared,
                         {45, 1700000000001, "c:1", changesets.Of("DELETE FROM accounts"), {}}};
  checkpoint.heuristics = {{46, p::HeuristicOutcome::kCommit, 1700000000002}};
  checkpoint.mismatches = {{47, p::HeuristicOutcome::kAbort, 1700000000003}};
  Write(target, "checkpoint", WithType(4, p::EncodeCheckpoint(checkpoint)));
  Write(target, "heuristic",
        WithType(5, p::EncodeHeuristic({46, p::HeuristicOutcome::kCommit, 1700000000002})));
  Write(target, "heuristic_checked", WithType(6, p::EncodeTxids({46})));
  Write(target, "heuristic_mismatch",
        WithType(7, p::EncodeHeuristic({47, p::HeuristicOutcome::kAbort, 1700000000003})));
}

void CoordinatorRecordSeeds() {
  const std::string target = "coordinator_records_fuzzer";
  const c::CommitRecord commit{42, 1700000000000, {"p0", "p1"}};
  const c::MismatchRecord mismatch{43, "p1", true, 1700000000001};
  Write(target, "epoch", WithType(1, c::EncodeEpoch(7)));
  Write(target, "commit", WithType(2, c::EncodeCommit(commit)));
  Write(target, "end", WithType(3, c::EncodeEnd(42)));
  Write(target, "checkpoint", WithType(4, c::EncodeCheckpoint({7, {commit}, {mismatch}})));
  Write(target, "mismatch", WithType(5, c::EncodeMismatch(mismatch)));
}

// A log directory written by the real Log, then returned as a raw fuzz input.
std::string RawLog(const std::vector<std::pair<uint8_t, std::string>>& records, bool rotate) {
  twopc::fuzz::MemoryEnv env;
  twopc::wal::LogOptions options;
  options.dir = "/wal";
  options.env = &env;
  std::unique_ptr<twopc::wal::Log> log;
  if (!twopc::wal::Log::Open(
           options, [](const twopc::wal::LogRecord&) { return twopc::Status::Ok(); }, &log)
           .ok()) {
    std::fprintf(stderr, "fuzz_make_corpus: cannot open a log in memory\n");
    std::exit(1);
  }
  for (size_t i = 0; i < records.size(); ++i) {
    if (rotate && i == records.size() / 2) (void)log->Rotate();
    (void)log->AppendAndSync(records[i].first, records[i].second);
  }
  const uint64_t last = log->current_segment();
  log.reset();
  twopc::fuzz::WalInput input;
  input.first_segment = 1;
  for (uint64_t segment = 1; segment <= last; ++segment) {
    std::string contents;
    (void)env.ReadFileToString(twopc::wal::SegmentPath("/wal", segment), &contents);
    input.segments.push_back(contents);
  }
  return twopc::fuzz::WalInputBytes(input);
}

void WalSeeds(Changesets& changesets) {
  const std::string target = "wal_reader_fuzzer";
  const std::string changeset = changesets.Of("UPDATE accounts SET balance = 3 WHERE id = 3");
  const std::vector<std::pair<uint8_t, std::string>> participant = {
      {1, p::EncodePrepared({50, 1700000000000, "127.0.0.1:7700", changeset, {}})},
      {1, p::EncodePrepared({51, 1700000000000, "127.0.0.1:7700", changeset, {}})},
      {2, p::EncodeTxids({50})},
      {3, p::EncodeTxids({51})},
      {5, p::EncodeHeuristic({52, p::HeuristicOutcome::kAbort, 1700000000000})},
  };
  const std::vector<std::pair<uint8_t, std::string>> coordinator = {
      {1, c::EncodeEpoch(3)},
      {2, c::EncodeCommit({60, 1700000000000, {"p0", "p1"}})},
      {3, c::EncodeEnd(60)},
      {4, c::EncodeCheckpoint({3, {{61, 1700000000000, {"p2"}}}, {}})},
  };
  Write(target, "participant_log", RawLog(participant, false));
  Write(target, "participant_log_two_segments", RawLog(participant, true));
  Write(target, "coordinator_log", RawLog(coordinator, false));
  std::string torn = RawLog(coordinator, false);
  torn.resize(torn.size() - 3);
  Write(target, "coordinator_log_torn", torn);

  twopc::fuzz::WalInput structured;
  structured.structured = true;
  structured.segments = {twopc::fuzz::StructuredBody(participant),
                         twopc::fuzz::StructuredBody(coordinator, std::string("\x05\x00\x00", 3))};
  Write(target, "structured", twopc::fuzz::WalInputBytes(structured));
  structured.segments = {twopc::fuzz::StructuredBody(participant, std::string(9, '\0'))};
  Write(target, "structured_zero_tail", twopc::fuzz::WalInputBytes(structured));
}

void ParticipantRpcSeeds() {
  using Client = rpc::ParticipantClient;
  const std::string target = "participant_rpc_fuzzer";
  Write(target, "prepare_commit", Calls<Client>([](Client& client) {
          client.send_prepare(
              Prepare(100, {Sql("UPDATE accounts SET balance = balance - 1 WHERE id = 1")}));
          client.send_commit(100);
        }));
  Write(target, "prepare_abort", Calls<Client>([](Client& client) {
          client.send_prepare(Prepare(101, {Sql("INSERT INTO kinds VALUES ('a', X'01', 1.0, NULL)"),
                                            Sql("DELETE FROM accounts WHERE id = 3")}));
          client.send_abort(101);
        }));
  Write(target, "one_phase", Calls<Client>([](Client& client) {
          client.send_prepare(Prepare(
              102, {Sql("UPDATE accounts SET balance = ? WHERE id = ?", EveryValueKind())}, true));
        }));
  Write(target, "params", Calls<Client>([](Client& client) {
          client.send_prepare(Prepare(103, {Sql("INSERT INTO kinds VALUES (?, ?, ?, ?)",
                                                {EveryValueKind()[3], EveryValueKind()[4],
                                                 EveryValueKind()[2], EveryValueKind()[1]})}));
          client.send_list_prepared();
          client.send_list_in_doubt();
        }));
  Write(target, "query", Calls<Client>([](Client& client) {
          client.send_query("SELECT * FROM kinds WHERE a = ?", {EveryValueKind()[3]});
          client.send_health();
        }));
}

void CoordinatorRpcSeeds() {
  using Client = rpc::CoordinatorClient;
  const std::string target = "coordinator_rpc_fuzzer";
  Write(target, "execute_commit", Calls<Client>([](Client& client) {
          client.send_execute(Execute({Branch("p0", {Sql("UPDATE a SET b = 1")}),
                                       Branch("p1", {Sql("UPDATE a SET b = 2")})}));
          client.send_status(1);
        }));
  Write(target, "execute_wait_applied", Calls<Client>([](Client& client) {
          client.send_execute(Execute({Branch("p0", {Sql("x")}), Branch("p1", {Sql("y")})}, true));
        }));
  Write(target, "execute_vote_no", Calls<Client>([](Client& client) {
          client.send_execute(Execute({Branch("p0", {Sql("x")}), Branch("p1", {Sql("NO")})}));
        }));
  Write(target, "execute_unreachable", Calls<Client>([](Client& client) {
          client.send_execute(Execute({Branch("p0", {Sql("x")}), Branch("p2", {Sql("y")})}));
        }));
  Write(target, "execute_one_phase", Calls<Client>([](Client& client) {
          client.send_execute(Execute({Branch("p1", {Sql("x", EveryValueKind())})}));
        }));
  Write(target, "resolve_in_doubt", Calls<Client>([](Client& client) {
          client.send_resolve(5, "p0");
          client.send_in_doubt();
          client.send_report_heuristic_mismatch(5, "p1", rpc::Decision::COMMIT);
          client.send_health();
        }));
  // A decision number no enumerator has (rpc::WireEnumValue): sent as COMMIT,
  // then field 3 (i32, big-endian 1) becomes 99.
  std::string unknown = Calls<Client>([](Client& client) {
    client.send_report_heuristic_mismatch(6, "p0", rpc::Decision::COMMIT);
  });
  const std::string commit_field("\x08\x00\x03\x00\x00\x00\x01", 7);
  unknown[unknown.find(commit_field) + 6] = 99;
  Write(target, "report_unknown_decision", unknown);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_make_corpus OUT_DIR\n");
    return 2;
  }
  out_dir = argv[1];
  Changesets changesets;
  ChangesetSeeds(changesets);
  ParticipantRecordSeeds(changesets);
  CoordinatorRecordSeeds();
  WalSeeds(changesets);
  ParticipantRpcSeeds();
  CoordinatorRpcSeeds();
  return 0;
}
