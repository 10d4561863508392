// Which transaction waits for which: the coordinator's view of lock waits,
// for finding deadlocks the moment they form. Pure bookkeeping, no locking
// and no I/O.
//
// Every wait of a transaction this coordinator drives is reported to it: a
// participant answers a prepare whose row is held by another prepared
// transaction with try_again and the holder's txid, and the coordinator sends
// the branch again later. So a cycle of waits, whether across participants or
// not, shows up here as a cycle of edges, closed by the last wait reported.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace twopc::coordinator {

class WaitForGraph {
 public:
  // One wait in a cycle: `waiter`'s branch at `participant` waits for `holder`.
  struct Wait {
    int64_t waiter = 0;
    std::string participant;
    int64_t holder = 0;
  };
  struct Deadlock {
    std::vector<Wait> cycle;  // starts with the wait that closed it
    int64_t victim = 0;       // the youngest transaction in it (highest txid)
  };

  // txid's branch number `branch`, at `participant`, waits for `holder`
  // (replacing what that branch waited for before). Returns the deadlock
  // this wait closes, if any.
  std::optional<Deadlock> AddWait(int64_t txid, size_t branch, const std::string& participant,
                                  int64_t holder);
  // The branch waits no more.
  void RemoveWait(int64_t txid, size_t branch);
  // Every wait of txid (it finished preparing).
  void Forget(int64_t txid);
  bool empty() const { return waits_.empty(); }

  // "transaction 7 waits for 9 at p1, 9 waits for 7 at p0"
  static std::string Describe(const Deadlock& deadlock);

 private:
  // Path of waits from `from` to `to`, if any (depth first).
  bool FindPath(int64_t from, int64_t to, std::vector<Wait>* path,
                std::map<int64_t, bool>* visited) const;

  // txid -> branch -> (participant, holder)
  std::map<int64_t, std::map<size_t, std::pair<std::string, int64_t>>> waits_;
};

}  // namespace twopc::coordinator
