#include "tools/txrecover_offline.h"

#include <chrono>
#include <memory>

#include "coordinator/wal_decision_log.h"
#include "participant/participant_log_replay.h"
#include "participant/sqlite_hardening.h"
#include "participant/sqlite_session.h"
#include "participant/sqlite_store.h"
#include "wal/dir_lock.h"
#include "wal/env.h"
#include "wal/log.h"
#include "wal/log_reader.h"

namespace twopc::tools {
namespace {

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void NoteTornTail(const wal::ReadReport& report, OfflineListing* out) {
  if (report.torn_tail) {
    out->notes.push_back("torn tail tolerated (a write cut off by a crash): " + report.torn_detail);
  }
}

// Which txids are in the bookkeeping table of a database, read-only.
class AppliedTable {
 public:
  ~AppliedTable() { sqlite3_close(db_); }
  Status Open(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      return Status::IoError("open database " + path + ": " + sqlite3_errmsg(db_));
    }
    // A file the user named: nothing in its schema is trusted.
    if (Status hardened = participant::HardenConnection(db_); !hardened.ok()) {
      return Status::IoError("database " + path + ": " + hardened.message());
    }
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, "SELECT 1 FROM _twopc_applied WHERE txid = ?", -1, &stmt,
                           nullptr) != SQLITE_OK) {
      return Status::IoError("database " + path + ": " + sqlite3_errmsg(db_) +
                             " (is it a twopc participant's database?)");
    }
    stmt_ = stmt;
    return Status::Ok();
  }
  StatusOr<bool> Contains(int64_t txid) {
    sqlite3_reset(stmt_);
    sqlite3_bind_int64(stmt_, 1, txid);
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return Status::IoError(sqlite3_errmsg(db_));
  }
  void Close() {
    sqlite3_finalize(stmt_);
    stmt_ = nullptr;
  }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace

Status ListParticipantLog(const std::string& dir, const std::string& db, OfflineListing* out) {
  participant::ParticipantLogState state;
  wal::ReadReport report;
  TWOPC_RETURN_IF_ERROR(wal::ReadLog(
      wal::Env::Default(), dir,
      [&state](const wal::LogRecord& record) {
        return participant::ReplayParticipantRecord(record, &state);
      },
      &report));
  NoteTornTail(report, out);
  AppliedTable applied;
  if (!db.empty()) TWOPC_RETURN_IF_ERROR(applied.Open(db));
  const int64_t now = NowMillis();
  for (const auto& [txid, prepared] : state.unresolved) {
    InDoubtLine line;
    line.txid = txid;
    line.age_ms = prepared.prepared_at_ms > 0 ? now - prepared.prepared_at_ms : 0;
    line.participants = {"coordinator=" + prepared.coordinator};
    line.state = "IN_DOUBT";
    line.detail = "prepared; the agent asks the coordinator for the outcome when it runs";
    if (!db.empty()) {
      StatusOr<bool> is_applied = applied.Contains(txid);
      if (!is_applied.ok()) return is_applied.status();
      if (*is_applied) {
        line.state = "COMMITTED";
        line.detail = "in the database; the log records it at the next start";
      }
    }
    out->lines.push_back(std::move(line));
  }
  applied.Close();
  for (const auto& [txid, heuristic] : state.heuristics) {
    InDoubtLine line;
    line.txid = txid;
    line.age_ms = heuristic.decided_at_ms > 0 ? now - heuristic.decided_at_ms : 0;
    line.state = heuristic.outcome == participant::HeuristicOutcome::kCommit ? "HEURISTIC_COMMIT"
                                                                             : "HEURISTIC_ABORT";
    line.detail = "forced by an operator; not yet checked against the coordinator's decision";
    out->lines.push_back(std::move(line));
  }
  for (const auto& [txid, mismatch] : state.mismatches) {
    InDoubtLine line;
    line.txid = txid;
    line.age_ms = mismatch.decided_at_ms > 0 ? now - mismatch.decided_at_ms : 0;
    line.state = "HEURISTIC_MISMATCH";
    line.detail =
        std::string("an operator forced ") +
        (mismatch.outcome == participant::HeuristicOutcome::kCommit ? "COMMIT" : "ABORT") +
        " here; the coordinator decided otherwise";
    out->lines.push_back(std::move(line));
  }
  return Status::Ok();
}

