#include "workbench/sweep_worker.h"

#include <QThread>

#include "kvrecycle/run_store.h"
#include "kvrecycle/sweep.h"
#include "sweep_cells.h"

namespace kvr::ui {
namespace {

SweepTick tickOf(const kvr::SweepCell& cell, const kvr::SweepProgress& p) {
  return {cell.index,  QString::fromStdString(cell.label()), p.finished, p.total, p.elapsedSeconds,
          p.etaSeconds};
}

}  // namespace

SweepWorker::SweepWorker(QObject* parent) : QObject(parent) {
  qRegisterMetaType<kvr::ui::SweepTick>();
}

SweepWorker::~SweepWorker() {
  cancel();
  wait();
}

bool SweepWorker::running() const {
  return thread_ != nullptr && thread_->isRunning();
}

void SweepWorker::wait() {
  if (thread_ != nullptr) thread_->wait();
}

bool SweepWorker::start(const QString& specPath, const QString& databasePath) {
  if (running()) return false;
  if (thread_ != nullptr) thread_->deleteLater();
  cancel_.store(false);
  thread_ = QThread::create([this, specPath, databasePath] { run(specPath, databasePath); });
  thread_->setParent(this);
  thread_->setObjectName(QStringLiteral("sweep"));
  connect(thread_, &QThread::finished, this, &SweepWorker::stopped);
  thread_->start();
  return true;
}

// On the sweep thread: the steps of `kvrecycle-cli sweep --backend local`.
void SweepWorker::run(const QString& specPath, const QString& databasePath) {
  kvr::SweepOutcome outcome;
  try {
    const kvr::SweepSpec spec = kvr::readSweepSpec(specPath.toStdString());
    const std::vector<kvr::SweepCell> cells = kvr::expandSweep(spec);
    const std::filesystem::path db = databasePath.toStdString();
    kvr::cli::checkSweepCells(spec, cells, db);
    kvr::RunStore store(db);
    kvr::cli::CellExecutor executor(spec, db, store, &cancel_);
    emit started(QString::fromStdString(spec.id), static_cast<int>(cells.size()));

    kvr::SweepCallbacks callbacks;
    callbacks.cellSkipped = [this](const kvr::SweepCell& cell, const kvr::RunRecord& run) {
      emit cellSkipped(cell.index, QString::fromStdString(cell.label()), run.id);
    };
    callbacks.cellStarting = [this](const kvr::SweepCell& cell, const kvr::SweepProgress& p) {
      emit cellStarting(tickOf(cell, p));
    };
    callbacks.cellFinished = [this](const kvr::SweepCell& cell, kvr::RunStatus status,
                                    const std::string& error, const kvr::SweepProgress& p) {
      emit cellFinished(tickOf(cell, p), QString::fromUtf8(kvr::runStatusName(status)),
                        QString::fromStdString(error));
    };
    kvr::ExperimentCallbacks inCell;
    inCell.progress = [this](const kvr::ExperimentProgress& p) {
      if (p.phase == kvr::ProgressPhase::Test) emit promptProgress(p.done, p.total);
    };
    inCell.log = [this](const std::string& line) { emit logLine(QString::fromStdString(line)); };
    outcome = kvr::runSweep(
        spec, cells, store,
        [&executor, &inCell](const kvr::SweepCell& cell) {
          return executor.run(cell, std::string(), inCell);
        },
        callbacks, &cancel_);
  } catch (const std::exception& e) {
    emit failed(QString::fromUtf8(e.what()));
    return;
  }
  emit finished(outcome.completed, outcome.skipped, outcome.failed, outcome.cancelled);
}

}  // namespace kvr::ui
