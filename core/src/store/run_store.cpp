// The run store: the only code that knows the database schema (core/SCHEMA.md).
#include "kvrecycle/run_store.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cmath>
#include <fstream>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <system_error>
#include <utility>

#include "io/process_liveness.h"
#include "kvrecycle/error.h"
#include "kvrecycle/timestamps.h"
#include "store/result_columns.h"
#include "store/sqlite_db.h"

namespace kvr {
namespace {

using store::Database;
using store::DbError;
using store::Statement;
using store::Transaction;

// PRAGMA application_id: "KVRC" in the SQLite header marks our files.
constexpr int kApplicationId = 0x4B565243;
constexpr auto kBusyTimeout = std::chrono::seconds(5);

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
  planned_prompts   INTEGER NOT NULL DEFAULT 0
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

const char* const kRunColumns =
    "id, name, notes, tags_json, created_at, finished_at, status, model_path, model_fingerprint, "
    "synthetic, config_json, machine_json, summary_json, error, planned_prompts, pid, hostname, "
    "boot_id, process_start";

// A read-only open cannot migrate: a version-1 file is read with the new
// column's default in its place.
const char* const kRunColumnsV1 =
    "id, name, notes, tags_json, created_at, finished_at, status, model_path, model_fingerprint, "
    "synthetic, config_json, machine_json, summary_json, error, 0, pid, hostname, boot_id, "
    "process_start";
const char* const kCacheColumns =
    "entry_id, model_fingerprint, path, token_ids_json, text, bytes, checksum, created_at";

std::string placeholders(int count) {
  std::string out;
  for (int i = 1; i <= count; ++i) out += (i > 1 ? ", ?" : "?") + std::to_string(i);
  return out;
}

int columnCount(const char* columns) {
  int n = 1;
  for (const char* p = columns; *p != '\0'; ++p) n += *p == ',' ? 1 : 0;
  return n;
}

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
    if (std::isnan(value)) {
      statement_.bindNull(next_++);
    } else {
      statement_.bindDouble(next_++, value);
    }
    return *this;
  }
  Binder& text(const std::string& value) {
    statement_.bindText(next_++, value);
    return *this;
  }
  // "" is stored as NULL, for columns where NULL means "not yet" or "none".
  Binder& textOrNull(const std::string& value) {
    if (value.empty()) {
      statement_.bindNull(next_++);
    } else {
      statement_.bindText(next_++, value);
    }
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
  double f64() {
    const int column = next_++;
    return statement_.columnIsNull(column) ? std::numeric_limits<double>::quiet_NaN()
                                           : statement_.columnDouble(column);
  }
  std::string text() { return statement_.columnText(next_++); }

 private:
  const Statement& statement_;
  int next_ = 0;
};

// ------------------------------------------------------------ the running process

std::string hostName() {
  char buffer[HOST_NAME_MAX + 1] = {};
  if (::gethostname(buffer, sizeof buffer - 1) != 0) return "";
  return buffer;
}

std::string bootId() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(in, id);
  return id;
}

// Start time of a process in clock ticks since boot (field 22 of /proc/PID/stat),
// or -1 when unknown. With the boot id it tells a reused pid from the original.
int64_t processStartTicks(int64_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return -1;
  const size_t paren = stat.rfind(')');  // the command name may hold spaces and ')'
  if (paren == std::string::npos) return -1;
  std::istringstream fields(stat.substr(paren + 1));
  std::string field;
  for (int i = 3; i <= 22; ++i) {
    if (!(fields >> field)) return -1;
  }
  try {
    return std::stoll(field);
  } catch (const std::exception&) {
    return -1;
  }
}

struct ProcessIdentity {
  int64_t pid = 0;
  std::string hostname;
  std::string bootId;
  int64_t startTicks = -1;
};

ProcessIdentity currentProcess() {
  ProcessIdentity self;
  self.pid = ::getpid();
  self.hostname = hostName();
  self.bootId = bootId();
  self.startTicks = processStartTicks(self.pid);
  return self;
}

