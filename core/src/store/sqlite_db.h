#pragma once
// The one small RAII wrapper over the SQLite C API. Nothing else in kvrecycle
// includes sqlite3.h: the run store talks to SQLite only through these types.
// Every failure throws DbError (a kvr::Error) whose message names the database
// file and carries sqlite3_errmsg.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "kvrecycle/error.h"

struct sqlite3;
struct sqlite3_stmt;

namespace kvr::store {

class DbError : public Error {
 public:
  // message: "FILE: sqlite message"; code: extended SQLite result code.
  DbError(const std::string& message, int code, std::string detail);
  int code() const { return code_; }
  const std::string& detail() const { return detail_; }  // sqlite3_errmsg text alone

  bool notADatabase() const;         // the file is not a SQLite database
  bool foreignKeyViolation() const;  // a FOREIGN KEY constraint failed
  bool uniqueViolation() const;      // a PRIMARY KEY or UNIQUE constraint failed
  bool busy() const;                 // another connection holds a lock SQLite would not wait for

 private:
  int code_;
  std::string detail_;
};

enum class OpenMode {
  ReadOnly,         // an existing file; every write fails
  ReadWrite,        // an existing file
  ReadWriteCreate,  // creates the file when missing
};

class Database;

// A prepared statement. Indexes count from 1 for bind* (as in SQL "?1") and
// from 0 for column* (as in the C API).
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  void bindInt64(int index, int64_t value);
  void bindDouble(int index, double value);  // SQLite stores NaN as NULL
  void bindText(int index, const std::string& value);
  void bindNull(int index);

  // Runs one step: true when a row is available, false when done.
  bool step();
  // Steps to completion, for statements that return no rows.
  void run();

  bool columnIsNull(int column) const;
  int64_t columnInt64(int column) const;
  double columnDouble(int column) const;
  std::string columnText(int column) const;  // "" for NULL

  // Makes the statement runnable again and clears its bindings.
  void reset();

 private:
  friend class Database;
  Statement(const Database* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  void check(int rc) const;

  const Database* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

class Database {
 public:
  Database(std::filesystem::path path, OpenMode mode);
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  const std::filesystem::path& path() const { return path_; }

  // Runs one or more statements, discarding any rows.
  void exec(const std::string& sql);
  Statement prepare(const std::string& sql) const;

  void setBusyTimeout(std::chrono::milliseconds timeout);
  int64_t lastInsertRowId() const;
  int changes() const;  // rows changed by the last INSERT, UPDATE or DELETE

  // Throws DbError for result code `rc` with the connection's current message.
  [[noreturn]] void fail(int rc) const;

 private:
  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
};

// BEGIN IMMEDIATE on construction (takes the write lock at once, waiting up to
// the busy timeout), ROLLBACK on destruction unless commit() succeeded.
class Transaction {
 public:
  explicit Transaction(Database& db);
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  void commit();

 private:
  Database& db_;
  bool open_ = false;
};

}  // namespace kvr::store
