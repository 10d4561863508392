"""A small Python client for twopc, over the Thrift code generated from
thrift/twopc.thrift (package `twopc`, built into BUILD/python).

    from twopc_client import Client, Transaction

    with Client("127.0.0.1:7700") as client:
        transfer = (Transaction()
                    .add("p0", "UPDATE accounts SET balance = balance - ? WHERE id = ?", 5, 1)
                    .add("p1", "UPDATE accounts SET balance = balance + ? WHERE id = ?", 5, 2))
        result = client.execute(transfer, timeout_ms=2000, wait_applied=True)
        print(result.txid, result.outcome, result.reason)

Python values bind as SQLite values: None -> NULL, int (and bool) -> INTEGER,
float -> REAL, str -> TEXT, bytes -> BLOB; rows come back the same way.
Errors raise TwopcError(code, message): code is the IDL's ErrorCode name
(INVALID_REQUEST, UNKNOWN_PARTICIPANT, ...), or UNAVAILABLE (could not
connect: nothing sent) or CALL_FAILED (the call broke after sending: an
execute may have committed). A client keeps its connection open between calls
and connects again after one broke.
"""

from thrift.protocol import TBinaryProtocol, TMultiplexedProtocol
from thrift.Thrift import TException
from thrift.transport import TSocket, TTransport

from twopc import Coordinator, Participant, ttypes

__all__ = ["Client", "ParticipantClient", "Transaction", "Result", "TwopcError"]

# An execute waits its prepare timeout plus this (commit delivery).
EXECUTE_SLACK_MS = 60000


class TwopcError(Exception):
    def __init__(self, code, message):
        super().__init__("%s: %s" % (code, message))
        self.code = code
        self.message = message


def to_value(python_value):
    """A Python value as a twopc Value."""
    if python_value is None:
        return ttypes.Value(kind=ttypes.ValueKind.NULL_VALUE)
    if isinstance(python_value, (bool, int)):
        return ttypes.Value(kind=ttypes.ValueKind.INTEGER, integer_value=int(python_value))
    if isinstance(python_value, float):
        return ttypes.Value(kind=ttypes.ValueKind.REAL, real_value=python_value)
    if isinstance(python_value, str):
        return ttypes.Value(kind=ttypes.ValueKind.TEXT, text_value=python_value)
    if isinstance(python_value, (bytes, bytearray)):
        return ttypes.Value(kind=ttypes.ValueKind.BLOB, blob_value=bytes(python_value))
    raise TypeError("cannot bind a %s as a SQLite value" % type(python_value).__name__)


def from_value(value):
    """A twopc Value as a Python value."""
    return {
        ttypes.ValueKind.NULL_VALUE: lambda: None,
        ttypes.ValueKind.INTEGER: lambda: value.integer_value,
        ttypes.ValueKind.REAL: lambda: value.real_value,
        ttypes.ValueKind.TEXT: lambda: value.text_value,
        ttypes.ValueKind.BLOB: lambda: value.blob_value,
    }[value.kind]()


class Transaction:
    """One branch of statements per participant, in order of first mention."""

    def __init__(self):
        self._branches = {}

    def add(self, participant, sql, *params, expect_changes=None):
        """Appends a statement to the participant's branch. With expect_changes,
        the branch votes NO unless the statement changes exactly that many rows
        (a write), or returns exactly that many (a read: SELECT)."""
        statement = ttypes.Statement(sql=sql, params=[to_value(p) for p in params])
        if expect_changes is not None:
            statement.expect_changes = expect_changes
        self._branches.setdefault(participant, []).append(statement)
        return self

    def to_request(self, timeout_ms=0, wait_applied=False, deadline_ms=0):
        request = ttypes.ExecuteRequest(
            branches=[ttypes.Branch(participant=name, statements=statements)
                      for name, statements in self._branches.items()],
            timeout_ms=timeout_ms, wait_applied=wait_applied)
        if deadline_ms:
            request.deadline_ms = deadline_ms
        return request


def _rows_of(read):
    """(columns, rows) of a QueryResult, rows as lists of Python values."""
    return list(read.columns), [[from_value(v) for v in row.values] for row in read.rows]


