// The run store: runs, their prompt results and the cache-entry registry in one
// SQLite file. The schema itself is in store/run_schema.cpp (core/SCHEMA.md).
#include "kvrecycle/run_store.h"

#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <system_error>
#include <thread>
#include <utility>

#include "io/process_liveness.h"
#include "kvrecycle/error.h"
#include "kvrecycle/eviction_summary.h"
#include "kvrecycle/timestamps.h"
#include "store/result_columns.h"
#include "store/run_schema.h"
#include "store/sql_rows.h"
#include "store/sqlite_db.h"

namespace kvr {
namespace {

using io::ProcessIdentity;
using store::Binder;
using store::Database;
using store::DbError;
using store::Row;
using store::SchemaRefused;
using store::Statement;
using store::Transaction;

constexpr auto kBusyTimeout = std::chrono::seconds(5);

std::string toJson(const nlohmann::json& value) {
  return value.dump();  // throws nlohmann::json::type_error for invalid UTF-8
}

}  // namespace

struct RunStore::Impl {
  std::filesystem::path path;
  bool readOnly = false;
  std::mutex mutex;
  ProcessIdentity self = io::currentProcess();
  std::optional<Database> db;
  const char* runColumns = store::runColumns(kSchemaVersion);
  int fileVersion = kSchemaVersion;
  std::string resultSelect = store::resultSelectList(kSchemaVersion);

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

  // Schema checks and migrations name the file they refuse.
  template <typename F>
  auto schemaStep(F&& step) -> decltype(step()) {
    try {
      return step();
    } catch (const SchemaRefused& e) {
      fail(e.what());
    }
  }

  std::string interruptedReason(int64_t pid) const {
    return "the process (pid " + std::to_string(pid) + " on " + self.hostname +
           ") ended before the run finished";
  }

