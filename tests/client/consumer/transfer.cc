// Moves AMOUNT from FROM_PARTICIPANT's account FROM_ID to TO_PARTICIPANT's
// account TO_ID in one transaction; prints "TXID OUTCOME[: reason]".
// Exit 0 committed, 1 aborted or unknown, 2 bad usage, 3 ClientError.
#include <twopc/client.h>

#include <cstdlib>
#include <iostream>

int main(int argc, char** argv) {
  if (argc != 7) {
    std::cerr << "usage: twopc_transfer COORDINATOR FROM_PARTICIPANT FROM_ID TO_PARTICIPANT "
                 "TO_ID AMOUNT\n";
    return 2;
  }
  const long long from_id = std::atoll(argv[3]);
  const long long to_id = std::atoll(argv[5]);
  const long long amount = std::atoll(argv[6]);
  try {
    twopc::Client client(twopc::ClientOptions{argv[1]});
    twopc::Transaction transfer;
    transfer
        .AddExpecting(argv[2], 1, "UPDATE accounts SET balance = balance - ? WHERE id = ?",
                      {amount, from_id})
        .AddExpecting(argv[4], 1, "UPDATE accounts SET balance = balance + ? WHERE id = ?",
                      {amount, to_id});
    twopc::ExecuteOptions options;
    options.wait_applied = true;
    const twopc::ExecuteResult result = client.Execute(transfer, options);
    std::cout << result.txid << " " << twopc::OutcomeName(result.outcome);
    if (!result.reason.empty()) std::cout << ": " << result.reason;
    std::cout << "\n";
    return result.committed() ? 0 : 1;
  } catch (const twopc::ClientError& e) {
    std::cerr << "twopc_transfer: " << twopc::ErrorCodeName(e.code()) << ": " << e.what() << "\n";
    return 3;
  }
}
