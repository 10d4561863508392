// txctl: the command-line client of a twopc cluster. See UsageText().
#include <iostream>
#include <string>
#include <vector>

#include <thrift/TOutput.h>

#include "tools/program/version.h"
#include "tools/txctl_args.h"
#include "tools/txctl_commands.h"
#include "tools/txctl_exit_codes.h"

namespace {

// Thrift prints its own transport errors; txctl reports them itself, once.
void DiscardThriftOutput(const char* /*message*/) {}

}  // namespace

int main(int argc, char** argv) {
  using twopc::txctl::CommandKind;
  apache::thrift::GlobalOutput.setOutputFunction(DiscardThriftOutput);

  const std::vector<std::string> args(argv + 1, argv + argc);
  twopc::txctl::Command command;
  std::string error;
  if (!twopc::txctl::ParseCommandLine(args, &command, &error)) {
    std::cerr << "txctl: " << error << "\nTry 'txctl --help'.\n";
    return twopc::txctl::kExitBadInput;
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
  }
  return twopc::txctl::kExitBadInput;
}