  // What a run that never finished measured: its stored results, summarised.
  std::string summaryFromResults(const RunRecord& run) const {
    if (run.kind == RunKind::Eviction) {
      return evictionSummaryJson(summarizeEviction(readEvictionResults(run.id)));
    }
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

  std::vector<EvictionResultRow> readEvictionResults(int64_t runId) const {
    if (fileVersion < 4) return {};
    Statement s = db->prepare(std::string("SELECT ") + store::kEvictionColumns +
                              " FROM eviction_results WHERE run_id = ?1 "
                              "ORDER BY prompt_index, method, budget");
    s.bindInt64(1, runId);
    std::vector<EvictionResultRow> rows;
    while (s.step()) rows.push_back(readEvictionResult(s, runId));
    return rows;
  }

  EvictionResultRow readEvictionResult(const Statement& s, int64_t runId) const {
    Row row(s);
    EvictionResultRow r;
    r.promptIndex = row.i32();
    r.promptId = row.text();
    const std::string method = row.text();
    const std::optional<EvictionMethod> parsed = parseEvictionMethod(method);
    if (!parsed) {
      fail("run " + std::to_string(runId) + ", prompt " + std::to_string(r.promptIndex) +
           ": unknown eviction method '" + method + "'");
    }
    r.method = *parsed;
    r.budget = row.i32();
    r.promptTokens = row.i32();
    r.newTokens = row.i32();
    EvictionFidelity& f = r.fidelity;
    f.footprint = row.i64();
    f.footprintRatio = row.f64();
    f.peakEntries = row.i64();
    f.peakBytes = row.i64();
    f.tokenAgreement = row.f64();
    if (row.isNull()) {
      row.skip();  // no divergence
      f.firstDivergence = -1;
    } else {
      f.firstDivergence = row.i32();
    }
    f.meanLogitDiff = row.f64();
    f.maxLogitDiff = row.f64();
    f.nll = row.f64();
    f.nllDelta = row.f64();
    return r;
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
      if (io::processIsGone(self, pid, select.columnText(2), start)) {
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

    const int version = schemaStep([&] { return store::checkSchema(*db); });
    if (readOnly) {
      if (version == 0) fail("not a kvrecycle database: the file is empty");
      runColumns = store::runColumns(version);
      fileVersion = version;
      resultSelect = store::resultSelectList(version);
      return;
    }
    {
      Statement wal = db->prepare("PRAGMA journal_mode = WAL");
      wal.step();
    }
    db->exec("PRAGMA synchronous = NORMAL");

    // Checked again under the write lock: another process may have created the schema.
    Transaction transaction(*db);
    const int locked = schemaStep([&] { return store::checkSchema(*db); });
    if (locked == 0) {
      store::createSchema(*db);
    } else if (locked < kSchemaVersion) {
      schemaStep([&] { store::migrateSchema(*db, locked); });
    }
    markInterruptedRuns();
    transaction.commit();
  }

  // Inserts one result row of run `runId`, naming what is wrong with it.
  void insertResultRow(Statement& s, int64_t runId, const std::string& where) {
    try {
      s.run();
    } catch (const DbError& e) {
      if (e.foreignKeyViolation()) fail("run " + std::to_string(runId) + " does not exist");
      if (e.uniqueViolation()) fail(where + " is already stored");
      throw;
    }
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
    const int64_t start = row.isNull() ? -1 : row.i64();
    const std::string kind = row.text();
    const std::string where = "run " + std::to_string(run.id) + ": ";
    try {
      run.status = parseRunStatus(status);
      run.kind = parseRunKind(kind);
    } catch (const Error& e) {
      fail(where + e.what());
    }
    // A read-only open cannot mark it, but must not show a dead run as running.
    if (run.status == RunStatus::Running && host == self.hostname &&
        io::processIsGone(self, pid, boot, start)) {
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
  impl_->guarded("cannot open the database", [&] {
    // Two processes opening a new database race for its switch to WAL, which
    // SQLite can report as busy without waiting; the loser tries again (~5 s at most).
    constexpr int kAttempts = 100;
    for (int attempt = 1;; ++attempt) {
      try {
        impl_->open();
        return;
      } catch (const DbError& e) {
        if (!e.busy() || attempt == kAttempts) throw;
        impl_->db.reset();
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
  });
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
        "hostname, boot_id, process_start, planned_prompts, kind) VALUES (" +
        store::placeholders(19) + ")");
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
    b.i64(run.plannedPrompts).text(runKindName(run.kind));
    s.run();
    return d.db->lastInsertRowId();
  });
}

void RunStore::addPromptResult(int64_t runId, const PromptResult& r) {
  Impl& d = *impl_;
  const std::string where = "run " + std::to_string(runId) + ", prompt " + std::to_string(r.index);
  d.guarded("cannot store the result of " + where, [&] {
    const auto& columns = resultColumns();
    Statement s = d.db->prepare("INSERT INTO prompt_results (run_id, " +
                                store::resultColumnNames() + ") VALUES (" +
                                store::placeholders(1 + static_cast<int>(columns.size())) + ")");
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
    d.insertResultRow(s, runId, where);
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

void RunStore::addEvictionResult(int64_t runId, const EvictionResultRow& r) {
  Impl& d = *impl_;
  const std::string where = "run " + std::to_string(runId) + ", prompt " +
                            std::to_string(r.promptIndex) + ", " + evictionMethodName(r.method) +
                            " at " + std::to_string(r.budget);
  d.guarded("cannot store the eviction result of " + where, [&] {
    Statement s = d.db->prepare(
        std::string("INSERT INTO eviction_results (run_id, ") + store::kEvictionColumns +
        ") VALUES (" + store::placeholders(1 + store::columnCount(store::kEvictionColumns)) + ")");
    const EvictionFidelity& f = r.fidelity;
    Binder b(s);
    b.i64(runId).i64(r.promptIndex).text(r.promptId).text(evictionMethodName(r.method));
    b.i64(r.budget).i64(r.promptTokens).i64(r.newTokens);
    b.i64(f.footprint).f64(f.footprintRatio).i64(f.peakEntries).i64(f.peakBytes);
    b.f64(f.tokenAgreement);
    if (f.firstDivergence >= 0) {
      b.i64(f.firstDivergence);
    } else {
      b.null();
    }
    b.f64(f.meanLogitDiff).f64(f.maxLogitDiff).f64(f.nll).f64(f.nllDelta);
    d.insertResultRow(s, runId, where);
  });
}

std::vector<EvictionResultRow> RunStore::evictionResults(int64_t runId) const {
  Impl& d = *impl_;
  return d.guarded("cannot read the eviction results of run " + std::to_string(runId),
                   [&] { return d.readEvictionResults(runId); });
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
        std::string("INSERT INTO cache_entries (") + store::kCacheColumns + ") VALUES (" +
        store::placeholders(store::columnCount(store::kCacheColumns)) +
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
                     Statement s = d.db->prepare(std::string("SELECT ") + store::kCacheColumns +
                                                 " FROM cache_entries WHERE entry_id = ?1");
                     s.bindText(1, entryId);
                     if (!s.step()) return std::nullopt;
                     return d.readCacheEntry(s);
                   });
}

std::vector<CacheEntryRecord> RunStore::cacheEntries(const std::string& modelFingerprint) const {
  Impl& d = *impl_;
  return d.guarded("cannot list cache entries", [&] {
    Statement s = d.db->prepare(std::string("SELECT ") + store::kCacheColumns +
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
