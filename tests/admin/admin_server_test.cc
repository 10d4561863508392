#include "thrift/admin/admin_server.h"

#include <gtest/gtest.h>

#include "tests/integration/cluster.h"
#include "thrift/admin/http_get.h"

namespace twopc::admin {
namespace {

constexpr int kTimeoutMs = 10000;

rpc::HostPort FreeAddress() { return {"127.0.0.1", twopc::testing::FreePorts(1)[0]}; }

TEST(AdminServerTest, ServesItsRoutesAndAnswers404ForOthers) {
  const rpc::HostPort address = FreeAddress();
  int calls = 0;
  AdminServer server(address,
                     {{"/hello", [&calls] {
                         ++calls;
                         return HttpResponse{200, "text/plain", "hi " + std::to_string(calls)};
                       }}});
  ASSERT_TRUE(server.Start().ok());
  HttpResult first = HttpGet(address, "/hello", kTimeoutMs);
  EXPECT_EQ(first.status, 200) << first.error;
  EXPECT_EQ(first.body, "hi 1");
  HttpResult second = HttpGet(address, "/hello?refresh=1", kTimeoutMs);
  EXPECT_EQ(second.body, "hi 2");
  HttpResult missing = HttpGet(address, "/nope", kTimeoutMs);
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body.find("/nope"), std::string::npos);
}

TEST(AdminServerTest, RefusesAnAddressInUse) {
  const rpc::HostPort address = FreeAddress();
  AdminServer first(address, {});
  ASSERT_TRUE(first.Start().ok());
  AdminServer second(address, {});
  const Status status = second.Start();
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("cannot listen"), std::string::npos) << status.ToString();
}

TEST(AdminServerTest, RefusesAHostThatIsNotAnIpAddress) {
  AdminServer server({"localhost-ish", 1}, {});
  EXPECT_FALSE(server.Start().ok());
}

TEST(HttpGetTest, ReportsWhyNothingAnswered) {
  const HttpResult result = HttpGet(FreeAddress(), "/", kTimeoutMs);
  EXPECT_EQ(result.status, 0);
  EXPECT_FALSE(result.error.empty());
}

}  // namespace
}  // namespace twopc::admin