// Whether the process that recorded (pid, bootId, startTicks) on this host is gone.
bool processIsGone(const ProcessIdentity& self, int64_t pid, const std::string& recordedBoot,
                   int64_t recordedStart) {
  if (!recordedBoot.empty() && !self.bootId.empty() && recordedBoot != self.bootId) return true;
  if (!io::processExists(pid)) return true;
  // The pid exists: it is still the recording process unless it started at another time.
  if (recordedStart >= 0) {
    const int64_t start = processStartTicks(pid);
    if (start >= 0 && start != recordedStart) return true;
  }
  return false;
}

// ------------------------------------------------------------ JSON columns

std::string toJson(const nlohmann::json& value) {
  return value.dump();  // throws nlohmann::json::type_error for invalid UTF-8
}

}  // namespace

struct RunStore::Impl {
  std::filesystem::path path;
  bool readOnly = false;
  std::mutex mutex;
  ProcessIdentity self = currentProcess();
  std::optional<Database> db;
  const char* runColumns = kRunColumns;
  std::string resultSelect = resultSelectList(kSchemaVersion);

  [[noreturn]] void fail(const std::string& message) const {
    throw Error(path.string() + ": " + message);
  }

  // Runs `body` under the lock; database failures become "FILE: what: sqlite message".
  template <typename F>
  auto guarded(const std::string& what, F&& body) -> decltype(body()) {
    std::lock_guard<std::mutex> lock(mutex);
    try {
      return body();
    } catch (const DbError& e) {
      fail(what + ": " + e.detail());
    }
  }

  int pragmaInt(const char* name) {
    Statement s = db->prepare(std::string("PRAGMA ") + name);
    return s.step() ? static_cast<int>(s.columnInt64(0)) : 0;
  }

  int64_t objectCount() {
    Statement s = db->prepare("SELECT count(*) FROM sqlite_master");
    s.step();
    return s.columnInt64(0);
  }

  [[noreturn]] void newerVersion(int version) const {
    fail("database schema version " + std::to_string(version) +
         " is newer than this kvrecycle supports (" + std::to_string(kSchemaVersion) + ")");
  }

  // Accepts our files (any supported version) and an empty file; refuses the rest.
  // Returns the schema version, 0 for an empty file.
  int checkFile() {
    int applicationId = 0;
    int version = 0;
    try {
      applicationId = pragmaInt("application_id");
      version = pragmaInt("user_version");
    } catch (const DbError& e) {
      if (e.notADatabase()) fail("not a kvrecycle database: the file is not a SQLite database");
      throw;
    }
    if (applicationId == 0 && version == 0 && objectCount() == 0) return 0;
    if (applicationId != kApplicationId) {
      fail("not a kvrecycle database: a SQLite database of another application");
    }
    if (version > kSchemaVersion) newerVersion(version);
    if (version < 1) fail("not a kvrecycle database: schema version " + std::to_string(version));
    for (const char* table : {"runs", "prompt_results", "cache_entries"}) {
      Statement s = db->prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1");
      s.bindText(1, table);
      if (!s.step()) fail(std::string("not a kvrecycle database: table ") + table + " is missing");
    }
    return version;
  }

  void createSchema() {
    db->exec(kSchemaSql);
    db->exec(promptResultsSchemaSql());
    db->exec("PRAGMA application_id = " + std::to_string(kApplicationId));
    db->exec("PRAGMA user_version = " + std::to_string(kSchemaVersion));
  }

  // Schema migrations from older versions go here, one step per version.
  void migrate(int from) {
    if (from < 1) fail("no migration from schema version " + std::to_string(from));
    if (from < 2) {  // 2: spreads and noise per prompt, planned prompts per run
      db->exec("ALTER TABLE runs ADD COLUMN planned_prompts INTEGER NOT NULL DEFAULT 0");
      for (const ResultColumn& c : resultColumns()) {
        if (c.sinceVersion == 2) {
          db->exec("ALTER TABLE prompt_results ADD COLUMN " + c.name + " " + c.sqlDeclaration());
        }
      }
    }
    if (from < 3) {  // 3: one name per quantity, the same as in every export
      for (const ResultColumn& c : resultColumns()) {
        if (!c.legacyName.empty()) {
          db->exec("ALTER TABLE prompt_results RENAME COLUMN " + c.legacyName + " TO " + c.name);
        }
      }
    }
    if (from < 4) {  // 4: conversations and the K/V store under a budget, per prompt
      for (const ResultColumn& c : resultColumns()) {
        if (c.sinceVersion == 4) {
          db->exec("ALTER TABLE prompt_results ADD COLUMN " + c.name + " " + c.sqlDeclaration());
        }
      }
    }
    db->exec("PRAGMA user_version = " + std::to_string(kSchemaVersion));
  }

