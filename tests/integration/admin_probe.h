// Reading a process's admin endpoint (--admin-listen) from a test.
#pragma once

#include <optional>
#include <string>

namespace twopc::testing {

// The body of GET http://address/path, or nullopt when it does not answer 200.
std::optional<std::string> Scrape(const std::string& address, const std::string& path);

// The value of one series in Prometheus text, e.g.
// `twopc_participant_votes_total{vote="yes"}`; nullopt when it is absent.
std::optional<double> MetricValue(const std::string& metrics_text, const std::string& series);

}  // namespace twopc::testing
