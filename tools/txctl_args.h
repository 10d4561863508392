// Command line of txctl: turns argv into a Command, or a one-line error.
// Pure: no I/O, so every rule is unit-testable.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "thrift/rpc/rpc_security.h"
#include "thrift/rpc/rpc_util.h"
#include "wal/base/status.h"

namespace twopc::txctl {

enum class CommandKind { kHelp, kVersion, kExec, kStatus, kQuery, kHealth, kInDoubt, kTop };

// Which service the command talks to.
enum class Target { kCoordinator, kParticipant };

// The statements given for one participant, in command-line order.
struct BranchArg {
  std::string participant;
  std::vector<std::string> statements;
  // One per statement: the --expect-rows that followed its --branch, if any.
  std::vector<std::optional<int64_t>> expect_rows;
};

struct Command {
  CommandKind kind = CommandKind::kHelp;
  Target target = Target::kCoordinator;
  rpc::HostPort address;
  // exec: one entry per participant, in order of first mention.
  std::vector<BranchArg> branches;
  int timeout_ms = 0;   // 0: the coordinator's default
  int deadline_ms = 0;  // 0: none
  bool json = false;
  // status
  int64_t txid = 0;
  // query
  std::string sql;
  // Every command: TLS files (security.tls_*) and where the token comes from.
  // The parser fills no token: the caller reads --token-file, else $TWOPC_TOKEN.
  rpc::SecurityOptions security;
  std::string token_file;
  // top: screens to show (0: until interrupted); `address` is the admin endpoint.
  int iterations = 0;
  // top: `address` is the coordinator's RPC address; its admin endpoint is
  // asked for first.
  bool top_via_coordinator = false;
};

// Parses the arguments after the program name into *command. Returns
// InvalidArgument with a one-line reason when they are not a valid command.
Status ParseCommandLine(const std::vector<std::string>& args, Command* command);

// The --help text.
std::string UsageText();

}  // namespace twopc::txctl
