#pragma once
// One descriptor per stored quantity of a PromptResult: its one name (the
// database column, the export column and the JSON key), its SQL type, the
// schema version that added it, and how to get and set it. The run store
// builds its schema, reads and writes from this table, the exports their
// columns; core/SCHEMA.md documents the same names.
#include <functional>
#include <string>
#include <vector>

#include "kvrecycle/results.h"
#include "kvrecycle/table_writer.h"

namespace kvr {

enum class ColumnKind { Integer, Real, Text, Flag, IdList };

struct ResultColumn {
  std::string name;
  ColumnKind kind = ColumnKind::Real;
  int sinceVersion = 1;     // schema version that added the column
  std::string legacyName;   // its name before schema 3 ("" when unchanged)
  std::string description;  // for SCHEMA.md and tooltips
  std::function<TableCell(const PromptResult&)> get;
  std::function<void(PromptResult&, const TableCell&)> set;

  // "REAL", "INTEGER NOT NULL DEFAULT 0", ... as the column is declared.
  std::string sqlDeclaration() const;
  // An SQL literal standing in for the column in a file older than sinceVersion.
  std::string sqlDefault() const;
};

// In export order: identity, reuse, timings, noise, exactness, outputs.
const std::vector<ResultColumn>& resultColumns();
const ResultColumn& resultColumn(const std::string& name);  // throws kvr::Error when unknown

}  // namespace kvr