  std::string interruptedReason(int64_t pid) const {
    return "the process (pid " + std::to_string(pid) + " on " + self.hostname +
           ") ended before the run finished";
  }

  // What a run that never finished measured: its stored results, summarised.
  std::string summaryFromResults(const RunRecord& run) const {
    RunSummary summary = summarizeResults(readResults(run.id));
    summary.plannedPrompts = run.plannedPrompts;
    return summaryToJson(summary);
  }

  std::vector<PromptResult> readResults(int64_t runId) const {
    Statement s = db->prepare("SELECT " + resultSelect +
                              " FROM prompt_results WHERE run_id = ?1 ORDER BY prompt_index");
    s.bindInt64(1, runId);
    std::vector<PromptResult> results;
    while (s.step()) results.push_back(readResult(s, runId));
    return results;
  }

  void markInterruptedRuns() {
    Statement select = db->prepare(
        "SELECT id, pid, boot_id, process_start FROM runs "
        "WHERE status = 'running' AND hostname = ?1");
    select.bindText(1, self.hostname);
    std::vector<std::pair<int64_t, int64_t>> gone;  // run id, pid
    while (select.step()) {
      const int64_t pid = select.columnInt64(1);
      const int64_t start = select.columnIsNull(3) ? -1 : select.columnInt64(3);
      if (processIsGone(self, pid, select.columnText(2), start)) {
        gone.emplace_back(select.columnInt64(0), pid);
      }
    }
    if (gone.empty()) return;
    Statement update = db->prepare(
        "UPDATE runs SET status = 'interrupted', finished_at = ?1, error = coalesce(error, ?2) "
        "WHERE id = ?3 AND status = 'running'");
    const std::string now = utcNowIso8601();
    for (const auto& [id, pid] : gone) {
      Binder(update).text(now).text(interruptedReason(pid)).i64(id);
      update.run();
      update.reset();
    }
  }

  void open() {
    std::error_code ec;
    if (readOnly) {
      if (!std::filesystem::exists(path, ec)) fail("no such database");
    } else if (path.has_parent_path() && !std::filesystem::exists(path.parent_path(), ec)) {
      std::filesystem::create_directories(path.parent_path(), ec);
      if (ec) fail("cannot create the folder: " + ec.message());
    }
    try {
      db.emplace(path, readOnly ? store::OpenMode::ReadOnly : store::OpenMode::ReadWriteCreate);
    } catch (const DbError& e) {
      fail("cannot open the database: " + e.detail());
    }
    db->setBusyTimeout(kBusyTimeout);
    db->exec("PRAGMA foreign_keys = ON");

    const int version = checkFile();
    if (readOnly) {
      if (version == 0) fail("not a kvrecycle database: the file is empty");
      if (version < 2) runColumns = kRunColumnsV1;
      resultSelect = resultSelectList(version);
      return;
    }
    {
      Statement wal = db->prepare("PRAGMA journal_mode = WAL");
      wal.step();
    }
    db->exec("PRAGMA synchronous = NORMAL");

    // Checked again under the write lock: another process may have created the schema.
    Transaction transaction(*db);
    const int locked = checkFile();
    if (locked == 0) {
      createSchema();
    } else if (locked < kSchemaVersion) {
      migrate(locked);
    }
    markInterruptedRuns();
    transaction.commit();
  }

  void requireRun(int64_t id) {
    if (db->changes() == 0) fail("run " + std::to_string(id) + " does not exist");
  }

