#include "workbench/run_store_service.h"

#include <QDir>
#include <QFileInfo>

#include "kvrecycle/error.h"
#include "kvrecycle/paths.h"
#include "kvrecycle/run_store.h"

namespace kvr::ui {
namespace {

kvr::RunStore openForReading(const QString& path) {
  return kvr::RunStore(path.toStdString(), /*readOnly=*/true);
}

// A run with what it measured: per-prompt results, or an eviction run's rows.
ComparedRun readRun(const kvr::RunStore& store, kvr::RunRecord run) {
  const int64_t id = run.id;
  if (run.kind == kvr::RunKind::Eviction) {
    return ComparedRun{std::move(run), {}, store.evictionResults(id)};
  }
  return ComparedRun{std::move(run), store.promptResults(id)};
}

}  // namespace

RunStoreService::RunStoreService(const QString& databasePath, QObject* parent)
    : QObject(parent), path_(databasePath) {
  QDir().mkpath(QFileInfo(path_).absolutePath());
}

void RunStoreService::setDatabasePath(const QString& path) {
  path_ = path;
  QDir().mkpath(QFileInfo(path_).absolutePath());
  emit databaseChanged(path_);
  emit runsChanged();
}

QString RunStoreService::kvStoreDirectory() const {
  return QString::fromStdString(
      kvr::defaultKvStoreDirectory(QFileInfo(path_).absoluteFilePath().toStdString()).string());
}

std::vector<kvr::RunRecord> RunStoreService::listRuns() const {
  if (path_.isEmpty() || !QFileInfo::exists(path_)) return {};
  return openForReading(path_).listRuns();
}

std::optional<ComparedRun> RunStoreService::loadRun(qint64 id) const {
  const kvr::RunStore store = openForReading(path_);
  std::optional<kvr::RunRecord> run = store.findRun(id);
  if (!run) return std::nullopt;
  return readRun(store, std::move(*run));
}

QList<ComparedRun> RunStoreService::loadRuns(const QList<qint64>& ids) const {
  const kvr::RunStore store = openForReading(path_);
  QList<ComparedRun> runs;
  for (qint64 id : ids) {
    if (auto run = store.findRun(id)) runs << readRun(store, std::move(*run));
  }
  return runs;
}

template <typename Write>
void RunStoreService::write(Write&& write) {
  try {
    kvr::RunStore store(path_.toStdString());
    write(store);
  } catch (...) {
    emit runsChanged();  // a batch that failed part-way has still changed the list
    throw;
  }
  emit runsChanged();
}

void RunStoreService::renameRun(qint64 id, const QString& name) {
  write([&](kvr::RunStore& store) { store.renameRun(id, name.toStdString()); });
}

void RunStoreService::setNotes(qint64 id, const QString& notes) {
  write([&](kvr::RunStore& store) { store.setNotes(id, notes.toStdString()); });
}

void RunStoreService::setTags(qint64 id, const QStringList& tags) {
  std::vector<std::string> values;
  for (const QString& t : tags) values.push_back(t.toStdString());
  write([&](kvr::RunStore& store) { store.setTags(id, values); });
}

void RunStoreService::deleteRuns(const QList<qint64>& ids) {
  write([&](kvr::RunStore& store) {
    for (qint64 id : ids) store.deleteRun(id);
  });
}

std::vector<kvr::SweepStatus> RunStoreService::listSweeps() const {
  if (path_.isEmpty() || !QFileInfo::exists(path_)) return {};
  return kvr::sweepsInStore(openForReading(path_), /*querySlurm=*/true);
}

kvr::MergeReport RunStoreService::importShards(const QStringList& paths) {
  kvr::MergeReport total;
  write([&](kvr::RunStore& target) {
    for (const QString& path : paths) {
      if (QFileInfo(path).canonicalFilePath() == QFileInfo(path_).canonicalFilePath()) {
        throw kvr::Error(path.toStdString() + " is the database merged into");
      }
      const kvr::MergeReport r = kvr::mergeRuns(target, openForReading(path));
      total.copied += r.copied;
      total.alreadyPresent += r.alreadyPresent;
      total.notCompleted += r.notCompleted;
      for (const std::string& note : r.notes)
        total.notes.push_back(path.toStdString() + ": " + note);
    }
  });
  return total;
}

}  // namespace kvr::ui
