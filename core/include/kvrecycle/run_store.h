#pragma once
// The run store: experiment runs, their per-prompt results and the K/V cache
// entries, in one SQLite database. This class is the only owner of the schema
// (see core/SCHEMA.md); every view, export and the CLI read runs through it.
//
// Every method throws kvr::Error naming the database file on failure. One
// RunStore may be shared between threads (calls are serialized); several
// RunStores, in one process or several, may use the same file at once.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kvrecycle/eviction_settings.h"
#include "kvrecycle/results.h"

namespace kvr {

class RunStore {
 public:
  static constexpr int kSchemaVersion = 5;

  // Opens or creates the database (and its folder). WAL journal,
  // synchronous=NORMAL, foreign keys on, busy timeout 5 s. Creates the schema
  // on a new file; refuses a file whose schema version is newer than
  // kSchemaVersion and a file that is not a kvrecycle database. Marks runs left
  // 'running' by a process of this machine that no longer exists as
  // 'interrupted'. readOnly=true needs an existing database and writes nothing
  // (no schema creation, no interrupted marking); every write method throws.
  explicit RunStore(const std::filesystem::path& path, bool readOnly = false);
  ~RunStore();
  RunStore(const RunStore&) = delete;
  RunStore& operator=(const RunStore&) = delete;

  const std::filesystem::path& path() const;

  // Inserts a run with status running, created_at now, no finish time, summary
  // or error (those fields of `run` and its id are ignored); returns its id.
  // Run ids are never reused, even after deleteRun.
  int64_t createRun(const RunRecord& run);
  // Committed at once (own transaction). Throws when the run does not exist or
  // already has a result with this index.
  void addPromptResult(int64_t runId, const PromptResult& result);
  // Sets the final status (not Running), finished_at now, the summary and the error.
  void finishRun(int64_t runId, RunStatus status, const std::string& summaryJson,
                 const std::string& error = "");

  // One row of an eviction run (RunKind::Eviction), committed at once. Throws
  // when the run does not exist or already has this prompt x method x budget.
  void addEvictionResult(int64_t runId, const EvictionResultRow& row);
  // Ordered by prompt, method, budget; empty for a file older than schema 4.
  std::vector<EvictionResultRow> evictionResults(int64_t runId) const;

  std::vector<RunRecord> listRuns() const;  // newest first
  std::optional<RunRecord> findRun(int64_t id) const;
  std::vector<PromptResult> promptResults(int64_t runId) const;  // ordered by index

  // These throw "run N does not exist" for an unknown id.
  void renameRun(int64_t id, const std::string& name);
  void setNotes(int64_t id, const std::string& notes);
  void setTags(int64_t id, const std::vector<std::string>& tags);
  void deleteRun(int64_t id);  // removes its prompt results too

  // Inserts or replaces by entryId; an empty createdAt is stored as now.
  void upsertCacheEntry(const CacheEntryRecord& entry);
  std::optional<CacheEntryRecord> findCacheEntry(const std::string& entryId) const;
  // Entries of one model, oldest first.
  std::vector<CacheEntryRecord> cacheEntries(const std::string& modelFingerprint) const;
  void removeCacheEntry(const std::string& entryId);  // no-op for an unknown id

  // The result of PRAGMA integrity_check: "ok" when the file is sound.
  std::string integrityCheck() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kvr
