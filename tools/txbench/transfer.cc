#include "tools/txbench/transfer.h"

namespace twopc::txbench {
namespace {

constexpr char kDebitSql[] = "UPDATE accounts SET balance = balance - ? WHERE id = ?";
constexpr char kCreditSql[] = "UPDATE accounts SET balance = balance + ? WHERE id = ?";

rpc::Value Integer(int64_t value) {
  rpc::Value result;
  result.kind = rpc::ValueKind::INTEGER;
  result.__set_integer_value(value);
  return result;
}

rpc::Branch MakeBranch(const std::string& participant, const char* sql, int64_t amount,
                       int64_t account) {
  rpc::Statement statement;
  statement.sql = sql;
  statement.__set_params({Integer(amount), Integer(account)});
  statement.__set_expect_changes(1);
  rpc::Branch branch;
  branch.participant = participant;
  branch.statements = {statement};
  return branch;
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

void BuildTransferRequest(const Transfer& transfer, const std::vector<std::string>& participants,
                          rpc::ExecuteRequest* request) {
  request->branches = {
      MakeBranch(participants[transfer.source], kDebitSql, transfer.amount, transfer.from_account),
      MakeBranch(participants[transfer.destination], kCreditSql, transfer.amount,
                 transfer.to_account)};
}

}  // namespace twopc::txbench
