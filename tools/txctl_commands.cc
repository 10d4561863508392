#include "tools/txctl_commands.h"

#include <algorithm>
#include <climits>
#include <cstdint>

#include <thrift/TApplicationException.h>
#include <thrift/transport/TTransportException.h>

#include "gen-cpp/Coordinator.h"
#include "gen-cpp/Participant.h"
#include "thrift/rpc_util.h"
#include "tools/in_doubt_format.h"
#include "tools/txctl_exit_codes.h"
#include "tools/txctl_format.h"

namespace twopc::txctl {
namespace {

using apache::thrift::TException;
using apache::thrift::transport::TTransportException;

const char* TargetName(Target target) {
  return target == Target::kCoordinator ? "coordinator" : "participant";
}

// Opens the connection; on failure says so and returns false.
template <typename ClientT>
bool Connect(rpc::RpcClient<ClientT>* client, Target target, std::ostream& err) {
  try {
    client->EnsureOpen();
    return true;
  } catch (const TException& e) {
    err << "txctl: " << TargetName(target) << " " << client->address().ToString()
        << " unreachable: " << e.what() << "\n";
    return false;
  }
}

rpc::ExecuteRequest BuildRequest(const Command& command) {
  rpc::ExecuteRequest request;
  for (const BranchArg& arg : command.branches) {
    rpc::Branch branch;
    branch.participant = arg.participant;
    for (const std::string& sql : arg.statements) {
      rpc::Statement statement;
      statement.sql = sql;
      branch.statements.push_back(statement);
    }
    request.branches.push_back(branch);
  }
  request.__set_timeout_ms(command.timeout_ms);
  // A CLI user reads right after a commit: answer once it is applied.
  request.__set_wait_applied(true);
  return request;
}

}  // namespace

int RunExec(const Command& command, std::ostream& out, std::ostream& err) {
  const int64_t io_timeout_ms =
      std::min<int64_t>(INT32_MAX, int64_t{command.timeout_ms} + kExecuteSlackMs);
  rpc::RpcClient<rpc::CoordinatorClient> client(command.address, kConnectTimeoutMs,
                                                static_cast<int>(io_timeout_ms));
  if (!Connect(&client, Target::kCoordinator, err)) return kExitUnavailable;
  rpc::ExecuteResult result;
  try {
    client->execute(result, BuildRequest(command));
  } catch (const rpc::TxError& e) {
    err << "txctl: " << e.message << "\n";
    return kExitBadInput;
  } catch (const apache::thrift::TApplicationException& e) {
    // PROTOCOL_ERROR: the server refused the request before running it.
    if (e.getType() != apache::thrift::TApplicationException::PROTOCOL_ERROR) {
      err << "txctl: outcome unknown (the coordinator failed: " << e.what()
          << "); the transaction may have committed or aborted\n";
      return kExitUnavailable;
    }
    err << "txctl: the coordinator refused the request, nothing was run: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const TException& e) {
    // The request may have reached the coordinator: it may commit or not.
    err << "txctl: outcome unknown (the coordinator did not answer: " << e.what()
        << "); the transaction may have committed or aborted\n";
    return kExitUnavailable;
  }
  out << (command.json ? FormatExecuteJson(result) : FormatExecuteText(result)) << "\n";
  switch (result.outcome) {
    case rpc::Outcome::COMMITTED:
      return kExitOk;
    case rpc::Outcome::ABORTED:
      return kExitAborted;
    default:
      err << "txctl: outcome unknown; ask again with: txctl --coordinator "
          << command.address.ToString() << " status " << result.txid << "\n";
      return kExitUnavailable;
  }
}

int RunStatus(const Command& command, std::ostream& out, std::ostream& err) {
  rpc::RpcClient<rpc::CoordinatorClient> client(command.address, kConnectTimeoutMs,
                                                kShortCallTimeoutMs);
  if (!Connect(&client, Target::kCoordinator, err)) return kExitUnavailable;
  try {
    out << OutcomeName(client->status(command.txid)) << "\n";
    return kExitOk;
  } catch (const TException& e) {
    err << "txctl: status failed: " << e.what() << "\n";
    return kExitUnavailable;
  }
}

int RunInDoubt(const Command& command, std::ostream& out, std::ostream& err) {
  rpc::RpcClient<rpc::CoordinatorClient> client(command.address, kConnectTimeoutMs,
                                                kShortCallTimeoutMs);
  if (!Connect(&client, Target::kCoordinator, err)) return kExitUnavailable;
  std::vector<rpc::InDoubtTransaction> found;
  try {
    client->in_doubt(found);
  } catch (const TException& e) {
    err << "txctl: in-doubt failed: " << e.what() << "\n";
    return kExitUnavailable;
  }
  for (const rpc::InDoubtTransaction& t : found) {
    tools::InDoubtLine line{t.txid, t.state, t.age_ms, t.participants, t.detail};
    out << (command.json ? tools::FormatInDoubtJson(line) : tools::FormatInDoubtText(line)) << "\n";
  }
  if (found.empty() && !command.json) out << "nothing in doubt\n";
  return kExitOk;
}

int RunQuery(const Command& command, std::ostream& out, std::ostream& err) {
  rpc::RpcClient<rpc::ParticipantClient> client(command.address, kConnectTimeoutMs,
                                                kShortCallTimeoutMs);
  if (!Connect(&client, Target::kParticipant, err)) return kExitUnavailable;
  rpc::QueryResult result;
  try {
    client->query(result, command.sql, {});
  } catch (const rpc::TxError& e) {
    err << "txctl: " << e.message << "\n";
    return kExitBadInput;
  } catch (const TException& e) {
    err << "txctl: query failed: " << e.what() << "\n";
    return kExitUnavailable;
  }
  for (const rpc::Row& row : result.rows) out << FormatRow(row) << "\n";
  return kExitOk;
}

int RunHealth(const Command& command, std::ostream& out, std::ostream& err) {
  rpc::Health health;
  try {
    if (command.target == Target::kCoordinator) {
      rpc::RpcClient<rpc::CoordinatorClient> client(command.address, kConnectTimeoutMs,
                                                    kShortCallTimeoutMs);
      if (!Connect(&client, command.target, err)) return kExitUnavailable;
      client->health(health);
    } else {
      rpc::RpcClient<rpc::ParticipantClient> client(command.address, kConnectTimeoutMs,
                                                    kShortCallTimeoutMs);
      if (!Connect(&client, command.target, err)) return kExitUnavailable;
      client->health(health);
    }
  } catch (const TException& e) {
    err << "txctl: " << TargetName(command.target) << " " << command.address.ToString()
        << " not serving: " << e.what() << "\n";
    return kExitUnavailable;
  }
  out << health.role;
  if (!health.name.empty() && health.name != command.address.ToString()) {
    out << " " << health.name;
  }
  out << " at " << command.address.ToString() << " is serving\n";
  return kExitOk;
}

}  // namespace twopc::txctl
