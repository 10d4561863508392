// The wire protocol of twopc: the Coordinator service (used by clients and by
// participants asking for outcomes) and the Participant service (used by the
// coordinator and by clients reading committed data).

namespace cpp twopc.rpc

// ---------------------------------------------------------------- values

enum ValueKind {
  NULL_VALUE = 0,
  INTEGER = 1,
  REAL = 2,
  TEXT = 3,
  BLOB = 4,
}

// A SQLite value: `kind` says which of the optional fields is set.
struct Value {
  1: required ValueKind kind,
  2: optional i64 integer_value,
  3: optional double real_value,
  4: optional string text_value,
  5: optional binary blob_value,
}

// One SQL statement with positional parameters (?, ?NNN, :name binds in order).
struct Statement {
  1: required string sql,
  2: optional list<Value> params = [],
  // When set, the branch votes NO unless the statement changed exactly this
  // many rows (a write), or returned exactly this many (a read: SELECT).
  3: optional i64 expect_changes,
}

// The statements a transaction runs on one participant, in order.
struct Branch {
  1: required string participant,
  2: required list<Statement> statements,
}

// ---------------------------------------------------------------- errors

enum ErrorCode {
  INVALID_REQUEST = 1,       // malformed request: empty, bad parameter, ...
  UNKNOWN_PARTICIPANT = 2,   // a branch names a participant the coordinator does not know
  DUPLICATE_PARTICIPANT = 3, // two branches for one participant (merge them instead)
  LIMIT_EXCEEDED = 4,        // a configured limit (size, count) was exceeded
  OVERLOADED = 5,            // too much in flight: retry later
  INTERNAL = 6,              // the process cannot do its job (e.g. its log failed)
  NOT_FOUND = 7,
  HEURISTIC_MISMATCH = 8,    // an operator forced the other outcome at this participant
  UNAUTHENTICATED = 9,       // the call did not carry the cluster's token (see README, Security)
}

exception TxError {
  1: required ErrorCode code,
  2: required string message,
}

// Rows a read returned: a query's, or what a statement of a branch read.
struct Row {
  1: required list<Value> values,
}

struct QueryResult {
  1: required list<string> columns,
  2: required list<Row> rows,
}

// ---------------------------------------------------------------- coordinator

enum Outcome {
  COMMITTED = 1,
  ABORTED = 2,
  IN_PROGRESS = 3,
  UNKNOWN = 4,   // the coordinator has no record: long finished, or never existed
}

struct ExecuteRequest {
  1: required list<Branch> branches,
  // Prepare timeout in milliseconds; 0 means the coordinator's default.
  2: optional i32 timeout_ms = 0,
  // false: the reply comes at the commit point (the decision is durable);
  // participants apply it right after. true: the reply waits until every
  // participant applied it (or the commit timeout passed), so a read that
  // follows sees it.
  3: optional bool wait_applied = false,
  // Deadline of the whole transaction in milliseconds from its arrival; 0:
  // none. Past it the coordinator aborts the transaction unless it reached
  // its commit point (the prepare timeout still applies as well).
  4: optional i32 deadline_ms = 0,
}

struct BranchResult {
  1: required string participant,
  2: required list<i64> changes,   // rows changed by each statement
  // One per statement: the rows it read at prepare time, as the branch saw
  // them (with its own writes); empty for a write. Missing on a repeat.
  3: optional list<QueryResult> rows = [],
}

struct ExecuteResult {
  1: required i64 txid,
  2: required Outcome outcome,
  3: optional string reason = "",       // why it aborted
  4: optional list<BranchResult> branches = [],
}

// What a participant in doubt is told: the outcome decided for a transaction.
enum Decision {
  COMMIT = 1,
  ABORT = 2,
  IN_PROGRESS = 3,   // not decided yet: ask again later
}

struct Health {
  1: required string role,   // "coordinator" or "participant"
  2: required string name,
  3: optional map<string, string> details = {},
}

// A transaction that is not finished everywhere, as an operator sees it.
struct InDoubtTransaction {
  1: required i64 txid,
  // UNDELIVERED_COMMIT: committed, some participant has not applied it yet.
  // PREPARED: prepared at a participant, waiting for the outcome.
  // IN_PROGRESS: live at the coordinator (collecting votes).
  // HEURISTIC_MISMATCH: an operator forced an outcome at a participant that
  //   disagrees with the coordinator's decision.
  2: required string state,
  3: required i64 age_ms,
  4: required list<string> participants,
  5: optional string detail = "",
}

