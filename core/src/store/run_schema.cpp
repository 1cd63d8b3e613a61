#include "store/run_schema.h"

#include <vector>

#include "kvrecycle/run_store.h"
#include "store/result_columns.h"

namespace kvr::store {
namespace {

// PRAGMA application_id: "KVRC" in the SQLite header marks our files.
constexpr int kApplicationId = 0x4B565243;

const char* const kSchemaSql = R"sql(
CREATE TABLE runs (
  id                INTEGER PRIMARY KEY AUTOINCREMENT,
  name              TEXT    NOT NULL,
  notes             TEXT    NOT NULL DEFAULT '',
  tags_json         TEXT    NOT NULL DEFAULT '[]',
  created_at        TEXT    NOT NULL,
  finished_at       TEXT,
  status            TEXT    NOT NULL
                    CHECK (status IN ('running', 'completed', 'cancelled', 'failed', 'interrupted')),
  model_path        TEXT    NOT NULL,
  model_fingerprint TEXT    NOT NULL,
  synthetic         INTEGER NOT NULL CHECK (synthetic IN (0, 1)),
  config_json       TEXT    NOT NULL,
  machine_json      TEXT    NOT NULL,
  summary_json      TEXT,
  error             TEXT,
  pid               INTEGER NOT NULL,
  hostname          TEXT    NOT NULL,
  boot_id           TEXT    NOT NULL DEFAULT '',
  process_start     INTEGER,
  planned_prompts   INTEGER NOT NULL DEFAULT 0,
  kind              TEXT    NOT NULL DEFAULT 'recycling' CHECK (kind IN ('recycling', 'eviction'))
);
CREATE INDEX runs_by_status ON runs (status);


CREATE TABLE cache_entries (
  entry_id          TEXT    PRIMARY KEY NOT NULL,
  model_fingerprint TEXT    NOT NULL,
  path              TEXT    NOT NULL,
  token_ids_json    TEXT    NOT NULL,
  text              TEXT    NOT NULL,
  bytes             INTEGER NOT NULL,
  checksum          TEXT    NOT NULL,
  created_at        TEXT    NOT NULL
);
CREATE INDEX cache_entries_by_model ON cache_entries (model_fingerprint, created_at);
)sql";

// Since version 4: one row per prompt x method x budget of an eviction run.
const char* const kEvictionResultsSql = R"sql(
CREATE TABLE eviction_results (
  run_id            INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  prompt_index      INTEGER NOT NULL,
  prompt_id         TEXT    NOT NULL,
  method            TEXT    NOT NULL,
  budget            INTEGER NOT NULL,
  prompt_tokens     INTEGER NOT NULL,
  new_tokens        INTEGER NOT NULL,
  footprint         INTEGER NOT NULL,
  footprint_ratio   REAL,
  peak_entries      INTEGER NOT NULL,
  peak_bytes        INTEGER NOT NULL,
  token_agreement   REAL,
  first_divergence  INTEGER,
  mean_logit_diff   REAL,
  max_logit_diff    REAL,
  nll               REAL,
  nll_delta         REAL,
  PRIMARY KEY (run_id, prompt_index, method, budget)
);
)sql";

}  // namespace

const char* const kRunColumns =
    "id, name, notes, tags_json, created_at, finished_at, status, model_path, model_fingerprint, "
    "synthetic, config_json, machine_json, summary_json, error, planned_prompts, pid, hostname, "
    "boot_id, process_start, kind";

// A read-only open cannot migrate: a version-1 file is read with the new
// column's default in its place.
const char* const kRunColumnsV1 =
    "id, name, notes, tags_json, created_at, finished_at, status, model_path, model_fingerprint, "
    "synthetic, config_json, machine_json, summary_json, error, 0, pid, hostname, boot_id, "
    "process_start, 'recycling'";
const char* const kRunColumnsV2 =
    "id, name, notes, tags_json, created_at, finished_at, status, model_path, model_fingerprint, "
    "synthetic, config_json, machine_json, summary_json, error, planned_prompts, pid, hostname, "
    "boot_id, process_start, 'recycling'";
const char* const kEvictionColumns =
    "prompt_index, prompt_id, method, budget, prompt_tokens, new_tokens, footprint, "
    "footprint_ratio, peak_entries, peak_bytes, token_agreement, first_divergence, "
    "mean_logit_diff, max_logit_diff, nll, nll_delta";
const char* const kCacheColumns =
    "entry_id, model_fingerprint, path, token_ids_json, text, bytes, checksum, created_at";