  RunRecord readRun(const Statement& s) const {
    Row row(s);
    RunRecord run;
    run.id = row.i64();
    run.name = row.text();
    run.notes = row.text();
    const std::string tags = row.text();
    run.createdAt = row.text();
    run.finishedAt = row.text();
    const std::string status = row.text();
    run.modelPath = row.text();
    run.modelFingerprint = row.text();
    run.synthetic = row.i64() != 0;
    run.configJson = row.text();
    run.machineJson = row.text();
    run.summaryJson = row.text();
    run.error = row.text();
    run.plannedPrompts = row.i32();
    const int64_t pid = row.i64();
    const std::string host = row.text();
    const std::string boot = row.text();
    const int64_t start = s.columnIsNull(18) ? -1 : row.i64();
    const std::string where = "run " + std::to_string(run.id) + ": ";
    try {
      run.status = parseRunStatus(status);
    } catch (const Error& e) {
      fail(where + e.what());
    }
    // A read-only open cannot mark it, but must not show a dead run as running.
    if (run.status == RunStatus::Running && host == self.hostname &&
        processIsGone(self, pid, boot, start)) {
      run.status = RunStatus::Interrupted;
      if (run.error.empty()) run.error = interruptedReason(pid);
    }
    if (run.summaryJson.empty()) run.summaryJson = summaryFromResults(run);
    try {
      run.tags = nlohmann::json::parse(tags).get<std::vector<std::string>>();
    } catch (const nlohmann::json::exception&) {
      fail(where + "tags_json is not a JSON array of strings");
    }
    return run;
  }

  std::vector<int> parseIds(const std::string& json, int64_t runId, int index,
                            const std::string& column) const {
    try {
      return nlohmann::json::parse(json).get<std::vector<int>>();
    } catch (const nlohmann::json::exception&) {
      fail("run " + std::to_string(runId) + ", prompt " + std::to_string(index) + ": " + column +
           " is not a JSON array of integers");
    }
  }

  PromptResult readResult(const Statement& s, int64_t runId) const {
    PromptResult r;
    int i = 0;
    for (const ResultColumn& c : resultColumns()) {
      const int column = i++;
      switch (c.kind) {
        case ColumnKind::Integer:
        case ColumnKind::Flag:
          c.set(r, TableCell(s.columnInt64(column)));
          break;
        case ColumnKind::Real:
          c.set(r, s.columnIsNull(column) ? TableCell() : TableCell(s.columnDouble(column)));
          break;
        case ColumnKind::Text:
          c.set(r, TableCell(s.columnText(column)));
          break;
        case ColumnKind::IdList:
          c.set(r, TableCell(parseIds(s.columnText(column), runId, r.index, c.name)));
          break;
      }
    }
    return r;
  }

  CacheEntryRecord readCacheEntry(const Statement& s) const {
    Row row(s);
    CacheEntryRecord e;
    e.entryId = row.text();
    e.modelFingerprint = row.text();
    e.path = row.text();
    const std::string ids = row.text();
    e.text = row.text();
    e.bytes = row.i64();
    e.checksum = row.text();
    e.createdAt = row.text();
    try {
      e.tokenIds = nlohmann::json::parse(ids).get<std::vector<int>>();
    } catch (const nlohmann::json::exception&) {
      fail("cache entry '" + e.entryId + "': token_ids_json is not a JSON array of integers");
    }
    return e;
  }

  void requireJson(const std::string& text, const char* what) const {
    if (!text.empty() && !nlohmann::json::accept(text)) fail(std::string(what) + " is not JSON");
  }

  std::string tagsJson(const std::vector<std::string>& tags) const {
    try {
      return toJson(tags);
    } catch (const nlohmann::json::exception&) {
      fail("a tag is not valid UTF-8");
    }
  }
};

RunStore::RunStore(const std::filesystem::path& path, bool readOnly)
    : impl_(std::make_unique<Impl>()) {
  impl_->path = path;
  impl_->readOnly = readOnly;
  impl_->guarded("cannot open the database", [&] { impl_->open(); });
}

RunStore::~RunStore() = default;

const std::filesystem::path& RunStore::path() const {
  return impl_->path;
}

