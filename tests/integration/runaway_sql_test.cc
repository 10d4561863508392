// Runaway client SQL against a real cluster: endless statements, cartesian
// joins, allocation bombs and pointer functions. Each gets a clear reason,
// and afterwards a normal transaction and a normal query on the same
// participant succeed (the writer and the reader were released).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gen-cpp/Participant.h"
#include "tests/integration/cluster.h"
#include "thrift/rpc/rpc_util.h"

namespace twopc::testing {
namespace {

constexpr int kDeadlineMs = 30000;  // bounds waiting for a state, not an expectation
constexpr int kAccounts = 10;
constexpr int64_t kBalance = 1000;

constexpr char kEndless[] =
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";
// 2000^3 rows: hours of work.
constexpr char kCartesian[] = "SELECT count(*) FROM big a, big b, big c";
constexpr char kBigTable[] =
    "CREATE TABLE big(id INTEGER PRIMARY KEY, v INTEGER NOT NULL);"
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000) "
    "INSERT INTO big SELECT x, x FROM c;";

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string Credit(int id, int amount) {
  return "UPDATE accounts SET balance = balance + " + std::to_string(amount) +
         " WHERE id = " + std::to_string(id);
}

// The peak resident set of a process, in bytes (VmHWM); -1 if unreadable.
int64_t PeakRssBytes(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) {
      std::istringstream fields(line.substr(6));
      int64_t kib = -1;
      fields >> kib;
      return kib * 1024;
    }
  }
  return -1;
}

// True while some connection (the agent's writer) holds the database's write lock.
bool WriteLockHeld(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) return false;
  const int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
  if (rc == SQLITE_OK) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  return rc == SQLITE_BUSY;
}

class RunawaySqlTest : public ::testing::Test {
 protected:
  // Participant p1 is the one the runaway SQL goes to.
  void Start(const std::vector<std::string>& participant_flags) {
    Cluster::Options options;
    options.accounts = kAccounts;
    options.balance = kBalance;
    options.schema_sql = kBigTable;
    options.participant_flags = participant_flags;
    cluster_ = std::make_unique<Cluster>(dir_.path());
    std::string error;
    ASSERT_TRUE(cluster_->Start(options, &error)) << error;
  }

  void TearDown() override {
    if (HasFailure() && cluster_) std::cerr << cluster_->Logs();
  }

  RunResult Exec(const std::string& p1_sql, const std::vector<std::string>& extra = {}) {
    return cluster_->Exec({{"p0", Credit(1, 0)}, {"p1", p1_sql}}, extra);
  }

  RunResult Query(const std::string& sql) {
    return cluster_->Txctl({"--participant", cluster_->participant_address(1), "query", sql});
  }

  // Every run aborted, and p1 said why.
  static void ExpectAborted(const std::vector<RunResult>& runs, const std::string& reason) {
    for (const RunResult& run : runs) {
      EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
      EXPECT_TRUE(Contains(run.out, "ABORTED: participant p1: " + reason)) << run.out << run.err;
    }
  }

  // The same transaction from `count` clients at once.
  std::vector<RunResult> ExecConcurrently(int count, const std::string& p1_sql) {
    std::vector<RunResult> runs(static_cast<size_t>(count));
    std::vector<std::thread> clients;
    for (size_t i = 0; i < runs.size(); ++i) {
      clients.emplace_back([this, &runs, i, p1_sql] { runs[i] = Exec(p1_sql); });
    }
    for (std::thread& client : clients) client.join();
    return runs;
  }

  // A normal transfer through p1 commits, and a normal query on p1 answers.
  void ExpectP1Serving() {
    const RunResult transfer =
        cluster_->Exec({{"p0", Credit(1, -5)}, {"p1", Credit(2, 5)}}, {"--timeout-ms", "20000"});
    EXPECT_EQ(transfer.exit_code, 0) << transfer.out << transfer.err;
    EXPECT_TRUE(Contains(transfer.out, "COMMITTED")) << transfer.out;
    const RunResult query = Query("SELECT balance FROM accounts WHERE id = 2");
    EXPECT_EQ(query.exit_code, 0) << query.err;
    EXPECT_EQ(query.out, std::to_string(kBalance + 5 * ++transfers_) + "\n");
  }