namespace {

// prompt_results, declared from the one column map (store/result_columns.h).
std::string promptResultsSchemaSql() {
  std::string sql =
      "CREATE TABLE prompt_results (\n"
      "  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,\n";
  for (const ResultColumn& c : resultColumns()) {
    sql += "  " + c.name + " " + c.sqlDeclaration() + ",\n";
  }
  return sql + "  PRIMARY KEY (run_id, prompt_index)\n);\n";
}

int pragmaInt(Database& db, const char* name) {
  Statement s = db.prepare(std::string("PRAGMA ") + name);
  return s.step() ? static_cast<int>(s.columnInt64(0)) : 0;
}

int64_t objectCount(Database& db) {
  Statement s = db.prepare("SELECT count(*) FROM sqlite_master");
  s.step();
  return s.columnInt64(0);
}

}  // namespace

// The columns as a file of `version` has them, under today's names.
std::string resultSelectList(int version) {
  std::string list;
  for (const ResultColumn& c : resultColumns()) {
    if (!list.empty()) list += ", ";
    if (version < c.sinceVersion) {
      list += c.sqlDefault() + " AS " + c.name;
    } else if (version < 3 && !c.legacyName.empty()) {
      list += c.legacyName + " AS " + c.name;
    } else {
      list += c.name;
    }
  }
  return list;
}

std::string resultColumnNames() {
  std::string list;
  for (const ResultColumn& c : resultColumns()) list += (list.empty() ? "" : ", ") + c.name;
  return list;
}

int checkSchema(Database& db) {
  int applicationId = 0;
  int version = 0;
  try {
    applicationId = pragmaInt(db, "application_id");
    version = pragmaInt(db, "user_version");
  } catch (const DbError& e) {
    if (e.notADatabase()) {
      throw SchemaRefused("not a kvrecycle database: the file is not a SQLite database");
    }
    throw;
  }
  if (applicationId == 0 && version == 0 && objectCount(db) == 0) return 0;
  if (applicationId != kApplicationId) {
    throw SchemaRefused("not a kvrecycle database: a SQLite database of another application");
  }
  if (version > RunStore::kSchemaVersion) {
    throw SchemaRefused("database schema version " + std::to_string(version) +
                        " is newer than this kvrecycle supports (" +
                        std::to_string(RunStore::kSchemaVersion) + ")");
  }
  if (version < 1) {
    throw SchemaRefused("not a kvrecycle database: schema version " + std::to_string(version));
  }
  std::vector<const char*> tables{"runs", "prompt_results", "cache_entries"};
  if (version >= 4) tables.push_back("eviction_results");
  for (const char* table : tables) {
    Statement s = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1");
    s.bindText(1, table);
    if (!s.step()) {
      throw SchemaRefused(std::string("not a kvrecycle database: table ") + table + " is missing");
    }
  }
  return version;
}

void createSchema(Database& db) {
  db.exec(kSchemaSql);
  db.exec(promptResultsSchemaSql());
  db.exec(kEvictionResultsSql);
  db.exec("PRAGMA application_id = " + std::to_string(kApplicationId));
  db.exec("PRAGMA user_version = " + std::to_string(RunStore::kSchemaVersion));
}

void migrateSchema(Database& db, int from) {
  if (from < 1) throw SchemaRefused("no migration from schema version " + std::to_string(from));
  if (from < 2) {  // 2: spreads and noise per prompt, planned prompts per run
    db.exec("ALTER TABLE runs ADD COLUMN planned_prompts INTEGER NOT NULL DEFAULT 0");
    for (const ResultColumn& c : resultColumns()) {
      if (c.sinceVersion == 2) {
        db.exec("ALTER TABLE prompt_results ADD COLUMN " + c.name + " " + c.sqlDeclaration());
      }
    }
  }
  if (from < 3) {  // 3: one name per quantity, the same as in every export
    for (const ResultColumn& c : resultColumns()) {
      if (!c.legacyName.empty()) {
        db.exec("ALTER TABLE prompt_results RENAME COLUMN " + c.legacyName + " TO " + c.name);
      }
    }
  }
  if (from < 4) {  // 4: eviction runs; conversations and the K/V store under a budget
    db.exec(
        "ALTER TABLE runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'recycling' "
        "CHECK (kind IN ('recycling', 'eviction'))");
    db.exec(kEvictionResultsSql);
    for (const ResultColumn& c : resultColumns()) {
      if (c.sinceVersion == 4) {
        db.exec("ALTER TABLE prompt_results ADD COLUMN " + c.name + " " + c.sqlDeclaration());
      }
    }
  }
  if (from < 5) {  // 5: the cost model's prediction and decision per prompt
    for (const ResultColumn& c : resultColumns()) {
      if (c.sinceVersion == 5) {
        db.exec("ALTER TABLE prompt_results ADD COLUMN " + c.name + " " + c.sqlDeclaration());
      }
    }
  }
  db.exec("PRAGMA user_version = " + std::to_string(RunStore::kSchemaVersion));
}

const char* runColumns(int version) {
  if (version < 2) return kRunColumnsV1;
  if (version < 4) return kRunColumnsV2;
  return kRunColumns;
}

}  // namespace kvr::store
