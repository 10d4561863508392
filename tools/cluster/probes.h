// Short RPC calls to a cluster's processes at HOST:PORT, each on a fresh
// connection (over TLS and with a token when `security` says so). Thrift's
// own error printing is silenced: a probe that fails just answers false.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "thrift/rpc/rpc_security.h"

namespace twopc::tools {

// Whether the process answers health.
bool CoordinatorServing(const std::string& address, const rpc::SecurityOptions& security = {});
bool ParticipantServing(const std::string& address, const rpc::SecurityOptions& security = {});
// The txids the participant holds prepared; nullopt if it does not answer.
std::optional<std::vector<int64_t>> ListPrepared(const std::string& address,
                                                 const rpc::SecurityOptions& security = {});
// How many committed transactions the coordinator has yet to deliver (its
// health detail "undelivered_commits"); nullopt if it does not answer.
std::optional<int64_t> UndeliveredCommits(const std::string& address,
                                          const rpc::SecurityOptions& security = {});

}  // namespace twopc::tools
