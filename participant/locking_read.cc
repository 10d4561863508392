#include "participant/locking_read.h"

#include <strings.h>
#include <cctype>
#include <cstring>
#include <map>
#include <memory>

#include "participant/changeset_keys.h"
#include "participant/sqlite_session.h"

namespace twopc::participant {
namespace {

struct Finalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using Statement = std::unique_ptr<sqlite3_stmt, Finalizer>;

bool IsSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

bool IsWordChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) || c == '_' || c == '$' || u >= 0x80;
}

// One token of SQL text: a word (keyword or bare identifier), or anything else
// (a literal, a quoted identifier, a punctuation character).
struct Token {
  size_t start;
  size_t end;
  bool word;
};

// The tokens of `sql`, without whitespace and comments.
std::vector<Token> Tokenize(const std::string& sql) {
  std::vector<Token> tokens;
  const size_t n = sql.size();
  size_t i = 0;
  while (i < n) {
    const char c = sql[i];
    if (IsSpace(c)) {
      ++i;
    } else if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
      while (i < n && sql[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      const size_t close = sql.find("*/", i + 2);
      i = close == std::string::npos ? n : close + 2;
    } else if (c == '\'' || c == '"' || c == '`' || c == '[') {
      const char quote = c == '[' ? ']' : c;
      size_t j = i + 1;
      while (j < n) {
        if (sql[j] == quote) {
          // A doubled quote stands for itself, inside the same literal.
          if (quote != ']' && j + 1 < n && sql[j + 1] == quote) {
            j += 2;
            continue;
          }
          break;
        }
        ++j;
      }
      const size_t end = j < n ? j + 1 : n;
      tokens.push_back(Token{i, end, false});
      i = end;
    } else if (IsWordChar(c)) {
      size_t j = i;
      while (j < n && IsWordChar(sql[j])) ++j;
      tokens.push_back(Token{i, j, true});
      i = j;
    } else {
      tokens.push_back(Token{i, i + 1, false});
      ++i;
    }
  }
  return tokens;
}

bool IsWord(const std::string& sql, const Token& token, const char* word) {
  const size_t n = std::strlen(word);
  return token.word && token.end - token.start == n &&
         strncasecmp(sql.c_str() + token.start, word, n) == 0;
}

bool MentionsFor(const std::string& sql) {
  for (size_t i = 0; i + 3 <= sql.size(); ++i) {
    if (strncasecmp(sql.c_str() + i, "for", 3) == 0) return true;
  }
  return false;
}

constexpr char kShapeRule[] =
    "FOR UPDATE/FOR SHARE needs a SELECT of one table whose result includes its PRIMARY KEY "
    "columns";

Status Refused(const std::string& why) { return Status::Aborted(why + ": " + kShapeRule); }

StatusOr<Statement> Prepare(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) {
    return Status::Aborted(sqlite3_errmsg(db));
  }
  return Statement(raw);
}

// From EXPLAIN QUERY PLAN: refuses a join, a subquery, a compound SELECT or a
// CTE, so that every row comes from one pass over one table.
Status CheckOnePass(sqlite3* db, const std::string& sql) {
  StatusOr<Statement> plan = Prepare(db, "EXPLAIN QUERY PLAN " + sql);
  if (!plan.ok()) return plan.status();
  struct Step {
    int parent;
    std::string detail;
  };
  std::map<int, Step> steps;
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(plan->get())) == SQLITE_ROW) {
    const unsigned char* detail = sqlite3_column_text(plan->get(), 3);
    steps[sqlite3_column_int(plan->get(), 0)] = Step{
        sqlite3_column_int(plan->get(), 1), detail ? reinterpret_cast<const char*>(detail) : ""};
  }
  if (rc != SQLITE_DONE) return Status::Aborted(sqlite3_errmsg(db));
  auto under_multi_index_or = [&steps](int parent) {
    for (auto it = steps.find(parent); it != steps.end(); it = steps.find(it->second.parent)) {
      if (it->second.detail.rfind("MULTI-INDEX OR", 0) == 0) return true;
    }
    return false;
  };
  int passes = 0;
  for (const auto& [id, step] : steps) {
    const std::string& detail = step.detail;
    for (const char* nested : {"COMPOUND", "CO-ROUTINE", "MATERIALIZE", "LIST SUBQUERY",
                               "SCALAR SUBQUERY", "CORRELATED"}) {
      if (detail.rfind(nested, 0) == 0) return Refused("it has a subquery or a compound SELECT");
    }
    // "IN (SELECT x FROM t)" read straight from t's b-tree.
    if (detail.find("FOR IN-OPERATOR") != std::string::npos) {
      return Refused("it has a subquery or a compound SELECT");
    }
    if (detail.rfind("MULTI-INDEX OR", 0) == 0) ++passes;
    const bool pass = detail.rfind("SCAN ", 0) == 0 || detail.rfind("SEARCH ", 0) == 0;
    if (pass && !under_multi_index_or(step.parent)) ++passes;
  }
  if (passes != 1) return Refused("it reads more than one table (a join)");
  return Status::Ok();
}