service Coordinator {
  ExecuteResult execute(1: ExecuteRequest request) throws (1: TxError error),
  Outcome status(1: i64 txid) throws (1: TxError error),
  Decision resolve(1: i64 txid, 2: string participant) throws (1: TxError error),
  // Everything unresolved right now, across the coordinator and its participants.
  list<InDoubtTransaction> in_doubt() throws (1: TxError error),
  // A participant reports an operator's heuristic decision that disagrees with the coordinator's.
  void report_heuristic_mismatch(1: i64 txid, 2: string participant, 3: Decision heuristic) throws (1: TxError error),
  Health health() throws (1: TxError error),
}

// ---------------------------------------------------------------- participant

enum Vote {
  YES = 1,         // prepared: the changes are logged and will be applied if the coordinator commits
  NO = 2,          // refused: nothing was kept
  READ_ONLY = 3,   // nothing to commit: the participant leaves the transaction
  COMMITTED = 4,   // one-phase: committed at once (only when prepare asked for one_phase)
}

// One transaction's answer inside commit_many: ok, or the error commit would
// have thrown for it.
struct CommitAck {
  1: i64 txid,
  2: bool ok,
  3: ErrorCode code,
  4: string message,
}

struct PrepareRequest {
  1: required i64 txid,
  2: required list<Statement> statements,
  // A single-branch transaction: commit at once instead of preparing.
  3: optional bool one_phase = false,
  // Commit decisions for earlier transactions, delivered on the way (applied
  // before this branch runs, made durable by the same log sync).
  4: optional list<i64> commit_first = [],
  // Inside prepare_many: how long this branch has already waited for rows
  // held by prepared transactions (answered retry before). Past the agent's
  // --lock_wait_ms a locked row refuses the branch instead.
  5: optional i32 waited_ms = 0,
  // How long the branch's SQL may run, from when the participant receives it
  // (the coordinator sends what is left of its prepare timeout, less a
  // margin). Past it, or the participant's --max_statement_ms if that is
  // shorter, the SQL is interrupted and the branch votes NO. 0: only the flag.
  6: optional i32 timeout_ms = 0,
}

struct PrepareResult {
  1: required Vote vote,
  2: optional string reason = "",
  3: optional list<i64> changes = [],   // rows changed by each statement
  4: optional list<CommitAck> commit_acks = [],  // one per commit_first txid, in order
  // Inside prepare_many: the branch did not run, a row it writes is held by a
  // prepared transaction (vote is NO, nothing was kept). Send it again once
  // that one may have finished: the batch never waits for one branch.
  5: optional bool try_again = false,
  // One per statement: the rows it read (empty for a write), as in BranchResult.
  6: optional list<QueryResult> rows = [],
  // With try_again: the transaction holding the row (the coordinator finds
  // deadlocks from these waits).
  7: optional i64 held_by = 0,
}

// The answers to prepare_many: one result per request, in order, and one ack
// per commit_first txid.
struct PrepareManyResult {
  1: required list<PrepareResult> results,
  2: optional list<CommitAck> commit_acks = [],
}

struct PreparedTransaction {
  1: required i64 txid,
  2: required i64 age_ms,      // since PREPARED was logged
  3: required bool recovered,  // found in the log at restart
  4: optional string coordinator = "",
}


service Participant {
  PrepareResult prepare(1: PrepareRequest request) throws (1: TxError error),
  // Commit or abort a prepared transaction. Both are idempotent: an unknown txid is acknowledged.
  void commit(1: i64 txid) throws (1: TxError error),
  void abort(1: i64 txid) throws (1: TxError error),
  // Commit many prepared transactions at once (one log sync, one apply batch):
  // one ack per txid, in order. The coordinator batches its deliveries this way.
  list<CommitAck> commit_many(1: list<i64> txids) throws (1: TxError error),
  // The branches of several transactions at once, with one log sync for all
  // their PREPARED records; commit_first as in prepare, applied before them.
  PrepareManyResult prepare_many(1: list<PrepareRequest> requests, 2: list<i64> commit_first)
      throws (1: TxError error),
  list<i64> list_prepared() throws (1: TxError error),
  list<PreparedTransaction> list_in_doubt() throws (1: TxError error),
  QueryResult query(1: string sql, 2: list<Value> params) throws (1: TxError error),
  Health health() throws (1: TxError error),
}
