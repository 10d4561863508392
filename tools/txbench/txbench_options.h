// Command line of txbench: turns argv into BenchOptions, or a one-line error.
// Pure: no I/O, so every rule is unit-testable.
#pragma once

#include <string>
#include <vector>

#include "thrift/rpc/rpc_security.h"
#include "thrift/rpc/rpc_util.h"
#include "wal/base/status.h"

namespace twopc::txbench {

// A participant of a running cluster, as the coordinator knows it.
struct NamedAddress {
  std::string name;
  rpc::HostPort address;
};

struct BenchOptions {
  bool help = false;
  bool version = false;
  // --local: start a private cluster. Otherwise run against `coordinator`.
  bool local = false;
  rpc::HostPort coordinator;
  std::vector<NamedAddress> participant_addresses;  // remote mode only
  int participants = 3;
  int accounts = 1000;
  int clients = 16;
  int seconds = 10;
  bool json_only = false;
  // TLS files (security.tls_*) for every connection, and in --local mode for
  // the processes started; the token is read from token_file by the caller.
  rpc::SecurityOptions security;
  std::string token_file;
};

// Parses the arguments after the program name into *options. Flags may be
// written `--flag value` or `--flag=value`. Returns InvalidArgument with a
// one-line reason when they are not valid options.
Status ParseBenchOptions(const std::vector<std::string>& args, BenchOptions* options);

// The --help text.
std::string UsageText();

}  // namespace twopc::txbench