  TempDir dir_;
  std::unique_ptr<Cluster> cluster_;
  int transfers_ = 0;
};

TEST_F(RunawaySqlTest, AnEndlessBranchIsInterruptedAtMaxStatementMs) {
  ASSERT_NO_FATAL_FAILURE(Start({"--max_statement_ms=1500"}));
  ExpectAborted({Exec(kEndless, {"--timeout-ms", "30000"})},
                "statement 1: interrupted after 1500 ms (--max_statement_ms)");
  ASSERT_NO_FATAL_FAILURE(ExpectP1Serving());
  ASSERT_NO_FATAL_FAILURE(ExpectP1Serving());
}

TEST_F(RunawaySqlTest, AnEndlessBranchStopsBeforeTheCoordinatorsPrepareTimeout) {
  ASSERT_NO_FATAL_FAILURE(Start({"--max_statement_ms=60000"}));
  // The coordinator asks for what is left of its 5000 ms, less a tenth: the
  // participant's NO vote, with its reason, arrives before it stops waiting.
  const RunResult run = Exec(kEndless, {"--timeout-ms", "5000"});
  ExpectAborted({run}, "statement 1: interrupted after ");
  EXPECT_TRUE(Contains(run.out, " ms (the transaction's prepare timeout)")) << run.out;
  ASSERT_NO_FATAL_FAILURE(ExpectP1Serving());
}

TEST_F(RunawaySqlTest, AnEndlessQueryIsInterruptedAtMaxQueryMs) {
  ASSERT_NO_FATAL_FAILURE(Start({"--max_query_ms=1000"}));
  const RunResult endless = Query(kEndless);
  EXPECT_EQ(endless.exit_code, 2) << endless.out << endless.err;
  EXPECT_TRUE(Contains(endless.err, "interrupted after 1000 ms (--max_query_ms)")) << endless.err;
  // A second one too: the first left nothing behind.
  EXPECT_TRUE(Contains(Query(kEndless).err, "interrupted after 1000 ms (--max_query_ms)"));
  ASSERT_NO_FATAL_FAILURE(ExpectP1Serving());
}

TEST_F(RunawaySqlTest, FourEndlessBranchesAtOnceAreAllInterrupted) {
  ASSERT_NO_FATAL_FAILURE(Start({"--max_statement_ms=1000"}));
  ExpectAborted(ExecConcurrently(4, kEndless),
                "statement 1: interrupted after 1000 ms (--max_statement_ms)");
  ASSERT_NO_FATAL_FAILURE(ExpectP1Serving());
}

TEST_F(RunawaySqlTest, ACartesianJoinIsInterruptedInABranchAndInAQuery) {
  ASSERT_NO_FATAL_FAILURE(Start({"--max_statement_ms=1000", "--max_query_ms=1000"}));
  ExpectAborted({Exec(kCartesian)}, "statement 1: interrupted after 1000 ms (--max_statement_ms)");
  const RunResult query = Query(kCartesian);
  EXPECT_EQ(query.exit_code, 2) << query.out;
  EXPECT_TRUE(Contains(query.err, "interrupted after 1000 ms (--max_query_ms)")) << query.err;
  ASSERT_NO_FATAL_FAILURE(ExpectP1Serving());
}

