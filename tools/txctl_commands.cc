#include "tools/txctl_commands.h"

#include "tools/in_doubt_format.h"
#include "tools/txctl_exit_codes.h"
#include "tools/txctl_format.h"
#include "twopc/client.h"

namespace twopc::txctl {
namespace {

const char* TargetName(Target target) {
  return target == Target::kCoordinator ? "coordinator" : "participant";
}

ClientOptions OptionsFor(const Command& command) {
  ClientOptions options;
  options.address = command.address.ToString();
  options.connect_timeout_ms = kConnectTimeoutMs;
  options.call_timeout_ms = kShortCallTimeoutMs;
  options.execute_slack_ms = kExecuteSlackMs;
  options.max_idle_connections = 1;
  options.security = command.security;
  return options;
}

// A call refused for a wrong or missing token exits 2 (bad input), like any
// other refusal; other failures mean the service is unavailable.
int CallFailed(const std::string& what, const ClientError& e, std::ostream& err) {
  if (e.code() == ErrorCode::kUnauthenticated) {
    err << "txctl: " << what << " refused: " << e.detail() << "\n";
    return kExitBadInput;
  }
  err << "txctl: " << what << " failed: " << e.detail() << "\n";
  return kExitUnavailable;
}

// Opens the connection; on failure says so and returns false.
template <typename ClientT>
bool Connect(ClientT* client, std::ostream& err) {
  try {
    client->Connect();
    return true;
  } catch (const ClientError& e) {
    err << "txctl: " << e.what() << "\n";  // "<service> HOST:PORT unreachable: ..."
    return false;
  }
}

Transaction BuildTransaction(const Command& command) {
  Transaction transaction;
  for (const BranchArg& arg : command.branches) {
    for (size_t i = 0; i < arg.statements.size(); ++i) {
      if (const std::optional<int64_t>& rows = arg.expect_rows[i]) {
        transaction.AddExpecting(arg.participant, *rows, arg.statements[i]);
      } else {
        transaction.Add(arg.participant, arg.statements[i]);
      }
    }
  }
  return transaction;
}

}  // namespace

int RunExec(const Command& command, std::ostream& out, std::ostream& err) {
  Client client(OptionsFor(command));
  if (!Connect(&client, err)) return kExitUnavailable;
  ExecuteOptions options;
  options.timeout_ms = command.timeout_ms;
  options.deadline_ms = command.deadline_ms;
  // A CLI user reads right after a commit: answer once it is applied.
  options.wait_applied = true;
  ExecuteResult result;
  try {
    client.Execute(BuildTransaction(command), options, &result);
  } catch (const ClientError& e) {
    if (e.refused_by_service()) {
      err << "txctl: " << e.detail() << "\n";
      return kExitBadInput;
    }
    if (e.code() == ErrorCode::kUnavailable) {  // the kept connection died; no new one
      err << "txctl: " << e.what() << "\n";
      return kExitUnavailable;
    }
    // The request may have reached the coordinator: it may commit or not.
    err << "txctl: outcome unknown (the coordinator did not answer: " << e.detail()
        << "); the transaction may have committed or aborted\n";
    return kExitUnavailable;
  }
  out << (command.json ? FormatExecuteJson(result) : FormatExecuteText(result)) << "\n";
  if (!command.json && result.committed()) out << FormatExecuteReads(result);
  switch (result.outcome) {
    case Outcome::kCommitted:
      return kExitOk;
    case Outcome::kAborted:
      return kExitAborted;
    default:
      err << "txctl: outcome unknown; ask again with: txctl --coordinator "
          << command.address.ToString() << " status " << result.txid << "\n";
      return kExitUnavailable;
  }
}

int RunStatus(const Command& command, std::ostream& out, std::ostream& err) {
  Client client(OptionsFor(command));
  if (!Connect(&client, err)) return kExitUnavailable;
  try {
    out << OutcomeName(client.Status(command.txid)) << "\n";
    return kExitOk;
  } catch (const ClientError& e) {
    return CallFailed("status", e, err);
  }
}

int RunInDoubt(const Command& command, std::ostream& out, std::ostream& err) {
  Client client(OptionsFor(command));
  if (!Connect(&client, err)) return kExitUnavailable;
  std::vector<InDoubtTransaction> found;
  try {
    found = client.InDoubt();
  } catch (const ClientError& e) {
    return CallFailed("in-doubt", e, err);
  }
  for (const InDoubtTransaction& t : found) {
    tools::InDoubtLine line{t.txid, t.state, t.age_ms, t.participants, t.detail};
    out << (command.json ? tools::FormatInDoubtJson(line) : tools::FormatInDoubtText(line)) << "\n";
  }
  if (found.empty() && !command.json) out << "nothing in doubt\n";
  return kExitOk;
}

int RunQuery(const Command& command, std::ostream& out, std::ostream& err) {
  ParticipantClient client(OptionsFor(command));
  if (!Connect(&client, err)) return kExitUnavailable;
  QueryResult result;
  try {
    result = client.Query(command.sql);
  } catch (const ClientError& e) {
    if (e.refused_by_service()) {
      err << "txctl: " << e.detail() << "\n";
      return kExitBadInput;
    }
    return CallFailed("query", e, err);
  }
  for (const std::vector<Value>& row : result.rows) out << FormatRow(row) << "\n";
  return kExitOk;
}

namespace {

template <typename ClientT>
int PrintHealth(const Command& command, std::ostream& out, std::ostream& err) {
  ClientT client(OptionsFor(command));
  if (!Connect(&client, err)) return kExitUnavailable;
  HealthInfo health;
  try {
    health = client.Health();
  } catch (const ClientError& e) {
    if (e.code() == ErrorCode::kUnauthenticated) return CallFailed("health", e, err);
    err << "txctl: " << TargetName(command.target) << " " << command.address.ToString()
        << " not serving: " << e.detail() << "\n";
    return kExitUnavailable;
  }
  out << health.role;
  if (!health.name.empty() && health.name != command.address.ToString()) {
    out << " " << health.name;
  }
  out << " at " << command.address.ToString() << " is serving\n";
  return kExitOk;
}

}  // namespace

int RunHealth(const Command& command, std::ostream& out, std::ostream& err) {
  return command.target == Target::kCoordinator ? PrintHealth<Client>(command, out, err)
                                                : PrintHealth<ParticipantClient>(command, out, err);
}

}  // namespace twopc::txctl
