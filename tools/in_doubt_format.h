// How unresolved transactions are printed, by txctl in-doubt and txrecover.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace twopc::tools {

struct InDoubtLine {
  int64_t txid = 0;
  std::string state;
  int64_t age_ms = 0;
  std::vector<std::string> participants;
  std::string detail;
};

// "TXID STATE AGE participants=a,b detail" with the age as 1.2s / 3m4s / 5h6m.
std::string FormatInDoubtText(const InDoubtLine& line);
// One JSON object.
std::string FormatInDoubtJson(const InDoubtLine& line);
std::string FormatAge(int64_t age_ms);

}  // namespace twopc::tools
