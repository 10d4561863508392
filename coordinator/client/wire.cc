#include "coordinator/client/wire.h"

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

namespace {

void StatementToWire(const Statement& statement, rpc::Statement* out) {
  out->sql.assign(statement.sql);
  out->params.resize(statement.params.size());
  for (size_t i = 0; i < statement.params.size(); ++i) ToWire(statement.params[i], &out->params[i]);
  out->__isset.params = true;
  out->expect_changes = statement.expect_changes.value_or(0);
  out->__isset.expect_changes = statement.expect_changes.has_value();
}

}  // namespace

void ToWire(const Transaction& transaction, const ExecuteOptions& options,
            rpc::ExecuteRequest* out) {
  const std::vector<Branch>& branches = transaction.branches();
  out->branches.resize(branches.size());
  for (size_t i = 0; i < branches.size(); ++i) {
    rpc::Branch& branch = out->branches[i];
    branch.participant.assign(branches[i].participant);
    branch.statements.resize(branches[i].statements.size());
    for (size_t j = 0; j < branches[i].statements.size(); ++j) {
      StatementToWire(branches[i].statements[j], &branch.statements[j]);
    }
  }
  out->__set_timeout_ms(options.timeout_ms);
  out->__set_wait_applied(options.wait_applied);
  out->__set_deadline_ms(options.deadline_ms);
}

Value FromWire(const rpc::Value& value) {
  switch (value.kind) {
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

Outcome FromWire(rpc::Outcome::type outcome) {
  switch (outcome) {
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

ErrorCode FromWire(rpc::ErrorCode::type code) {
  const int number = static_cast<int>(code);
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

HealthInfo FromWire(const rpc::Health& health) {
  return HealthInfo{health.role, health.name, health.details};
}

InDoubtTransaction FromWire(const rpc::InDoubtTransaction& transaction) {
  return InDoubtTransaction{transaction.txid, transaction.state, transaction.age_ms,
                            transaction.participants, transaction.detail};
}

}  // namespace twopc::client_internal
