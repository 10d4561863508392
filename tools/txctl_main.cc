// txctl: the command-line client of a twopc cluster. See UsageText().
#include <cstdlib>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include <thrift/TOutput.h>

#include "thrift/rpc/tls_factories.h"
#include "thrift/rpc/token_file.h"
#include "thrift/server/version.h"
#include "tools/txctl_args.h"
#include "tools/txctl_commands.h"
#include "tools/txctl_exit_codes.h"
#include "tools/txctl_top.h"

namespace {

// Thrift prints its own transport errors; txctl reports them itself, once.
void DiscardThriftOutput(const char* /*message*/) {}

// Fills the token (--token-file, else $TWOPC_TOKEN) and checks the TLS files.
twopc::Status ResolveSecurity(twopc::txctl::Command* command) {
  if (!command->token_file.empty()) {
    std::string warning;
    twopc::StatusOr<std::string> token = twopc::rpc::ReadTokenFile(command->token_file, &warning);
    if (!token.ok()) return token.status();
    command->security.token = std::move(token).value();
    if (!warning.empty()) std::cerr << "txctl: warning: " << warning << "\n";
  } else if (const char* env = std::getenv("TWOPC_TOKEN"); env != nullptr) {
    command->security.token = twopc::rpc::TrimToken(env);
  }
  return twopc::rpc::CheckTlsOptions(command->security, /*serves=*/false);
}

}  // namespace

int main(int argc, char** argv) {
  using twopc::txctl::CommandKind;
  apache::thrift::GlobalOutput.setOutputFunction(DiscardThriftOutput);

  const std::vector<std::string> args(argv + 1, argv + argc);
  twopc::txctl::Command command;
  if (const twopc::Status parsed = twopc::txctl::ParseCommandLine(args, &command); !parsed.ok()) {
    std::cerr << "txctl: " << parsed.message() << "\nTry 'txctl --help'.\n";
    return twopc::txctl::kExitBadInput;
  }
  if (command.kind != CommandKind::kHelp) {
    if (const twopc::Status secured = ResolveSecurity(&command); !secured.ok()) {
      std::cerr << "txctl: " << secured.message() << "\n";
      return twopc::txctl::kExitBadInput;
    }
  }
  switch (command.kind) {
    case CommandKind::kHelp:
      std::cout << twopc::txctl::UsageText();
      return twopc::txctl::kExitOk;
    case CommandKind::kVersion:
      std::cout << twopc::VersionLine("txctl") << "\n";
      return twopc::txctl::kExitOk;
    case CommandKind::kExec:
      return twopc::txctl::RunExec(command, std::cout, std::cerr);
    case CommandKind::kStatus:
      return twopc::txctl::RunStatus(command, std::cout, std::cerr);
    case CommandKind::kQuery:
      return twopc::txctl::RunQuery(command, std::cout, std::cerr);
    case CommandKind::kHealth:
      return twopc::txctl::RunHealth(command, std::cout, std::cerr);
    case CommandKind::kInDoubt:
      return twopc::txctl::RunInDoubt(command, std::cout, std::cerr);
    case CommandKind::kTop:
      return twopc::txctl::RunTop(command, std::cout, std::cerr);
  }
  return twopc::txctl::kExitBadInput;
}
