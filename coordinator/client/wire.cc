#include "coordinator/client/wire.h"

#include "thrift/rpc/wire_enum.h"

namespace twopc::client_internal {

void ToWire(const Value& value, rpc::Value* out) {
  out->__isset = rpc::_Value__isset();
  switch (value.kind()) {
    case ValueKind::kNull:
      out->kind = rpc::ValueKind::NULL_VALUE;
      break;
    case ValueKind::kInteger:
      out->kind = rpc::ValueKind::INTEGER;
      out->__set_integer_value(value.integer());
      break;
    case ValueKind::kReal:
      out->kind = rpc::ValueKind::REAL;
      out->__set_real_value(value.real());
      break;
    case ValueKind::kText:
      out->kind = rpc::ValueKind::TEXT;
      out->text_value.assign(value.bytes());
      out->__isset.text_value = true;
      break;
    case ValueKind::kBlob:
      out->kind = rpc::ValueKind::BLOB;
      out->blob_value.assign(value.bytes());
      out->__isset.blob_value = true;
      break;
  }
}

void ToWire(const Statement& statement, rpc::Statement* out) {
  out->sql.assign(statement.sql);
  out->params.resize(statement.params.size());
  for (size_t i = 0; i < statement.params.size(); ++i) ToWire(statement.params[i], &out->params[i]);
  out->__isset.params = true;
  out->expect_changes = statement.expect_changes.value_or(0);
  out->__isset.expect_changes = statement.expect_changes.has_value();
}

void ToWire(const Transaction& transaction, const ExecuteOptions& options,
            rpc::ExecuteRequest* out) {
  const std::vector<Branch>& branches = transaction.branches();
  out->branches.resize(branches.size());
  for (size_t i = 0; i < branches.size(); ++i) {
    rpc::Branch& branch = out->branches[i];
    branch.participant.assign(branches[i].participant);
    branch.statements.resize(branches[i].statements.size());
    for (size_t j = 0; j < branches[i].statements.size(); ++j) {
      ToWire(branches[i].statements[j], &branch.statements[j]);
    }
  }
  out->__set_timeout_ms(options.timeout_ms);
  out->__set_wait_applied(options.wait_applied);
  out->__set_deadline_ms(options.deadline_ms);
}

Value FromWire(const rpc::Value& value) {
  // Any number may arrive in `kind` (a newer peer): read it raw, and a value
  // of no known kind is NULL.
  switch (rpc::WireEnumValue(value.kind)) {
    case rpc::ValueKind::NULL_VALUE:
      return Value::Null();
    case rpc::ValueKind::INTEGER:
      return Value::Integer(value.integer_value);
    case rpc::ValueKind::REAL:
      return Value::Real(value.real_value);
    case rpc::ValueKind::TEXT:
      return Value::Text(value.text_value);
    case rpc::ValueKind::BLOB:
      return Value::Blob(value.blob_value);
  }
  return Value::Null();
}

Outcome FromWire(const rpc::Outcome::type& outcome) {
  switch (rpc::WireEnumValue(outcome)) {  // any number may arrive
    case rpc::Outcome::COMMITTED:
      return Outcome::kCommitted;
    case rpc::Outcome::ABORTED:
      return Outcome::kAborted;
    case rpc::Outcome::IN_PROGRESS:
      return Outcome::kInProgress;
    case rpc::Outcome::UNKNOWN:
      return Outcome::kUnknown;
  }
  return Outcome::kUnknown;
}

ErrorCode FromWire(const rpc::ErrorCode::type& code) {
  const int32_t number = rpc::WireEnumValue(code);  // any number may arrive
  if (number >= static_cast<int>(ErrorCode::kInvalidRequest) &&
      number <= static_cast<int>(ErrorCode::kUnauthenticated)) {
    return static_cast<ErrorCode>(number);
  }
  return ErrorCode::kInternal;  // a code newer than this client
}

void FromWire(const rpc::ExecuteResult& result, ExecuteResult* out) {
  out->txid = result.txid;
  out->outcome = FromWire(result.outcome);
  out->reason.assign(result.reason);
  out->branches.resize(result.branches.size());
  for (size_t i = 0; i < result.branches.size(); ++i) {
    out->branches[i].participant.assign(result.branches[i].participant);
    out->branches[i].changes.assign(result.branches[i].changes.begin(),
                                    result.branches[i].changes.end());
    out->branches[i].rows.clear();
    for (const rpc::QueryResult& rows : result.branches[i].rows) {
      out->branches[i].rows.push_back(FromWire(rows));
    }
  }
}

QueryResult FromWire(const rpc::QueryResult& result) {
  QueryResult out;
  out.columns = result.columns;
  out.rows.reserve(result.rows.size());
  for (const rpc::Row& row : result.rows) {
    std::vector<Value>& values = out.rows.emplace_back();
    values.reserve(row.values.size());
    for (const rpc::Value& value : row.values) values.push_back(FromWire(value));
  }
  return out;
}

QueryResult FromWire(rpc::QueryResult&& result) {
  QueryResult out;
  out.columns = std::move(result.columns);
  out.rows.reserve(result.rows.size());
  for (rpc::Row& row : result.rows) {
    std::vector<Value>& values = out.rows.emplace_back();
    values.reserve(row.values.size());
    for (rpc::Value& value : row.values) {
      switch (rpc::WireEnumValue(value.kind)) {
        case rpc::ValueKind::TEXT:
          values.push_back(Value::Text(std::move(value.text_value)));
          break;
        case rpc::ValueKind::BLOB:
          values.push_back(Value::Blob(std::move(value.blob_value)));
          break;
        default:
          values.push_back(FromWire(value));
      }
    }
  }
  return out;
}

HealthInfo FromWire(const rpc::Health& health) {
  return HealthInfo{health.role, health.name, health.details};
}

InDoubtTransaction FromWire(const rpc::InDoubtTransaction& transaction) {
  return InDoubtTransaction{transaction.txid, transaction.state, transaction.age_ms,
                            transaction.participants, transaction.detail};
}

void FromWire(const rpc::ExecuteRequest& request, std::vector<Branch>* branches,
              ExecuteOptions* options) {
  branches->resize(request.branches.size());
  for (size_t i = 0; i < request.branches.size(); ++i) {
    const rpc::Branch& wire = request.branches[i];
    Branch& branch = (*branches)[i];
    branch.participant = wire.participant;
    branch.statements.resize(wire.statements.size());
    for (size_t j = 0; j < wire.statements.size(); ++j) {
      const rpc::Statement& from = wire.statements[j];
      Statement& to = branch.statements[j];
      to.sql = from.sql;
      to.params.clear();
      to.params.reserve(from.params.size());
      for (const rpc::Value& value : from.params) to.params.push_back(FromWire(value));
      to.expect_changes.reset();
      if (from.__isset.expect_changes) to.expect_changes = from.expect_changes;
    }
  }
  options->timeout_ms = request.timeout_ms;
  options->wait_applied = request.wait_applied;
  options->deadline_ms = request.deadline_ms;
}

void ToWire(const QueryResult& result, rpc::QueryResult* out) {
  out->columns = result.columns;
  out->rows.resize(result.rows.size());
  for (size_t i = 0; i < result.rows.size(); ++i) {
    std::vector<rpc::Value>& values = out->rows[i].values;
    values.resize(result.rows[i].size());
    for (size_t j = 0; j < values.size(); ++j) ToWire(result.rows[i][j], &values[j]);
  }
}

void ToWire(const ExecuteResult& result, rpc::ExecuteResult* out) {
  out->txid = result.txid;
  out->outcome = ToWire(result.outcome);
  out->reason = result.reason;
  out->__isset.reason = !result.reason.empty();
  out->branches.resize(result.branches.size());
  for (size_t i = 0; i < result.branches.size(); ++i) {
    const BranchResult& from = result.branches[i];
    rpc::BranchResult& to = out->branches[i];
    to.participant = from.participant;
    to.changes = from.changes;
    to.rows.resize(from.rows.size());
    for (size_t j = 0; j < from.rows.size(); ++j) ToWire(from.rows[j], &to.rows[j]);
    to.__isset.rows = !from.rows.empty();
  }
  out->__isset.branches = !result.branches.empty();
}

rpc::Outcome::type ToWire(Outcome outcome) {
  switch (outcome) {
    case Outcome::kCommitted:
      return rpc::Outcome::COMMITTED;
    case Outcome::kAborted:
      return rpc::Outcome::ABORTED;
    case Outcome::kInProgress:
      return rpc::Outcome::IN_PROGRESS;
    case Outcome::kUnknown:
      break;
  }
  return rpc::Outcome::UNKNOWN;
}

rpc::InDoubtTransaction ToWire(const InDoubtTransaction& transaction) {
  rpc::InDoubtTransaction out;
  out.txid = transaction.txid;
  out.state = transaction.state;
  out.age_ms = transaction.age_ms;
  out.participants = transaction.participants;
  if (!transaction.detail.empty()) out.__set_detail(transaction.detail);
  return out;
}

}  // namespace twopc::client_internal
