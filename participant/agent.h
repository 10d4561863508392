// The participant agent: prepare, commit and abort for one SQLite database,
// with its WAL and lock table. Thrift-free; participant_service.cc is the
// edge that turns RPCs into these calls.
//
// Concurrency: the SQLite writer is held only while a branch runs. A
// prepared branch's changes live in its changeset (not in the database) and
// its rows in the lock table until the decision; commits are applied in
// batches. A branch touching a locked row waits for it (bounded), then runs
// again against the new committed state, or is refused.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "participant/commit_batcher.h"
#include "participant/lock_table.h"
#include "participant/sql_value.h"
#include "participant/sqlite_store.h"
#include "participant/transaction_table.h"
#include "wal/log.h"

namespace twopc::participant {

enum class Vote { kYes, kNo, kReadOnly, kCommitted };

struct PrepareReply {
  Vote vote = Vote::kNo;
  std::string reason;
  std::vector<int64_t> changes;
};

struct AgentOptions {
  std::string name;
  std::string coordinator;  // recorded in PREPARED: whom to ask after a crash
  std::chrono::milliseconds lock_wait{1000};
};

class Agent {
 public:
  // Replays the WAL in log_options.dir: a PREPARED without outcome whose txid
  // is in the bookkeeping table was committed; any other is in doubt and is
  // installed again as prepared (its rows locked) until its outcome is known.
  static Status Open(const AgentOptions& options, SqliteStore* store,
                     const wal::LogOptions& log_options, std::unique_ptr<Agent>* out);

  PrepareReply Prepare(int64_t txid, const std::vector<SqlStatement>& statements, bool one_phase);
  // OK when the changes are durably in the database (or txid is unknown);
  // Aborted when txid was aborted here; IoError when applying failed (retry).
  Status Commit(int64_t txid);
  // OK when released (or unknown); Aborted when it is already committed.
  Status Abort(int64_t txid);

  std::vector<int64_t> ListPrepared();

  struct PreparedInfo {
    int64_t txid;
    std::chrono::steady_clock::duration age;
    bool recovered;  // found in the log at restart
  };
  std::vector<PreparedInfo> PreparedTransactions();

  // Not OK once the WAL failed: the agent then refuses to prepare.
  Status Healthy();
  const AgentOptions& options() const { return options_; }
  SqliteStore* store() { return store_; }

 private:
  struct Prepared {
    std::string changeset;
    std::chrono::steady_clock::time_point since;
    bool recovered = false;
  };

  Agent(const AgentOptions& options, SqliteStore* store, std::unique_ptr<wal::Log> log);
  Status Recover(std::map<int64_t, std::string> unresolved);
  // Runs the branch once; sets *conflict when a row it wrote is locked.
  Status RunOnce(int64_t txid, const std::vector<SqlStatement>& statements, bool one_phase,
                 SqliteStore::BranchRun* run, std::optional<int64_t>* conflict);
  PrepareReply Refuse(int64_t txid, std::string reason);
  void LogOutcome(wal::RecordType type, const std::vector<int64_t>& txids);

  const AgentOptions options_;
  SqliteStore* store_;
  std::unique_ptr<wal::Log> log_;
  CommitBatcher batcher_;

  std::mutex mu_;                        // guards everything below
  std::condition_variable released_cv_;  // a transaction finished: locks released
  TransactionTable table_;
  LockTable locks_;
  std::map<int64_t, Prepared> prepared_;
  Status log_error_;  // sticky: once the WAL failed, nothing more is prepared
};

}  // namespace twopc::participant