int64_t RunStore::createRun(const RunRecord& run) {
  Impl& d = *impl_;
  d.requireJson(run.configJson, "the run configuration");
  d.requireJson(run.machineJson, "the machine description");
  const std::string tags = d.tagsJson(run.tags);
  return d.guarded("cannot create run '" + run.name + "'", [&] {
    Statement s = d.db->prepare(
        "INSERT INTO runs (name, notes, tags_json, created_at, finished_at, status, model_path, "
        "model_fingerprint, synthetic, config_json, machine_json, summary_json, error, pid, "
        "hostname, boot_id, process_start, planned_prompts) VALUES (" +
        placeholders(18) + ")");
    Binder b(s);
    b.text(run.name).text(run.notes).text(tags).text(utcNowIso8601()).null();
    b.text(runStatusName(RunStatus::Running)).text(run.modelPath).text(run.modelFingerprint);
    b.i64(run.synthetic ? 1 : 0).text(run.configJson).text(run.machineJson).null().null();
    b.i64(d.self.pid).text(d.self.hostname).text(d.self.bootId);
    if (d.self.startTicks >= 0) {
      b.i64(d.self.startTicks);
    } else {
      b.null();
    }
    b.i64(run.plannedPrompts);
    s.run();
    return d.db->lastInsertRowId();
  });
}

void RunStore::addPromptResult(int64_t runId, const PromptResult& r) {
  Impl& d = *impl_;
  const std::string where = "run " + std::to_string(runId) + ", prompt " + std::to_string(r.index);
  d.guarded("cannot store the result of " + where, [&] {
    const auto& columns = resultColumns();
    Statement s =
        d.db->prepare("INSERT INTO prompt_results (run_id, " + resultColumnNames() + ") VALUES (" +
                      placeholders(1 + static_cast<int>(columns.size())) + ")");
    Binder b(s);
    b.i64(runId);
    for (const ResultColumn& c : columns) {
      const TableCell cell = c.get(r);
      if (const auto* i = std::get_if<int64_t>(&cell)) {
        b.i64(*i);
      } else if (const auto* v = std::get_if<double>(&cell)) {
        b.f64(*v);
      } else if (const auto* text = std::get_if<std::string>(&cell)) {
        b.text(*text);
      } else if (const auto* ids = std::get_if<std::vector<int>>(&cell)) {
        b.text(toJson(*ids));
      } else {
        b.null();
      }
    }
    try {
      s.run();
    } catch (const DbError& e) {
      if (e.foreignKeyViolation()) d.fail("run " + std::to_string(runId) + " does not exist");
      if (e.uniqueViolation()) d.fail(where + " is already stored");
      throw;
    }
  });
}

void RunStore::finishRun(int64_t runId, RunStatus status, const std::string& summaryJson,
                         const std::string& error) {
  Impl& d = *impl_;
  if (status == RunStatus::Running) {
    d.fail("run " + std::to_string(runId) + ": a finished run needs a final status, not running");
  }
  d.requireJson(summaryJson, "the run summary");
  d.guarded("cannot finish run " + std::to_string(runId), [&] {
    Statement s = d.db->prepare(
        "UPDATE runs SET status = ?1, finished_at = ?2, summary_json = ?3, error = ?4 "
        "WHERE id = ?5");
    Binder(s)
        .text(runStatusName(status))
        .text(utcNowIso8601())
        .textOrNull(summaryJson)
        .textOrNull(error)
        .i64(runId);
    s.run();
    d.requireRun(runId);
  });
}

std::vector<RunRecord> RunStore::listRuns() const {
  Impl& d = *impl_;
  return d.guarded("cannot list runs", [&] {
    Statement s =
        d.db->prepare(std::string("SELECT ") + d.runColumns + " FROM runs ORDER BY id DESC");
    std::vector<RunRecord> runs;
    while (s.step()) runs.push_back(d.readRun(s));
    return runs;
  });
}

std::optional<RunRecord> RunStore::findRun(int64_t id) const {
  Impl& d = *impl_;
  return d.guarded("cannot read run " + std::to_string(id), [&]() -> std::optional<RunRecord> {
    Statement s = d.db->prepare(std::string("SELECT ") + d.runColumns + " FROM runs WHERE id = ?1");
    s.bindInt64(1, id);
    if (!s.step()) return std::nullopt;
    return d.readRun(s);
  });
}

std::vector<PromptResult> RunStore::promptResults(int64_t runId) const {
  Impl& d = *impl_;
  return d.guarded("cannot read the results of run " + std::to_string(runId),
                   [&] { return d.readResults(runId); });
}

void RunStore::renameRun(int64_t id, const std::string& name) {
  Impl& d = *impl_;
  d.guarded("cannot rename run " + std::to_string(id), [&] {
    Statement s = d.db->prepare("UPDATE runs SET name = ?1 WHERE id = ?2");
    Binder(s).text(name).i64(id);
    s.run();
    d.requireRun(id);
  });
}

