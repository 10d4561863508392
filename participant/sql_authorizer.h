// What client SQL may do, as SQLite authorizer policies. A branch may read and
// write the user's tables; a query may only read. Everything else (DDL,
// ATTACH, PRAGMA, transaction control, the agent's own tables) is refused
// with a reason the client gets back.
#pragma once

#include <set>
#include <string>

struct sqlite3;

namespace twopc::participant {

enum class SqlMode { kBranch, kQuery };

// Collects what one run of client SQL touched and why it was refused.
struct AuthorizerState {
  SqlMode mode = SqlMode::kBranch;
  std::set<std::string> tables_written;
  std::string denial;  // first reason a statement was refused; empty if none
};

// Pure policy: returns an empty string to allow, or the reason to refuse.
// `action` is a SQLite authorizer action code; the names are its arguments.
std::string AuthorizeAction(SqlMode mode, int action, const char* arg1, const char* arg2);

// The policy installed for the life of a connection, enforced only while a
// client run is active (internal SQL runs unchecked in between). Installing
// or removing an authorizer expires every prepared statement of the
// connection, so switching per run would recompile every cached statement.
class ConnectionAuthorizer {
 public:
  explicit ConnectionAuthorizer(sqlite3* db);
  ~ConnectionAuthorizer();
  ConnectionAuthorizer(const ConnectionAuthorizer&) = delete;
  ConnectionAuthorizer& operator=(const ConnectionAuthorizer&) = delete;

  // Enforces the policy, collecting into `state`, while it lives.
  class Active {
   public:
    Active(ConnectionAuthorizer* authorizer, AuthorizerState* state);
    ~Active();
    Active(const Active&) = delete;
    Active& operator=(const Active&) = delete;

   private:
    ConnectionAuthorizer* authorizer_;
  };

  // Lets the agent's own SQL run, unchecked, in the middle of a client run.
  class Suspended {
   public:
    explicit Suspended(ConnectionAuthorizer* authorizer);
    ~Suspended();
    Suspended(const Suspended&) = delete;
    Suspended& operator=(const Suspended&) = delete;

   private:
    ConnectionAuthorizer* authorizer_;
    AuthorizerState* state_;
  };

 private:
  static int Callback(void* user, int action, const char* arg1, const char* arg2, const char* db,
                      const char* trigger);

  sqlite3* db_;
  AuthorizerState* state_ = nullptr;
};

}  // namespace twopc::participant
