#pragma once
// Positional binding and reading of SQL statements, for the run store's queries.
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "store/sqlite_db.h"

namespace kvr::store {

// "?1, ?2, ..., ?count"
inline std::string placeholders(int count) {
  std::string out;
  for (int i = 1; i <= count; ++i) out += (i > 1 ? ", ?" : "?") + std::to_string(i);
  return out;
}

// The number of names in a comma-separated column list.
inline int columnCount(const char* columns) {
  int n = 1;
  for (const char* p = columns; *p != '\0'; ++p) n += *p == ',' ? 1 : 0;
  return n;
}

// Binds parameters in order, from ?1.
class Binder {
 public:
  explicit Binder(Statement& statement) : statement_(statement) {}
  Binder& i64(int64_t value) {
    statement_.bindInt64(next_++, value);
    return *this;
  }
  // NaN is stored as NULL (as SQLite itself would), and read back as NaN.
  Binder& f64(double value) {
    if (std::isnan(value)) return null();
    statement_.bindDouble(next_++, value);
    return *this;
  }
  Binder& text(const std::string& value) {
    statement_.bindText(next_++, value);
    return *this;
  }
  // "" is stored as NULL, for columns where NULL means "not yet" or "none".
  Binder& textOrNull(const std::string& value) {
    if (value.empty()) return null();
    statement_.bindText(next_++, value);
    return *this;
  }
  Binder& null() {
    statement_.bindNull(next_++);
    return *this;
  }

 private:
  Statement& statement_;
  int next_ = 1;
};

// Reads columns in order, from 0.
class Row {
 public:
  explicit Row(const Statement& statement) : statement_(statement) {}
  int64_t i64() { return statement_.columnInt64(next_++); }
  int i32() { return static_cast<int>(statement_.columnInt64(next_++)); }
  std::string text() { return statement_.columnText(next_++); }
  double f64() {
    const int column = next_++;
    return statement_.columnIsNull(column) ? std::numeric_limits<double>::quiet_NaN()
                                           : statement_.columnDouble(column);
  }
  bool isNull() const { return statement_.columnIsNull(next_); }  // the next column
  void skip() { ++next_; }

 private:
  const Statement& statement_;
  int next_ = 0;
};

}  // namespace kvr::store
