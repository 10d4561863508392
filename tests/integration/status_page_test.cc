// The status page (/) of a real cluster in headless Chromium: after its script
// ran, the DOM shows the live participants and a transaction made during the
// test. Saves a screenshot to build/status_page.png and prints its path.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>

#include "tests/integration/admin_cluster_test.h"
#include "tests/integration/cluster.h"

namespace twopc::testing {
namespace {

// Bound on waiting for the page to show what the cluster did (a deadline).
constexpr int kPageDeadlineMs = 120000;
constexpr int kChromiumDeadlineMs = 90000;

std::string ChromiumPath() {
  const char* path = std::getenv("TWOPC_CHROMIUM");
  return path != nullptr && *path != '\0' ? path : "/usr/bin/chromium";
}

// Headless Chromium on `url` with the page's script given time to run.
RunResult Chromium(const std::string& profile, const std::vector<std::string>& action,
                   const std::string& url) {
  std::vector<std::string> args = {"--headless",
                                   "--no-sandbox",
                                   "--disable-gpu",
                                   "--no-first-run",
                                   "--hide-scrollbars",
                                   "--user-data-dir=" + profile,
                                   "--virtual-time-budget=5000"};
  args.insert(args.end(), action.begin(), action.end());
  args.push_back(url);
  return RunProgram(ChromiumPath(), args, kChromiumDeadlineMs);
}

class StatusPageTest : public AdminClusterTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(ChromiumPath()))
        << ChromiumPath() << " is missing (tools/install_deps.sh installs chromium)";
    AdminClusterTest::SetUp();
  }

  TempDir profile_;
};

TEST_F(StatusPageTest, ShowsLiveParticipantsAndATransactionMadeDuringTheTest) {
  const RunResult transfer =
      cluster_->Exec({{"p0", "UPDATE accounts SET balance = balance - 5 WHERE id = 1"},
                      {"p1", "UPDATE accounts SET balance = balance + 5 WHERE id = 2"}});
  ASSERT_EQ(transfer.exit_code, 0) << transfer.out << transfer.err;
  const std::string txid = transfer.out.substr(0, transfer.out.find(' '));

  const std::string url = "http://" + coordinator_admin_ + "/";
  // What the script renders from /status.json (participants are health-checked
  // in the background every second, so the first load may say "not checked yet").
  std::vector<std::string> expected;
  for (int i = 0; i < 2; ++i) {
    expected.push_back("data-name=\"p" + std::to_string(i) + "\"><td>p" + std::to_string(i) +
                       "</td><td>" + cluster_->participant_address(i) +
                       "</td><td class=\"up\">up</td>");
  }
  expected.push_back("data-txid=\"" + txid + "\"><td>" + txid + "</td><td>COMMITTED</td>");
  expected.push_back("<span id=\"total-committed\">committed: 1</span>");
  expected.push_back("nothing in doubt");
  RunResult dom;
  const bool shown = WaitFor(
      [&] {
        dom = Chromium(profile_.path(), {"--dump-dom"}, url);
        for (const std::string& part : expected) {
          if (dom.out.find(part) == std::string::npos) return false;
        }
        return true;
      },
      kPageDeadlineMs);
  for (const std::string& part : expected) {
    EXPECT_NE(dom.out.find(part), std::string::npos) << part << "\nDOM:\n" << dom.out;
  }
  ASSERT_TRUE(shown) << "exit " << dom.exit_code << "\n" << dom.err;
  EXPECT_NE(dom.out.find("<title>twopc coordinator " + cluster_->coordinator_address()),
            std::string::npos);

  const std::string screenshot =
      std::filesystem::weakly_canonical(BinaryPath("txctl")).parent_path().parent_path().string() +
      "/status_page.png";
  std::filesystem::remove(screenshot);
  const RunResult shot =
      Chromium(profile_.path(), {"--window-size=1100,1200", "--screenshot=" + screenshot}, url);
  EXPECT_EQ(shot.exit_code, 0) << shot.err;
  ASSERT_TRUE(std::filesystem::exists(screenshot)) << shot.err;
  EXPECT_GT(std::filesystem::file_size(screenshot), 1000u);
  std::cout << "status page screenshot: " << screenshot << std::endl;

  // A participant serves the same page about itself.
  const RunResult participant =
      Chromium(profile_.path(), {"--dump-dom"}, "http://" + participant_admin_ + "/");
  EXPECT_NE(participant.out.find("twopc participant p0"), std::string::npos) << participant.out;
  EXPECT_NE(participant.out.find("<span id=\"total-commits\">commits: 1</span>"), std::string::npos)
      << participant.out;
}

}  // namespace
}  // namespace twopc::testing
