"""The pure parts of tools/python/twopc_client.py: values, transactions and
the token hook, without a server. Needs PYTHONPATH=BUILD/python:tools/python."""

import unittest

from thrift.protocol import TBinaryProtocol
from thrift.transport import TTransport

from twopc import Coordinator, ttypes
import twopc_client


class ValueTest(unittest.TestCase):
    def test_python_values_round_trip(self):
        for value in (None, 7, -2**40, 0.5, "tab\there", b"\x00\xff"):
            self.assertEqual(twopc_client.from_value(twopc_client.to_value(value)), value)
        self.assertEqual(twopc_client.to_value(True).kind, ttypes.ValueKind.INTEGER)
        self.assertEqual(twopc_client.to_value(b"x").kind, ttypes.ValueKind.BLOB)

    def test_other_types_are_refused(self):
        with self.assertRaises(TypeError):
            twopc_client.to_value(object())


class TransactionTest(unittest.TestCase):
    def test_statements_join_their_participants_branch_in_order(self):
        request = (twopc_client.Transaction()
                   .add("p0", "UPDATE a SET x = ?", 1, expect_changes=1)
                   .add("p1", "UPDATE b SET y = ?", "t")
                   .add("p0", "UPDATE a SET z = 2")
                   .to_request(timeout_ms=1500, wait_applied=True))
        self.assertEqual([b.participant for b in request.branches], ["p0", "p1"])
        self.assertEqual([s.sql for s in request.branches[0].statements],
                         ["UPDATE a SET x = ?", "UPDATE a SET z = 2"])
        self.assertEqual(request.branches[0].statements[0].expect_changes, 1)
        self.assertIsNone(request.branches[0].statements[1].expect_changes)
        self.assertEqual(request.branches[1].statements[0].params[0].text_value, "t")
        self.assertEqual(request.timeout_ms, 1500)
        self.assertTrue(request.wait_applied)

    def test_a_deadline_goes_into_the_request(self):
        transaction = twopc_client.Transaction().add("p0", "DELETE FROM a")
        self.assertEqual(transaction.to_request(deadline_ms=250).deadline_ms, 250)
        self.assertFalse(transaction.to_request().deadline_ms)


class ResultTest(unittest.TestCase):
    def test_rows_read_come_back_per_statement(self):
        read = ttypes.QueryResult(columns=["id", "balance"], rows=[
            ttypes.Row(values=[twopc_client.to_value(1), twopc_client.to_value(970)])])
        write = ttypes.QueryResult(columns=[], rows=[])
        reply = ttypes.ExecuteResult(txid=9, outcome=ttypes.Outcome.COMMITTED, branches=[
            ttypes.BranchResult(participant="p0", changes=[0, 1], rows=[read, write]),
            ttypes.BranchResult(participant="p1", changes=[1])])
        result = twopc_client.Result(reply)
        self.assertEqual(result.rows, {"p0": [(["id", "balance"], [[1, 970]]), ([], [])]})
        self.assertEqual(result.changes, {"p0": [0, 1], "p1": [1]})


class TokenTest(unittest.TestCase):
    def sent_message_name(self, token):
        buffer = TTransport.TMemoryBuffer()
        Coordinator.Client(twopc_client.make_protocol(buffer, token)).send_status(5)
        reader = TBinaryProtocol.TBinaryProtocol(TTransport.TMemoryBuffer(buffer.getvalue()))
        name, _, _ = reader.readMessageBegin()
        return name

    def test_a_token_prefixes_every_message_name(self):
        self.assertEqual(self.sent_message_name("s3cret"), "s3cret:status")

    def test_no_token_leaves_the_name_alone(self):
        self.assertEqual(self.sent_message_name(None), "status")


class AddressTest(unittest.TestCase):
    def test_an_address_without_port_is_refused(self):
        with self.assertRaises(twopc_client.TwopcError) as raised:
            twopc_client.Client("no-port")
        self.assertEqual(raised.exception.code, "INVALID_ARGUMENT")


if __name__ == "__main__":
    unittest.main()