Status ListCoordinatorLog(const std::string& dir, OfflineListing* out) {
  coordinator::RecoveredDecisions decisions;
  wal::ReadReport report;
  TWOPC_RETURN_IF_ERROR(wal::ReadLog(
      wal::Env::Default(), dir,
      [&decisions](const wal::LogRecord& record) {
        return coordinator::ReplayDecisions(record, &decisions);
      },
      &report));
  NoteTornTail(report, out);
  const int64_t now = NowMillis();
  for (const auto& [txid, participants] : decisions.undelivered) {
    InDoubtLine line;
    line.txid = txid;
    line.state = "UNDELIVERED_COMMIT";
    auto at = decisions.committed_at_ms.find(txid);
    line.age_ms = at != decisions.committed_at_ms.end() && at->second > 0 ? now - at->second : 0;
    line.participants = participants;
    line.detail = "committed; the coordinator delivers it again when it runs";
    out->lines.push_back(std::move(line));
  }
  return Status::Ok();
}

Status ResolveHeuristically(int64_t txid, bool commit, const std::string& wal_dir,
                            const std::string& db, std::string* done) {
  wal::DirLock lock;
  Status locked = lock.Acquire(wal_dir);
  if (locked.IsBusy()) {
    return Status::Busy("the agent is running (" + locked.message() + "); stop it first");
  }
  TWOPC_RETURN_IF_ERROR(locked);
  participant::ParticipantLogState state;
  wal::LogOptions options;
  options.dir = wal_dir;
  options.caller_holds_dir_lock = true;  // taken above, to say who holds it
  std::unique_ptr<wal::Log> log;
  TWOPC_RETURN_IF_ERROR(wal::Log::Open(
      options,
      [&state](const wal::LogRecord& record) {
        return participant::ReplayParticipantRecord(record, &state);
      },
      &log));
  auto it = state.unresolved.find(txid);
  if (it == state.unresolved.end()) {
    return Status::NotFound("transaction " + std::to_string(txid) + " is not in doubt in " +
                            wal_dir);
  }
  std::unique_ptr<participant::SqliteStore> store;
  participant::SqliteStore::OpenOptions store_options;
  store_options.path = db;
  TWOPC_RETURN_IF_ERROR(participant::SqliteStore::Open(store_options, &store));
  StatusOr<bool> applied = store->IsApplied(txid);
  if (!applied.ok()) return applied.status();
  if (*applied && !commit) {
    return Status::InvalidArgument("transaction " + std::to_string(txid) +
                                   " is already committed in " + db + "; it cannot be aborted");
  }
  if (commit && !*applied) {
    TWOPC_RETURN_IF_ERROR(store->ApplyCommitted({{txid, &it->second.changeset}}));
    TWOPC_RETURN_IF_ERROR(store->MakeDurable());
  }
  using participant::RecordType;
  participant::HeuristicRecord heuristic{
      txid, commit ? participant::HeuristicOutcome::kCommit : participant::HeuristicOutcome::kAbort,
      NowMillis()};
  StatusOr<wal::Lsn> lsn = log->Append(static_cast<wal::RecordType>(RecordType::kHeuristic),
                                       participant::EncodeHeuristic(heuristic));
  if (lsn.ok()) {
    lsn = log->AppendAndSync(
        static_cast<wal::RecordType>(commit ? RecordType::kCommitted : RecordType::kAborted),
        participant::EncodeTxids({txid}));
  }
  if (!lsn.ok()) return lsn.status();
  *done = "transaction " + std::to_string(txid) + " forced to " + (commit ? "COMMIT" : "ABORT") +
          " at " + db +
          " (recorded as heuristic; the agent reports a mismatch if the coordinator decided "
          "otherwise)";
  return Status::Ok();
}

}  // namespace twopc::tools
