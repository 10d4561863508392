#include "participant/sql_authorizer.h"

#include <strings.h>
#include <cstring>

#include "participant/sqlite_session.h"

namespace twopc::participant {
namespace {

bool IsSchemaTable(const char* table) {
  return table != nullptr &&
         (strcasecmp(table, "sqlite_master") == 0 || strcasecmp(table, "sqlite_schema") == 0 ||
          strcasecmp(table, "sqlite_temp_master") == 0);
}

bool IsInternalTable(const char* table) {
  return table != nullptr &&
         (strncasecmp(table, "_twopc_", 7) == 0 || strncasecmp(table, "sqlite_", 7) == 0);
}

std::string Named(const char* what, const char* name) {
  return std::string(what) + (name ? std::string(" '") + name + "'" : std::string());
}

int Callback(void* user, int action, const char* arg1, const char* arg2, const char* /*db*/,
             const char* /*trigger*/) {
  auto* state = static_cast<AuthorizerState*>(user);
  std::string reason = AuthorizeAction(state->mode, action, arg1, arg2);
  if (!reason.empty()) {
    if (state->denial.empty()) state->denial = std::move(reason);
    return SQLITE_DENY;
  }
  if (action == SQLITE_INSERT || action == SQLITE_UPDATE || action == SQLITE_DELETE) {
    state->tables_written.insert(arg1);
  }
  return SQLITE_OK;
}

// Functions that load code or hand out or take C pointers: fts3_tokenizer()
// returns a tokenizer's address and, with two arguments, installs one from a
// blob (the classic way to run code through SQL); fts5() takes a pointer.
std::string WhyFunctionRefused(const char* name) {
  if (name == nullptr) return "";
  for (const char* refused : {"load_extension", "fts3_tokenizer", "fts5"}) {
    if (strcasecmp(name, refused) == 0) return std::string(refused) + "() is not allowed";
  }
  return "";
}

constexpr char kSchemaChange[] =
    "schema changes (CREATE, DROP, ALTER, ...) are not allowed in a transaction: the changeset "
    "that makes a prepared branch crash-safe cannot carry them; change the schema with the agent "
    "stopped";

}  // namespace

std::string AuthorizeAction(SqlMode mode, int action, const char* arg1, const char* arg2) {
  switch (action) {
    case SQLITE_SELECT:
    case SQLITE_READ:
    case SQLITE_RECURSIVE:
      return "";
    case SQLITE_FUNCTION:
      return WhyFunctionRefused(arg2);
    case SQLITE_INSERT:
    case SQLITE_UPDATE:
    case SQLITE_DELETE:
      if (mode == SqlMode::kQuery) return "a query may only read (use a transaction to write)";
      if (IsSchemaTable(arg1)) return kSchemaChange;
      if (IsInternalTable(arg1))
        return Named("writing the internal table", arg1) + " is not allowed";
      return "";
    case SQLITE_PRAGMA:
      // The session extension reads a table's shape before recording its
      // first change; reading schema is harmless.
      if (arg1 != nullptr &&
          (strcasecmp(arg1, "table_info") == 0 || strcasecmp(arg1, "table_xinfo") == 0)) {
        return "";
      }
      return Named("PRAGMA", arg1) + " is not allowed in client SQL";
    case SQLITE_ATTACH:
    case SQLITE_DETACH:
      return "ATTACH and DETACH are not allowed";
    case SQLITE_TRANSACTION:
    case SQLITE_SAVEPOINT:
      return "transaction control (BEGIN/COMMIT/ROLLBACK/SAVEPOINT) is not allowed: the agent "
             "runs each branch in its own transaction";
    default:
      // CREATE/DROP/ALTER/REINDEX/ANALYZE and anything newer: a schema change
      // is not captured by the changeset, so it could not be prepared.
      return kSchemaChange;
  }
}

ConnectionAuthorizer::ConnectionAuthorizer(sqlite3* db) : db_(db) {
  sqlite3_set_authorizer(db_, &ConnectionAuthorizer::Callback, this);
}

ConnectionAuthorizer::~ConnectionAuthorizer() { sqlite3_set_authorizer(db_, nullptr, nullptr); }

int ConnectionAuthorizer::Callback(void* user, int action, const char* arg1, const char* arg2,
                                   const char* db, const char* trigger) {
  auto* self = static_cast<ConnectionAuthorizer*>(user);
  if (self->state_ == nullptr) return SQLITE_OK;  // the agent's own SQL
  return twopc::participant::Callback(self->state_, action, arg1, arg2, db, trigger);
}

ConnectionAuthorizer::Active::Active(ConnectionAuthorizer* authorizer, AuthorizerState* state)
    : authorizer_(authorizer) {
  authorizer_->state_ = state;
}

ConnectionAuthorizer::Active::~Active() { authorizer_->state_ = nullptr; }

ConnectionAuthorizer::Suspended::Suspended(ConnectionAuthorizer* authorizer)
    : authorizer_(authorizer), state_(authorizer->state_) {
  authorizer_->state_ = nullptr;
}

ConnectionAuthorizer::Suspended::~Suspended() { authorizer_->state_ = state_; }

}  // namespace twopc::participant
