// The token check between a Thrift client and the real handler, in memory:
// calls go through ServedCoordinatorProcessor exactly as they would from a
// socket, from a client that wraps its protocol with the token or not.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/protocol/TMultiplexedProtocol.h>
#include <thrift/transport/TBufferTransports.h>

#include "gen-cpp/Coordinator.h"
#include "thrift/rpc/secure_processors.h"
#include "thrift/rpc/token_check.h"

namespace twopc::rpc {
namespace {

using apache::thrift::protocol::TBinaryProtocol;
using apache::thrift::protocol::TMultiplexedProtocol;
using apache::thrift::protocol::TProtocol;
using apache::thrift::transport::TMemoryBuffer;

const char kToken[] = "right:token-0123456789";  // a ':' inside is allowed

// The real handler: counts the calls that reach it.
class CountingCoordinator : public CoordinatorIf {
 public:
  void execute(ExecuteResult& result, const ExecuteRequest&) override {
    ++calls;
    result.txid = 7;
    result.outcome = Outcome::COMMITTED;
  }
  Outcome::type status(int64_t) override {
    ++calls;
    return Outcome::COMMITTED;
  }
  Decision::type resolve(int64_t, const std::string&) override {
    ++calls;
    return Decision::COMMIT;
  }
  void in_doubt(std::vector<InDoubtTransaction>&) override { ++calls; }
  void report_heuristic_mismatch(int64_t, const std::string&, Decision::type) override { ++calls; }
  void health(Health& health) override {
    ++calls;
    health.role = "coordinator";
  }
  int calls = 0;
};

class TokenCheckTest : public ::testing::Test {
 protected:
  // A server with the cluster's token (or none), a client sending `token` (or none).
  void Serve(const std::string& server_token) {
    SecurityOptions security;
    security.token = server_token;
    processor_ = ServedCoordinatorProcessor(handler_, security);
  }
  void Connect(const std::string& client_token) {
    std::shared_ptr<TProtocol> out = std::make_shared<TBinaryProtocol>(request_);
    if (!client_token.empty()) out = std::make_shared<TMultiplexedProtocol>(out, client_token);
    client_ = std::make_unique<CoordinatorClient>(std::make_shared<TBinaryProtocol>(reply_), out);
  }
  // Hands what the client sent to the server; its answer is then readable.
  void Deliver() {
    ASSERT_TRUE(processor_->process(std::make_shared<TBinaryProtocol>(request_),
                                    std::make_shared<TBinaryProtocol>(reply_), nullptr));
  }
  Health CallHealth() {
    client_->send_health();
    Deliver();
    Health health;
    client_->recv_health(health);
    return health;
  }
  ExecuteResult CallExecute() {
    client_->send_execute(ExecuteRequest());
    Deliver();
    ExecuteResult result;
    client_->recv_execute(result);
    return result;
  }

  std::shared_ptr<CountingCoordinator> handler_ = std::make_shared<CountingCoordinator>();
  std::shared_ptr<apache::thrift::TProcessor> processor_;
  std::shared_ptr<TMemoryBuffer> request_ = std::make_shared<TMemoryBuffer>();
  std::shared_ptr<TMemoryBuffer> reply_ = std::make_shared<TMemoryBuffer>();
  std::unique_ptr<CoordinatorClient> client_;
};

TEST_F(TokenCheckTest, TheRightTokenReachesTheHandler) {
  Serve(kToken);
  Connect(kToken);
  EXPECT_EQ(CallHealth().role, "coordinator");
  EXPECT_EQ(CallExecute().txid, 7);
  EXPECT_EQ(handler_->calls, 2);
}

TEST_F(TokenCheckTest, AWrongTokenIsRefusedAsUnauthenticatedAndNeverReachesTheHandler) {
  Serve(kToken);
  Connect("right:token-0123456788");
  try {
    CallExecute();
    FAIL() << "execute was not refused";
  } catch (const TxError& e) {
    EXPECT_EQ(e.code, ErrorCode::UNAUTHENTICATED);
    EXPECT_EQ(e.message, kUnauthenticatedMessage);
  }
  // Every method is refused the same typed way, reads too.
  try {
    CallHealth();
    FAIL() << "health was not refused";
  } catch (const TxError& e) {
    EXPECT_EQ(e.code, ErrorCode::UNAUTHENTICATED);
    EXPECT_EQ(e.message, kUnauthenticatedMessage);
  }
  EXPECT_EQ(handler_->calls, 0);
}

TEST_F(TokenCheckTest, ACallWithoutATokenIsRefused) {
  Serve(kToken);
  Connect("");
  EXPECT_THROW(CallExecute(), TxError);
  EXPECT_THROW(CallHealth(), TxError);
  EXPECT_EQ(handler_->calls, 0);
}

TEST_F(TokenCheckTest, APrefixOfTheTokenIsNotTheToken) {
  Serve(kToken);
  Connect("right");  // "right:token-...:health" split at the last ':' must not match "right"
  EXPECT_THROW(CallHealth(), TxError);
  EXPECT_EQ(handler_->calls, 0);
}

TEST_F(TokenCheckTest, AServerWithoutATokenServesCallsWithOrWithoutOne) {
  Serve("");
  Connect("");
  EXPECT_EQ(CallHealth().role, "coordinator");
  Connect(kToken);  // not echoed back as an unknown method "TOKEN:health"
  EXPECT_EQ(CallHealth().role, "coordinator");
  EXPECT_EQ(handler_->calls, 2);
}

TEST(ConstantTimeEqualsTest, EqualOnlyWhenEveryByteAndTheLengthMatch) {
  EXPECT_TRUE(ConstantTimeEquals("secret", "secret"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secreT"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "Secret"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secre"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secretsecret"));  // repeats the token
  EXPECT_FALSE(ConstantTimeEquals("secret", ""));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_FALSE(ConstantTimeEquals("", "x"));
}

TEST(SplitTokenedNameTest, SplitsAtTheLastColon) {
  const TokenedName plain = SplitTokenedName("health");
  EXPECT_FALSE(plain.has_token);
  EXPECT_EQ(plain.method, "health");
  const TokenedName tokened = SplitTokenedName("a:b:execute");
  EXPECT_TRUE(tokened.has_token);
  EXPECT_EQ(tokened.token, "a:b");
  EXPECT_EQ(tokened.method, "execute");
  const TokenedName empty = SplitTokenedName(":execute");
  EXPECT_TRUE(empty.has_token);
  EXPECT_EQ(empty.token, "");
}

}  // namespace
}  // namespace twopc::rpc
