#include "coordinator/core/wait_for_graph.h"

#include <algorithm>

namespace twopc::coordinator {

std::optional<WaitForGraph::Deadlock> WaitForGraph::AddWait(int64_t txid, size_t branch,
                                                            const std::string& participant,
                                                            int64_t holder) {
  waits_[txid][branch] = {participant, holder};
  if (holder == txid) return std::nullopt;  // not a wait on another transaction
  std::vector<Wait> path;
  std::map<int64_t, bool> visited;
  if (!FindPath(holder, txid, &path, &visited)) return std::nullopt;
  Deadlock deadlock;
  deadlock.cycle.push_back(Wait{txid, participant, holder});
  deadlock.cycle.insert(deadlock.cycle.end(), path.begin(), path.end());
  deadlock.victim = txid;
  for (const Wait& wait : deadlock.cycle) deadlock.victim = std::max(deadlock.victim, wait.waiter);
  return deadlock;
}

bool WaitForGraph::FindPath(int64_t from, int64_t to, std::vector<Wait>* path,
                            std::map<int64_t, bool>* visited) const {
  if ((*visited)[from]) return false;
  (*visited)[from] = true;
  auto it = waits_.find(from);
  if (it == waits_.end()) return false;
  for (const auto& [branch, wait] : it->second) {
    const auto& [participant, holder] = wait;
    path->push_back(Wait{from, participant, holder});
    if (holder == to || FindPath(holder, to, path, visited)) return true;
    path->pop_back();
  }
  return false;
}

void WaitForGraph::RemoveWait(int64_t txid, size_t branch) {
  auto it = waits_.find(txid);
  if (it == waits_.end()) return;
  it->second.erase(branch);
  if (it->second.empty()) waits_.erase(it);
}

void WaitForGraph::Forget(int64_t txid) { waits_.erase(txid); }

std::string WaitForGraph::Describe(const Deadlock& deadlock) {
  std::string out;
  for (const Wait& wait : deadlock.cycle) {
    if (!out.empty()) out += ", ";
    out += (out.empty() ? "transaction " : "") + std::to_string(wait.waiter) + " waits for " +
           std::to_string(wait.holder) + " at " + wait.participant;
  }
  return out;
}

}  // namespace twopc::coordinator
