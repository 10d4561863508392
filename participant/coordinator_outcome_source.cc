#include "participant/coordinator_outcome_source.h"

#include <thrift/Thrift.h>

namespace twopc::participant {

StatusOr<Decision> CoordinatorOutcomeSource::Resolve(int64_t txid) {
  std::lock_guard<std::mutex> lock(mu_);
  try {
    if (client_ && client_->Stale()) client_.reset();  // e.g. closed by its idle timeout
    if (!client_) {
      client_ = std::make_unique<rpc::RpcClient<rpc::CoordinatorClient>>(coordinator_, 2000, 5000,
                                                                         security_);
    }
    client_->EnsureOpen();
    switch ((*client_)->resolve(txid, name_)) {
      case rpc::Decision::COMMIT:
        return Decision::kCommit;
      case rpc::Decision::ABORT:
        return Decision::kAbort;
      case rpc::Decision::IN_PROGRESS:
        return Decision::kInProgress;
    }
    return Status::Corruption("coordinator gave an unknown decision");
  } catch (const apache::thrift::TException& e) {
    client_.reset();  // reconnect next time
    return Status::IoError("coordinator " + coordinator_.ToString() + ": " + e.what());
  }
}

Status CoordinatorOutcomeSource::ReportMismatch(int64_t txid, Decision heuristic) {
  std::lock_guard<std::mutex> lock(mu_);
  try {
    if (client_ && client_->Stale()) client_.reset();  // e.g. closed by its idle timeout
    if (!client_) {
      client_ = std::make_unique<rpc::RpcClient<rpc::CoordinatorClient>>(coordinator_, 2000, 5000,
                                                                         security_);
    }
    client_->EnsureOpen();
    (*client_)->report_heuristic_mismatch(
        txid, name_, heuristic == Decision::kCommit ? rpc::Decision::COMMIT : rpc::Decision::ABORT);
    return Status::Ok();
  } catch (const apache::thrift::TException& e) {
    client_.reset();
    return Status::IoError("coordinator " + coordinator_.ToString() + ": " + e.what());
  }
}

}  // namespace twopc::participant
