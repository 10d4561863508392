#include "tools/txbench/transfer.h"

namespace twopc::txbench {
namespace {

constexpr char kDebitSql[] = "UPDATE accounts SET balance = balance - ? WHERE id = ?";
constexpr char kCreditSql[] = "UPDATE accounts SET balance = balance + ? WHERE id = ?";

void SetBranch(const std::string& participant, const char* sql, int64_t amount, int64_t account,
               Branch* branch) {
  branch->participant.assign(participant);
  branch->statements.resize(1);
  Statement& statement = branch->statements[0];
  statement.sql.assign(sql);
  statement.params.resize(2);
  statement.params[0] = Value::Integer(amount);
  statement.params[1] = Value::Integer(account);
  statement.expect_changes = 1;
}

}  // namespace

TransferGenerator::TransferGenerator(int participants, int accounts, uint64_t seed)
    : random_(seed),
      participant_(0, participants - 1),
      other_participant_(0, participants - 2),
      account_(0, accounts - 1),
      amount_(1, 10) {}

Transfer TransferGenerator::Next() {
  Transfer transfer;
  transfer.source = participant_(random_);
  // Uniform over the other participants: skip over the source.
  transfer.destination = other_participant_(random_);
  if (transfer.destination >= transfer.source) ++transfer.destination;
  transfer.from_account = account_(random_);
  transfer.to_account = account_(random_);
  transfer.amount = amount_(random_);
  return transfer;
}

void BuildTransfer(const Transfer& transfer, const std::vector<std::string>& participants,
                   Transaction* transaction) {
  std::vector<Branch>& branches = transaction->mutable_branches();
  branches.resize(2);
  SetBranch(participants[transfer.source], kDebitSql, transfer.amount, transfer.from_account,
            &branches[0]);
  SetBranch(participants[transfer.destination], kCreditSql, transfer.amount, transfer.to_account,
            &branches[1]);
}

}  // namespace twopc::txbench