void RunStore::setNotes(int64_t id, const std::string& notes) {
  Impl& d = *impl_;
  d.guarded("cannot set the notes of run " + std::to_string(id), [&] {
    Statement s = d.db->prepare("UPDATE runs SET notes = ?1 WHERE id = ?2");
    Binder(s).text(notes).i64(id);
    s.run();
    d.requireRun(id);
  });
}

void RunStore::setTags(int64_t id, const std::vector<std::string>& tags) {
  Impl& d = *impl_;
  const std::string json = d.tagsJson(tags);
  d.guarded("cannot set the tags of run " + std::to_string(id), [&] {
    Statement s = d.db->prepare("UPDATE runs SET tags_json = ?1 WHERE id = ?2");
    Binder(s).text(json).i64(id);
    s.run();
    d.requireRun(id);
  });
}

void RunStore::deleteRun(int64_t id) {
  Impl& d = *impl_;
  d.guarded("cannot delete run " + std::to_string(id), [&] {
    Statement s = d.db->prepare("DELETE FROM runs WHERE id = ?1");
    s.bindInt64(1, id);
    s.run();
    d.requireRun(id);
  });
}

void RunStore::upsertCacheEntry(const CacheEntryRecord& entry) {
  Impl& d = *impl_;
  d.guarded("cannot store cache entry '" + entry.entryId + "'", [&] {
    Statement s = d.db->prepare(
        std::string("INSERT INTO cache_entries (") + kCacheColumns + ") VALUES (" +
        placeholders(columnCount(kCacheColumns)) +
        ") ON CONFLICT (entry_id) DO UPDATE SET model_fingerprint = excluded.model_fingerprint, "
        "path = excluded.path, token_ids_json = excluded.token_ids_json, text = excluded.text, "
        "bytes = excluded.bytes, checksum = excluded.checksum, created_at = excluded.created_at");
    Binder(s)
        .text(entry.entryId)
        .text(entry.modelFingerprint)
        .text(entry.path)
        .text(toJson(entry.tokenIds))
        .text(entry.text)
        .i64(entry.bytes)
        .text(entry.checksum)
        .text(entry.createdAt.empty() ? utcNowIso8601() : entry.createdAt);
    s.run();
  });
}

std::optional<CacheEntryRecord> RunStore::findCacheEntry(const std::string& entryId) const {
  Impl& d = *impl_;
  return d.guarded("cannot read cache entry '" + entryId + "'",
                   [&]() -> std::optional<CacheEntryRecord> {
                     Statement s = d.db->prepare(std::string("SELECT ") + kCacheColumns +
                                                 " FROM cache_entries WHERE entry_id = ?1");
                     s.bindText(1, entryId);
                     if (!s.step()) return std::nullopt;
                     return d.readCacheEntry(s);
                   });
}

std::vector<CacheEntryRecord> RunStore::cacheEntries(const std::string& modelFingerprint) const {
  Impl& d = *impl_;
  return d.guarded("cannot list cache entries", [&] {
    Statement s = d.db->prepare(std::string("SELECT ") + kCacheColumns +
                                " FROM cache_entries WHERE model_fingerprint = ?1 "
                                "ORDER BY created_at, entry_id");
    s.bindText(1, modelFingerprint);
    std::vector<CacheEntryRecord> entries;
    while (s.step()) entries.push_back(d.readCacheEntry(s));
    return entries;
  });
}

void RunStore::removeCacheEntry(const std::string& entryId) {
  Impl& d = *impl_;
  d.guarded("cannot remove cache entry '" + entryId + "'", [&] {
    Statement s = d.db->prepare("DELETE FROM cache_entries WHERE entry_id = ?1");
    s.bindText(1, entryId);
    s.run();
  });
}

std::string RunStore::integrityCheck() const {
  Impl& d = *impl_;
  return d.guarded("cannot check integrity", [&] {
    Statement s = d.db->prepare("PRAGMA integrity_check");
    std::string out;
    while (s.step()) {
      if (!out.empty()) out += '\n';
      out += s.columnText(0);
    }
    return out;
  });
}

}  // namespace kvr
