// The processors a server serves: the real handler's, behind the token check
// when the cluster has a token (see token_check.h).
#pragma once

#include <memory>

#include <thrift/TProcessor.h>

#include "gen-cpp/Coordinator.h"
#include "gen-cpp/Participant.h"
#include "thrift/rpc/rpc_security.h"

namespace twopc::rpc {

// What an unauthenticated caller is told: every method throws
// TxError{UNAUTHENTICATED, kUnauthenticatedMessage}.
extern const char kUnauthenticatedMessage[];

std::shared_ptr<apache::thrift::TProcessor> ServedCoordinatorProcessor(
    std::shared_ptr<CoordinatorIf> handler, const SecurityOptions& security);
std::shared_ptr<apache::thrift::TProcessor> ServedParticipantProcessor(
    std::shared_ptr<ParticipantIf> handler, const SecurityOptions& security);

}  // namespace twopc::rpc