class Result:
    """txid, outcome ("COMMITTED", "ABORTED" or "UNKNOWN"), reason,
    changes: {participant: [rows changed by each statement]}, and
    rows: {participant: [(columns, rows) read by each statement]} for the
    branches that read (a write's entry is ([], []))."""

    def __init__(self, reply):
        self.txid = reply.txid
        self.outcome = ttypes.Outcome._VALUES_TO_NAMES.get(reply.outcome, "UNKNOWN")
        self.reason = reply.reason or ""
        self.changes = {b.participant: list(b.changes) for b in (reply.branches or [])}
        self.rows = {b.participant: [_rows_of(read) for read in b.rows]
                     for b in (reply.branches or []) if b.rows}

    @property
    def committed(self):
        return self.outcome == "COMMITTED"

    def __repr__(self):
        return "Result(txid=%d, outcome=%s, reason=%r)" % (self.txid, self.outcome, self.reason)


def _split_address(address):
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise TwopcError("INVALID_ARGUMENT", "expected HOST:PORT, got %r" % address)
    return host, int(port)


def make_protocol(transport, token=None):
    """The protocol every call goes through. With a token, each message is
    named "TOKEN:method" (Thrift's TMultiplexedProtocol), which is how the
    services carry the cluster's shared secret."""
    protocol = TBinaryProtocol.TBinaryProtocol(transport)
    if token:
        protocol = TMultiplexedProtocol.TMultiplexedProtocol(protocol, token)
    return protocol


class _Connection:
    """One kept-alive connection to a service, opened on first use and again
    after a failure."""

    def __init__(self, role, address, service, timeout_ms, connect_timeout_ms, token):
        self._role = role
        self._address = address
        self._service = service
        self._timeout_ms = timeout_ms
        self._connect_timeout_ms = connect_timeout_ms
        self._token = token
        self._host, self._port = _split_address(address)
        self._socket = None
        self._transport = None
        self._client = None

    def _open(self):
        if self._client is not None:
            return
        self._socket = TSocket.TSocket(self._host, self._port)
        self._socket.setTimeout(self._connect_timeout_ms)
        self._transport = TTransport.TFramedTransport(self._socket)
        try:
            self._transport.open()
        except TException as e:
            self.close()
            raise TwopcError("UNAVAILABLE", "%s %s unreachable: %s" % (self._role, self._address, e))
        self._client = self._service.Client(make_protocol(self._transport, self._token))

    def call(self, method, *args, timeout_ms=None):
        self._open()
        self._socket.setTimeout(timeout_ms or self._timeout_ms)
        try:
            return getattr(self._client, method)(*args)
        except ttypes.TxError as e:
            raise TwopcError(ttypes.ErrorCode._VALUES_TO_NAMES.get(e.code, "INTERNAL"), e.message)
        except TException as e:
            self.close()  # in an unknown state: the next call connects again
            raise TwopcError("CALL_FAILED", "%s %s did not answer: %s" %
                             (self._role, self._address, e))

    def close(self):
        if self._transport is not None:
            try:
                self._transport.close()
            except TException:
                pass
        self._socket = None
        self._transport = None
        self._client = None


class _Service:
    def __init__(self, connection):
        self._connection = connection

    def close(self):
        self._connection.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def health(self):
        health = self._connection.call("health")
        return {"role": health.role, "name": health.name, "details": dict(health.details or {})}


class Client(_Service):
    """The coordinator: runs transactions."""

    def __init__(self, address, timeout_ms=30000, connect_timeout_ms=2000, token=None):
        super().__init__(_Connection("coordinator", address, Coordinator, timeout_ms,
                                     connect_timeout_ms, token))

    def execute(self, transaction, timeout_ms=0, wait_applied=False, deadline_ms=0):
        """Runs the transaction; an abort is a Result, not an error. deadline_ms
        (0: none) aborts it if it has not reached its commit point by then."""
        request = transaction.to_request(timeout_ms, wait_applied, deadline_ms)
        reply = self._connection.call("execute", request,
                                      timeout_ms=max(timeout_ms, 0) + EXECUTE_SLACK_MS)
        return Result(reply)

    def status(self, txid):
        """COMMITTED, ABORTED, IN_PROGRESS or UNKNOWN."""
        return ttypes.Outcome._VALUES_TO_NAMES[self._connection.call("status", txid)]

    def in_doubt(self):
        return [{"txid": t.txid, "state": t.state, "age_ms": t.age_ms,
                 "participants": list(t.participants), "detail": t.detail or ""}
                for t in self._connection.call("in_doubt")]


class ParticipantClient(_Service):
    """A participant: reads its committed data."""

    def __init__(self, address, timeout_ms=30000, connect_timeout_ms=2000, token=None):
        super().__init__(_Connection("participant", address, Participant, timeout_ms,
                                     connect_timeout_ms, token))

    def query(self, sql, *params):
        """(columns, rows): rows as lists of Python values."""
        return _rows_of(self._connection.call("query", sql, [to_value(p) for p in params]))
