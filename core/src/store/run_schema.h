#pragma once
// The run database's schema: its tables, the column lists the store reads,
// the check that a file is ours, and the migrations from older versions.
// The schema is documented in core/SCHEMA.md.
#include <string>

#include "kvrecycle/error.h"
#include "store/sqlite_db.h"

namespace kvr::store {

// A file the store refuses: not ours, or a version it cannot read.
class SchemaRefused : public Error {
 public:
  using Error::Error;
};

// runs columns in the order RunStore reads them, as a file of `version` has
// them: a read-only open cannot migrate, so columns added since are read as
// their defaults.
const char* runColumns(int version);
extern const char* const kCacheColumns;
extern const char* const kEvictionColumns;

// prompt_results columns (store/result_columns.h) as a file of `version` has
// them, under today's names.
std::string resultSelectList(int version);
std::string resultColumnNames();

// The schema version of the file, 0 for an empty one; throws SchemaRefused
// for a file that is not a kvrecycle database or is newer than this build.
int checkSchema(Database& db);
void createSchema(Database& db);
// Brings a file of schema version `from` to today's, one step per version.
void migrateSchema(Database& db, int from);

}  // namespace kvr::store
