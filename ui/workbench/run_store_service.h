#pragma once
// The run database as every view sees it: the one place in ui/ that opens
// the run store. Each call opens the database for that call only (read-only
// for reads), so views never hold a connection while the worker thread writes
// runs through its own. Every write is followed by runsChanged, which the views
// that list runs follow. Calls throw kvr::Error naming the file, as RunStore does.
#include <QList>
#include <QObject>
#include <QString>
#include <QStringList>
#include <optional>
#include <vector>

#include "kvrecycle/results.h"
#include "kvrecycle/run_merge.h"
#include "kvrecycle/sweep_status.h"
#include "workbench/run_comparison.h"

namespace kvr::ui {

class RunStoreService : public QObject {
  Q_OBJECT
 public:
  explicit RunStoreService(const QString& databasePath, QObject* parent = nullptr);

  QString databasePath() const { return path_; }
  // Switches to another database (created on the first run); emits databaseChanged and runsChanged.
  void setDatabasePath(const QString& path);
  // Where runs of this database keep their K/V files: runs.db -> runs-kv/ beside it.
  QString kvStoreDirectory() const;

  // Newest first; empty while the database file does not exist yet.
  std::vector<kvr::RunRecord> listRuns() const;
  // A run with its per-prompt results (an eviction run: its rows), read in one go; nullopt
  // when there is no such run.
  std::optional<ComparedRun> loadRun(qint64 id) const;
  // The runs of `ids` that exist, in that order.
  QList<ComparedRun> loadRuns(const QList<qint64>& ids) const;

  void renameRun(qint64 id, const QString& name);
  void setNotes(qint64 id, const QString& notes);
  void setTags(qint64 id, const QStringList& tags);
  void deleteRuns(const QList<qint64>& ids);

  // The sweeps with a run in the database, as `kvrecycle-cli sweep status`
  // sees them (Slurm is asked only about a submitted job); empty while the file does not exist.
  std::vector<kvr::SweepStatus> listSweeps() const;
  // Merges run databases (a sweep's shards) in, as `kvrecycle-cli merge` does:
  // merging one twice adds nothing. Refuses the database itself.
  kvr::MergeReport importShards(const QStringList& paths);

  // The worker thread writes runs through its own connection; it is told here when one ends.
  void announceRunsChanged() { emit runsChanged(); }

 signals:
  // After every write, also one that failed part-way (some runs of a batch may be gone).
  void runsChanged();
  void databaseChanged(const QString& path);

 private:
  template <typename Write>
  void write(Write&& write);

  QString path_;
};

}  // namespace kvr::ui
