#include "thrift/admin/status_view.h"

#include <gtest/gtest.h>

namespace twopc::admin {
namespace {

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

StatusView Sample() {
  StatusView view;
  view.role = "coordinator";
  view.name = "127.0.0.1:7700";
  view.now_ms = 1795451101217;
  view.totals = {{"committed", 42}, {"aborted", 3}};
  view.peers = {{"p0", "127.0.0.1:7701", true, "prepared=0 wal=ok"},
                {"p1", "127.0.0.1:7702", false, "connect() failed: Connection refused"}};
  RateSample second;
  second.unix_ms = 1795451101000;
  second.seconds = 1;
  second.committed = 20;
  second.aborted = 2;
  second.p50_ms = 1.5;
  second.p99_ms = 9.25;
  view.history = {second};
  view.in_doubt = {{17111579203993601, "PREPARED", 2500, {"p0", "p1"}, "waiting \"for\" it"}};
  view.mismatches = {{17111579203993777, "HEURISTIC_MISMATCH", 60000, {"p1"}, "forced COMMIT"}};
  view.recent = {{17111579203993603, "COMMITTED", 2.5}};
  return view;
}

TEST(StatusViewTest, JsonWritesTxidsAsStringsSoJavaScriptKeepsThemExact) {
  const std::string json = ToJson(Sample());
  EXPECT_TRUE(Contains(json, "\"txid\":\"17111579203993601\"")) << json;
  EXPECT_TRUE(Contains(json, "\"txid\":\"17111579203993603\"")) << json;
}

TEST(StatusViewTest, JsonCarriesEverySection) {
  const std::string json = ToJson(Sample());
  EXPECT_TRUE(Contains(json, "\"role\":\"coordinator\"")) << json;
  EXPECT_TRUE(Contains(json, "\"totals\":{\"committed\":42,\"aborted\":3}")) << json;
  EXPECT_TRUE(Contains(json, "{\"name\":\"p1\",\"address\":\"127.0.0.1:7702\",\"up\":false"))
      << json;
  EXPECT_TRUE(Contains(json, "\"committed\":20,\"aborted\":2,\"p50_ms\":1.500,\"p99_ms\":9.250"))
      << json;
  EXPECT_TRUE(Contains(json, "\"participants\":[\"p0\",\"p1\"]")) << json;
  EXPECT_TRUE(Contains(json, "\"detail\":\"waiting \\\"for\\\" it\"")) << json;
  EXPECT_TRUE(Contains(json, "\"mismatches\":[{\"txid\":\"17111579203993777\"")) << json;
}

TEST(StatusViewTest, TextShowsRatesPeersInDoubtAndMismatches) {
  const std::string text = ToText(Sample());
  EXPECT_TRUE(Contains(text, "twopc coordinator 127.0.0.1:7700")) << text;
  EXPECT_TRUE(Contains(text, "committed 42  aborted 3")) << text;
  EXPECT_TRUE(Contains(text, "20.000 committed/s")) << text;
  EXPECT_TRUE(Contains(text, "p99 9.250 ms")) << text;
  EXPECT_TRUE(Contains(text, "p0  127.0.0.1:7701  up")) << text;
  EXPECT_TRUE(Contains(text, "p1  127.0.0.1:7702  DOWN  connect() failed")) << text;
  EXPECT_TRUE(Contains(text, "in doubt: 1\n  17111579203993601  PREPARED")) << text;
  EXPECT_TRUE(Contains(text, "participants=p0,p1")) << text;
  EXPECT_TRUE(Contains(text, "heuristic mismatches: 1\n  17111579203993777")) << text;
  EXPECT_TRUE(Contains(text, "17111579203993603  COMMITTED")) << text;
}

TEST(StatusViewTest, TextSaysWhenThereIsNothingYet) {
  StatusView view;
  view.role = "participant";
  view.name = "p0";
  const std::string text = ToText(view);
  EXPECT_TRUE(Contains(text, "no samples yet")) << text;
  EXPECT_TRUE(Contains(text, "in doubt: none")) << text;
  EXPECT_FALSE(Contains(text, "participants:")) << text;
}

}  // namespace
}  // namespace twopc::admin
