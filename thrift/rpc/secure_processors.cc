#include "thrift/rpc/secure_processors.h"

#include "thrift/rpc/token_check.h"

namespace twopc::rpc {

const char kUnauthenticatedMessage[] =
    "unauthenticated: the call did not carry this cluster's token (check --token-file)";

namespace {

[[noreturn]] void RefuseTyped() {
  TxError error;
  error.code = ErrorCode::UNAUTHENTICATED;
  error.message = kUnauthenticatedMessage;
  throw error;
}

// Stands in for the real handler when the token is wrong or missing.
class RejectingCoordinator : public CoordinatorIf {
 public:
  void execute(ExecuteResult&, const ExecuteRequest&) override { RefuseTyped(); }
  Outcome::type status(int64_t) override { RefuseTyped(); }
  Decision::type resolve(int64_t, const std::string&) override { RefuseTyped(); }
  void in_doubt(std::vector<InDoubtTransaction>&) override { RefuseTyped(); }
  void report_heuristic_mismatch(int64_t, const std::string&, Decision::type) override {
    RefuseTyped();
  }
  void health(Health&) override { RefuseTyped(); }
};

class RejectingParticipant : public ParticipantIf {
 public:
  void prepare(PrepareResult&, const PrepareRequest&) override { RefuseTyped(); }
  void commit(int64_t) override { RefuseTyped(); }
  void abort(int64_t) override { RefuseTyped(); }
  void commit_many(std::vector<CommitAck>&, const std::vector<int64_t>&) override { RefuseTyped(); }
  void prepare_many(PrepareManyResult&, const std::vector<PrepareRequest>&,
                    const std::vector<int64_t>&) override {
    RefuseTyped();
  }
  void list_prepared(std::vector<int64_t>&) override { RefuseTyped(); }
  void list_in_doubt(std::vector<PreparedTransaction>&) override { RefuseTyped(); }
  void query(QueryResult&, const std::string&, const std::vector<Value>&) override {
    RefuseTyped();
  }
  void health(Health&) override { RefuseTyped(); }
};

template <typename ProcessorT, typename RejectingT, typename HandlerT>
std::shared_ptr<apache::thrift::TProcessor> Served(std::shared_ptr<HandlerT> handler,
                                                   const SecurityOptions& security) {
  auto real = std::make_shared<ProcessorT>(std::move(handler));
  return std::make_shared<TokenCheckProcessor>(
      real, std::make_shared<ProcessorT>(std::make_shared<RejectingT>()), security.token);
}

}  // namespace

std::shared_ptr<apache::thrift::TProcessor> ServedCoordinatorProcessor(
    std::shared_ptr<CoordinatorIf> handler, const SecurityOptions& security) {
  return Served<CoordinatorProcessor, RejectingCoordinator>(std::move(handler), security);
}

std::shared_ptr<apache::thrift::TProcessor> ServedParticipantProcessor(
    std::shared_ptr<ParticipantIf> handler, const SecurityOptions& security) {
  return Served<ParticipantProcessor, RejectingParticipant>(std::move(handler), security);
}

}  // namespace twopc::rpc
