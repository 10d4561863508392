#!/usr/bin/python3
"""Moves money between two participants in one twopc transaction.

    PYTHONPATH=build/python:tools/python /usr/bin/python3 tools/python/transfer_example.py \\
        --coordinator 127.0.0.1:7700 --from p0:1 --to p1:2 --amount 5

Prints "TXID COMMITTED" or "TXID ABORTED: reason". Exit 0 committed, 1
aborted, 2 bad usage or refused, 3 unreachable or outcome unknown.
"""

import argparse
import sys

from twopc_client import Client, Transaction, TwopcError


def account(text):
    participant, sep, account_id = text.partition(":")
    if not sep or not participant or not account_id.lstrip("-").isdigit():
        raise argparse.ArgumentTypeError("expected PARTICIPANT:ACCOUNT_ID, got %r" % text)
    return participant, int(account_id)


def main():
    parser = argparse.ArgumentParser(description="Run one bank transfer through twopc.")
    parser.add_argument("--coordinator", required=True, help="HOST:PORT of txcoord")
    parser.add_argument("--from", dest="source", type=account, required=True,
                        help="PARTICIPANT:ACCOUNT_ID to debit")
    parser.add_argument("--to", dest="destination", type=account, required=True,
                        help="PARTICIPANT:ACCOUNT_ID to credit")
    parser.add_argument("--amount", type=int, required=True)
    parser.add_argument("--timeout-ms", type=int, default=0, help="prepare timeout (0: default)")
    parser.add_argument("--token", default=None, help="the cluster's shared secret, if it has one")
    args = parser.parse_args()

    transfer = (Transaction()
                .add(args.source[0], "UPDATE accounts SET balance = balance - ? WHERE id = ?",
                     args.amount, args.source[1], expect_changes=1)
                .add(args.destination[0], "UPDATE accounts SET balance = balance + ? WHERE id = ?",
                     args.amount, args.destination[1], expect_changes=1))
    try:
        with Client(args.coordinator, token=args.token) as client:
            result = client.execute(transfer, timeout_ms=args.timeout_ms, wait_applied=True)
    except TwopcError as e:
        print("transfer_example: %s" % e, file=sys.stderr)
        return 3 if e.code in ("UNAVAILABLE", "CALL_FAILED") else 2
    if result.outcome == "ABORTED":
        print("%d ABORTED: %s" % (result.txid, result.reason))
        return 1
    print("%d %s" % (result.txid, result.outcome))
    return 0 if result.committed else 3


if __name__ == "__main__":
    sys.exit(main())