TEST_F(RunawaySqlTest, HugeValuesAreTooBigAndTheAgentStaysSmall) {
  ASSERT_NO_FATAL_FAILURE(Start({}));  // defaults: values up to --max_frame_bytes (16 MiB)
  ExpectAborted({Exec("SELECT length(zeroblob(1000000000))")},
                "statement 1: string or blob too big");
  ExpectAborted(ExecConcurrently(4, "SELECT length(randomblob(900000000))"),
                "statement 1: string or blob too big");
  const RunResult query = Query("SELECT length(randomblob(900000000))");
  EXPECT_EQ(query.exit_code, 2);
  EXPECT_TRUE(Contains(query.err, "string or blob too big")) << query.err;
  const int64_t peak = PeakRssBytes(cluster_->participant(1).pid());
  EXPECT_GT(peak, 0);
  EXPECT_LT(peak, int64_t{512} << 20) << "above the default --sqlite_heap_limit_bytes";
  ASSERT_NO_FATAL_FAILURE(ExpectP1Serving());
}

TEST_F(RunawaySqlTest, AllocationBombsGetOutOfMemoryUnderTheHeapLimit) {
  constexpr int64_t kHeapLimit = 256 << 20;
  ASSERT_NO_FATAL_FAILURE(Start({"--max_sql_value_bytes=1000000000",
                                 "--sqlite_heap_limit_bytes=" + std::to_string(kHeapLimit)}));
  std::vector<RunResult> runs;
  std::thread queries([&] {
    for (int i = 0; i < 4; ++i) {
      const RunResult query = Query("SELECT length(randomblob(900000000))");
      EXPECT_EQ(query.exit_code, 2);
      EXPECT_TRUE(Contains(query.err, "out of memory")) << query.err;
    }
  });
  runs = ExecConcurrently(4, "SELECT length(randomblob(900000000))");
  queries.join();
  ExpectAborted(runs, "statement 1: out of memory");
  const int64_t peak = PeakRssBytes(cluster_->participant(1).pid());
  EXPECT_GT(peak, 0);
  EXPECT_LT(peak, kHeapLimit);
  ASSERT_NO_FATAL_FAILURE(ExpectP1Serving());
}

TEST_F(RunawaySqlTest, Fts3TokenizerIsRefusedInBothForms) {
  ASSERT_NO_FATAL_FAILURE(Start({}));
  for (const char* sql :
       {"SELECT fts3_tokenizer('simple')", "SELECT fts3_tokenizer('mine', X'0000000000000000')"}) {
    ExpectAborted({Exec(sql)}, "statement 1: fts3_tokenizer() is not allowed");
    const RunResult query = Query(sql);
    EXPECT_EQ(query.exit_code, 2);
    EXPECT_TRUE(Contains(query.err, "fts3_tokenizer() is not allowed")) << query.err;
  }
  ASSERT_NO_FATAL_FAILURE(ExpectP1Serving());
}

TEST_F(RunawaySqlTest, AnAbortStopsABranchStillRunning) {
  ASSERT_NO_FATAL_FAILURE(Start({"--max_statement_ms=120000"}));
  // What the coordinator does when it gives up on a prepare: abort the txid.
  // Sent here by hand, so that nothing but the abort can stop the branch.
  constexpr int64_t kTxid = 4242;
  rpc::PrepareResult result;
  std::string failure;
  std::thread prepare([&] {
    try {
      auto client = ConnectParticipant(cluster_->participant_address(1), kDeadlineMs * 4);
      rpc::PrepareRequest request;
      request.txid = kTxid;
      rpc::Statement statement;
      statement.sql = kEndless;
      request.statements.push_back(statement);
      (*client)->prepare(result, request);
    } catch (const std::exception& e) {
      failure = e.what();
    }
  });
  EXPECT_TRUE(WaitFor([&] { return WriteLockHeld(cluster_->db_path(1)); }, kDeadlineMs))
      << "the branch never held the writer";
  try {
    auto client = ConnectParticipant(cluster_->participant_address(1), kDeadlineMs * 4);
    (*client)->abort(kTxid);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "abort: " << e.what();
  }
  prepare.join();
  EXPECT_EQ(failure, "");
  EXPECT_EQ(result.vote, rpc::Vote::NO);
  EXPECT_EQ(result.reason, "statement 1: interrupted: its transaction was aborted");
  ASSERT_NO_FATAL_FAILURE(ExpectP1Serving());
}

}  // namespace
}  // namespace twopc::testing
