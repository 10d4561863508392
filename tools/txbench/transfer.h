// One bank transfer of the standard workload (../shared/bench/WORKLOAD.md)
// and the twopc::Transaction that carries it.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "twopc/transaction.h"

namespace twopc::txbench {

struct Transfer {
  int source = 0;       // participant index
  int destination = 0;  // participant index, != source
  int64_t from_account = 0;
  int64_t to_account = 0;
  int64_t amount = 0;  // 1..10
};

// Draws transfers uniformly: source != destination among `participants`,
// both accounts in 0..accounts-1, amount in 1..10.
class TransferGenerator {
 public:
  TransferGenerator(int participants, int accounts, uint64_t seed);
  Transfer Next();

 private:
  std::mt19937_64 random_;
  std::uniform_int_distribution<int> participant_;
  std::uniform_int_distribution<int> other_participant_;
  std::uniform_int_distribution<int64_t> account_;
  std::uniform_int_distribution<int64_t> amount_;
};

// Makes *transaction the two branches of `transfer`, each one UPDATE with
// bound parameters (amount, account) and expect_changes = 1. Rewrites a
// transaction it built before in place, without allocating.
void BuildTransfer(const Transfer& transfer, const std::vector<std::string>& participants,
                   Transaction* transaction);

}  // namespace twopc::txbench
