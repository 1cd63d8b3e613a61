#include "store/sqlite_db.h"

#include <sqlite3.h>

#include <algorithm>
#include <limits>
#include <utility>

namespace kvr::store {
namespace {

// SQLITE_TRANSIENT without its old-style cast: SQLite copies the bound text.
sqlite3_destructor_type transient() {
  return reinterpret_cast<sqlite3_destructor_type>(static_cast<intptr_t>(-1));
}

}  // namespace

DbError::DbError(const std::string& message, int code, std::string detail)
    : Error(message), code_(code), detail_(std::move(detail)) {}

bool DbError::notADatabase() const {
  return (code_ & 0xFF) == SQLITE_NOTADB;
}
bool DbError::foreignKeyViolation() const {
  return code_ == SQLITE_CONSTRAINT_FOREIGNKEY;
}
bool DbError::busy() const {
  return (code_ & 0xFF) == SQLITE_BUSY || (code_ & 0xFF) == SQLITE_LOCKED;
}
bool DbError::uniqueViolation() const {
  return code_ == SQLITE_CONSTRAINT_PRIMARYKEY || code_ == SQLITE_CONSTRAINT_UNIQUE;
}

// ---------------------------------------------------------------- Database

Database::Database(std::filesystem::path path, OpenMode mode) : path_(std::move(path)) {
  int flags = 0;
  switch (mode) {
    case OpenMode::ReadOnly:
      flags = SQLITE_OPEN_READONLY;
      break;
    case OpenMode::ReadWrite:
      flags = SQLITE_OPEN_READWRITE;
      break;
    case OpenMode::ReadWriteCreate:
      flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
      break;
  }
  const int rc = sqlite3_open_v2(path_.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    const std::string detail = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    const int code = db_ != nullptr ? sqlite3_extended_errcode(db_) : rc;
    sqlite3_close(db_);
    db_ = nullptr;
    throw DbError(path_.string() + ": cannot open the database: " + detail, code, detail);
  }
  sqlite3_extended_result_codes(db_, 1);
}

Database::~Database() {
  // Every Statement is finalized before its Database goes, so close cannot be busy.
  sqlite3_close(db_);
}

void Database::fail(int rc) const {
  const std::string detail = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  const int code = db_ != nullptr ? sqlite3_extended_errcode(db_) : rc;
  throw DbError(path_.string() + ": " + detail, code, detail);
}

void Database::exec(const std::string& sql) {
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) fail(rc);
}

Statement Database::prepare(const std::string& sql) const {
  sqlite3_stmt* stmt = nullptr;
  const int rc =
      sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size() + 1), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    fail(rc);
  }
  return Statement(this, stmt);
}

void Database::setBusyTimeout(std::chrono::milliseconds timeout) {
  const auto ms =
      std::min<std::chrono::milliseconds::rep>(timeout.count(), std::numeric_limits<int>::max());
  const int rc = sqlite3_busy_timeout(db_, static_cast<int>(ms));
  if (rc != SQLITE_OK) fail(rc);
}

int64_t Database::lastInsertRowId() const {
  return sqlite3_last_insert_rowid(db_);
}

int Database::changes() const {
  return sqlite3_changes(db_);
}

// ---------------------------------------------------------------- Statement

Statement::Statement(Statement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), stmt_(std::exchange(other.stmt_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = std::exchange(other.db_, nullptr);
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}

void Statement::check(int rc) const {
  if (rc != SQLITE_OK) db_->fail(rc);
}

void Statement::bindInt64(int index, int64_t value) {
  check(sqlite3_bind_int64(stmt_, index, value));
}

void Statement::bindDouble(int index, double value) {
  check(sqlite3_bind_double(stmt_, index, value));
}

void Statement::bindText(int index, const std::string& value) {
  check(sqlite3_bind_text64(stmt_, index, value.data(), value.size(), transient(), SQLITE_UTF8));
}

void Statement::bindNull(int index) {
  check(sqlite3_bind_null(stmt_, index));
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_->fail(rc);
}

void Statement::run() {
  while (step()) {
  }
}

bool Statement::columnIsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

int64_t Statement::columnInt64(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

double Statement::columnDouble(int column) const {
  return sqlite3_column_double(stmt_, column);
}

std::string Statement::columnText(int column) const {
  const auto* text = sqlite3_column_text(stmt_, column);  // before _bytes, as the docs require
  if (text == nullptr) return {};
  const int size = sqlite3_column_bytes(stmt_, column);
  return std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(size));
}

void Statement::reset() {
  // sqlite3_reset repeats the last step's error, which step() has already thrown.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

// ---------------------------------------------------------------- Transaction

Transaction::Transaction(Database& db) : db_(db) {
  db_.exec("BEGIN IMMEDIATE");
  open_ = true;
}

Transaction::~Transaction() {
  if (!open_) return;
  try {
    db_.exec("ROLLBACK");
  } catch (const Error&) {
    // Some errors (disk full, I/O) roll the transaction back themselves.
  }
}

void Transaction::commit() {
  db_.exec("COMMIT");
  open_ = false;
}

}  // namespace kvr::store