// From the bytecode: refuses aggregates and window functions, whose rows are
// not rows of the table.
Status CheckNoAggregate(sqlite3* db, const std::string& sql) {
  StatusOr<Statement> program = Prepare(db, "EXPLAIN " + sql);
  if (!program.ok()) return program.status();
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(program->get())) == SQLITE_ROW) {
    const unsigned char* opcode = sqlite3_column_text(program->get(), 1);
    if (opcode != nullptr && strncmp(reinterpret_cast<const char*>(opcode), "Agg", 3) == 0) {
      return Refused("it has an aggregate or window function");
    }
  }
  if (rc != SQLITE_DONE) return Status::Aborted(sqlite3_errmsg(db));
  return Status::Ok();
}

// The table's primary key columns, in column order; none for a table without one.
StatusOr<std::vector<std::string>> KeyColumnsOf(sqlite3* db, const std::string& table) {
  StatusOr<Statement> info =
      Prepare(db, "SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY cid");
  if (!info.ok()) return info.status();
  sqlite3_bind_text(info->get(), 1, table.c_str(), -1, SQLITE_TRANSIENT);
  std::vector<std::string> names;
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(info->get())) == SQLITE_ROW) {
    const unsigned char* name = sqlite3_column_text(info->get(), 0);
    names.emplace_back(name ? reinterpret_cast<const char*>(name) : "");
  }
  if (rc != SQLITE_DONE) return Status::Aborted(sqlite3_errmsg(db));
  return names;
}

}  // namespace

LockingSuffix SplitLockingSuffix(const std::string& sql) {
  const LockingSuffix none{std::nullopt, sql.size()};
  if (!MentionsFor(sql)) return none;  // most statements: no need to tokenize
  std::vector<Token> tokens = Tokenize(sql);
  auto is_semicolon = [&sql](const Token& token) { return !token.word && sql[token.start] == ';'; };
  while (!tokens.empty() && is_semicolon(tokens.back())) tokens.pop_back();
  // Something, then FOR, then UPDATE or SHARE; not "...; FOR SHARE".
  if (tokens.size() < 3) return none;
  const Token& mode = tokens[tokens.size() - 1];
  const Token& for_word = tokens[tokens.size() - 2];
  if (!IsWord(sql, for_word, "for") || is_semicolon(tokens[tokens.size() - 3])) return none;
  std::optional<LockMode> lock;
  if (IsWord(sql, mode, "update")) {
    lock = LockMode::kExclusive;
  } else if (IsWord(sql, mode, "share")) {
    lock = LockMode::kShared;
  } else {
    return none;
  }
  size_t end = for_word.start;
  while (end > 0 && IsSpace(sql[end - 1])) --end;
  return LockingSuffix{lock, end};
}

StatusOr<RowKeyColumns> FindRowKeyColumns(sqlite3* db, sqlite3_stmt* stmt) {
  const int columns = sqlite3_column_count(stmt);
  if (columns == 0 || !sqlite3_stmt_readonly(stmt)) return Refused("it is not a SELECT");
  const char* text = sqlite3_sql(stmt);
  if (text == nullptr) return Status::Aborted("out of memory");
  const std::string sql(text);
  TWOPC_RETURN_IF_ERROR(CheckOnePass(db, sql));
  TWOPC_RETURN_IF_ERROR(CheckNoAggregate(db, sql));

  RowKeyColumns key;
  // The table the result's plain columns come from (a view's are its table's).
  for (int c = 0; c < columns; ++c) {
    const char* table = sqlite3_column_table_name(stmt, c);
    if (table == nullptr) continue;  // an expression
    if (key.table.empty()) key.table = table;
    if (key.table != table) return Refused("its columns come from more than one table");
  }
  if (key.table.empty()) return Refused("no column of its result is a table's column");
  StatusOr<std::vector<std::string>> key_names = KeyColumnsOf(db, key.table);
  if (!key_names.ok()) return key_names.status();
  if (key_names->empty()) {
    return Status::Aborted("FOR UPDATE/FOR SHARE: table '" + key.table +
                           "' has no PRIMARY KEY, so its rows cannot be locked");
  }
  for (const std::string& name : *key_names) {
    int found = -1;
    for (int c = 0; c < columns && found < 0; ++c) {
      const char* table = sqlite3_column_table_name(stmt, c);
      const char* origin = sqlite3_column_origin_name(stmt, c);
      if (table == nullptr || origin == nullptr || key.table != table) continue;
      // SQLite names a rowid alias by its column ("SELECT rowid" gives "id").
      if (strcasecmp(origin, name.c_str()) == 0) found = c;
    }
    if (found < 0) {
      return Refused("its result lacks the key column '" + name + "' of table '" + key.table + "'");
    }
    key.columns.push_back(found);
  }
  return key;
}

StatusOr<std::string> RowKeyOf(sqlite3_stmt* stmt, const RowKeyColumns& key) {
  std::string out = RowKeyPrefix(key.table.c_str());
  for (int c : key.columns) {
    sqlite3_value* value = sqlite3_column_value(stmt, c);
    if (value == nullptr) return Status::Aborted("out of memory");
    if (sqlite3_value_type(value) == SQLITE_NULL) {
      return Status::Aborted("table '" + key.table +
                             "': a row whose PRIMARY KEY is NULL cannot be locked");
    }
    AppendKeyValue(value, &out);
  }
  return out;
}

}  // namespace twopc::participant
