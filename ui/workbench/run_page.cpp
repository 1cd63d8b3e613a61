#include "workbench/run_page.h"

#include <QAction>
#include <QDir>
#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QStackedWidget>
#include <QTime>
#include <QVBoxLayout>
#include <algorithm>

#include "charts/quantity_format.h"
#include "workbench/engine_session.h"
#include "workbench/eviction_settings_panel.h"
#include "workbench/eviction_view.h"
#include "workbench/metatypes.h"
#include "workbench/prompt_set_model.h"
#include "workbench/results_model.h"
#include "workbench/run_comparison.h"
#include "workbench/run_history_model.h"
#include "workbench/run_settings_panel.h"
#include "workbench/run_store_service.h"
#include "workbench/run_view.h"
#include "workbench/run_worker.h"
#include "workbench/setup_page.h"
#include "workbench/stall_profiler.h"
#include "workbench/store_settings_panel.h"

namespace kvr::ui {

RunPage::RunPage(EngineSession* engine, const SetupPage* setup, RunStoreService* store,
                 QWidget* parent)
    : QWidget(parent),
      engine_(engine),
      setup_(setup),
      store_(store),
      stalls_(new StallProfiler(this)) {
  runButton_ = new QPushButton(tr("Run"), this);
  cancelButton_ = new QPushButton(tr("Cancel"), this);
  connect(runButton_, &QPushButton::clicked, this, &RunPage::startRun);
  connect(cancelButton_, &QPushButton::clicked, this, &RunPage::cancelRun);
  progress_ = new QProgressBar(this);
  progress_->setRange(0, 1);
  progress_->setValue(0);
  progressLabel_ = new QLabel(tr("Idle"), this);
  auto* bar = new QHBoxLayout;
  bar->addWidget(runButton_);
  bar->addWidget(cancelButton_);
  bar->addWidget(progress_, 1);
  bar->addWidget(progressLabel_, 1);
  liveRun_ = new RunView(this);
  liveRun_->setTokenizer(engine_->tokenizer());
  liveEviction_ = new EvictionView(this);
  views_ = new QStackedWidget(this);
  views_->addWidget(liveRun_);
  views_->addWidget(liveEviction_);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(bar);
  layout->addWidget(views_, 1);

  runAction_ = new QAction(tr("&Run experiment"), this);
  runAction_->setShortcut(QKeySequence(tr("Ctrl+R")));
  connect(runAction_, &QAction::triggered, this, &RunPage::startRun);
  cancelAction_ = new QAction(tr("&Cancel"), this);
  cancelAction_->setShortcut(QKeySequence(tr("Ctrl+.")));
  connect(cancelAction_, &QAction::triggered, this, &RunPage::cancelRun);

  connect(engine_, &EngineSession::tokenizerChanged, liveRun_, &RunView::setTokenizer);
  connect(engine_, &EngineSession::modelReadyChanged, this, &RunPage::updateRunActions);
  connect(engine_, &EngineSession::modelFailed, this, &RunPage::updateRunActions);
  const RunWorker* worker = engine_->worker();
  connect(worker, &RunWorker::runStarted, this, &RunPage::onRunStarted);
  connect(worker, &RunWorker::runProgress, this, &RunPage::onRunProgress);
  connect(worker, &RunWorker::promptDone, this, &RunPage::onPromptDone);
  connect(worker, &RunWorker::runLog, this, &RunPage::logLine);
  connect(worker, &RunWorker::runFinished, this, &RunPage::onRunFinished);
  connect(worker, &RunWorker::runFailed, this, &RunPage::onRunFailed);
  connect(worker, &RunWorker::evictionRowDone, this, &RunPage::onEvictionRow);
  connect(worker, &RunWorker::evictionFinished, this, [this](qint64 runId, const QString& status) {
    liveRunId_ = runId;
    emit logLine(tr("Eviction run %1 %2: %3 of %4 method x budget cells")
                     .arg(runId)
                     .arg(status)
                     .arg(measured_)
                     .arg(planned_));
    finishRun(status);
  });
  connect(setup_, &SetupPage::experimentTypeChanged, this, &RunPage::updateRunActions);
}

QString RunPage::progressText() const {
  return progressLabel_->text();
}

bool RunPage::showsEviction() const {
  return views_->currentWidget() == liveEviction_;
}

double RunPage::longestStallMs() const {
  return stalls_->longestStallMs();
}

void RunPage::updateRunActions() {
  const bool canRun = !running_ && engine_->modelReady() && setup_->promptsReady();
  runButton_->setEnabled(canRun);
  runAction_->setEnabled(canRun);
  cancelButton_->setEnabled(running_);
  cancelAction_->setEnabled(running_);
  if (!running_ && liveRunId_ == 0) liveRun_->setPlaceholder(readinessText());
}

// Before the first run: what is loaded, and what is still missing.
QString RunPage::readinessText() const {
  const bool eviction = setup_->experimentType() == ExperimentType::Eviction;
  QStringList missing;
  if (!eviction && setup_->cachePrompts()->rowCount() == 0 && !setup_->storeSettings()->online())
    missing << tr("cache prompts");
  if (setup_->testPrompts()->rowCount() == 0) missing << tr("test prompts");
  if (!engine_->modelReady()) missing << tr("a model");
  if (!missing.isEmpty()) {
    return tr("No run yet. Still needed on the Setup tab: %1.")
        .arg(missing.join(QStringLiteral(", ")));
  }
  if (eviction) {
    return tr("No run yet. Ready: eviction methods on %1 test prompts on %2. "
              "Press <b>Run</b> (Ctrl+R).")
        .arg(setup_->testPrompts()->rowCount())
        .arg(QDir(engine_->modelInfo().directory).dirName().toHtmlEscaped());
  }
  return tr("No run yet. Ready: %1 test prompts against %2 cache prompts on %3. "
            "Press <b>Run</b> (Ctrl+R).")
      .arg(setup_->testPrompts()->rowCount())
      .arg(setup_->cachePrompts()->rowCount())
      .arg(QDir(engine_->modelInfo().directory).dirName().toHtmlEscaped());
}

bool RunPage::startRun() {
  if (running_ || !engine_->modelReady() || !setup_->promptsReady()) {
    emit logLine(setup_->experimentType() == ExperimentType::Eviction
                     ? tr("Load a model and the test prompts first.")
                     : tr("Load a model and both prompt sets first."));
    return false;
  }
  if (setup_->experimentType() == ExperimentType::Eviction) return startEviction();
  RunRequest request;
  try {  // a setting that is not valid (a budget that is not a size) says which
    request = setup_->runRequest();
    request.config.storeDirectory = store_->kvStoreDirectory().toStdString();
    request.databasePath = store_->databasePath();
    kvr::validateExperimentConfig(request.config);
  } catch (const std::exception& e) {
    QMessageBox::warning(window(), tr("Cannot run"), QString::fromUtf8(e.what()));
    return false;
  }
  setup_->saveSettings();
  setup_->settings()->clearRunName();  // the next run must not silently reuse this name
  evicting_ = false;
  views_->setCurrentWidget(liveRun_);
  running_ = true;
  measured_ = 0;
  planned_ = static_cast<int>(request.testPrompts.prompts.size());
  liveRunId_ = 0;
  lastStatus_.clear();
  progress_->setRange(0, 0);
  progressLabel_->setText(tr("Starting…"));
  stalls_->start();
  runClock_.invalidate();
  emit runStarting();
  updateRunActions();
  engine_->runExperiment(request);
  return true;
}

// The test prompts under every method x budget, stored as an eviction run.
bool RunPage::startEviction() {
  EvictionRequest request;
  try {
    request = setup_->evictionRequest();
    planned_ =
        static_cast<int>(request.prompts.prompts.size() * kvr::evictionGrid(request.config).size());
  } catch (const std::exception& e) {
    QMessageBox::warning(window(), tr("Cannot run"), QString::fromUtf8(e.what()));
    return false;
  }
  request.databasePath = store_->databasePath();
  setup_->saveSettings();
  setup_->evictionSettings()->clearRunName();
  evicting_ = true;
  views_->setCurrentWidget(liveEviction_);
  running_ = true;
  measured_ = 0;
  liveRunId_ = 0;
  lastStatus_.clear();
  progress_->setRange(0, std::max(1, planned_));
  progress_->setValue(0);
  progressLabel_->setText(tr("Starting…"));
  stalls_->start();
  runClock_.start();
  emit runStarting();
  updateRunActions();
  engine_->runEviction(request);
  return true;
}

void RunPage::onEvictionRow(qint64 runId, const kvr::EvictionResultRow& row, int done, int total) {
  if (runId != liveRunId_) return;
  liveEviction_->appendRow(row);
  measured_ = done;
  planned_ = total;
  progress_->setRange(0, std::max(1, total));
  progress_->setValue(done);
  const qint64 remaining = runClock_.elapsed() / std::max(1, done) * (total - done);
  progressLabel_->setText(
      tr("Cell %1/%2: %3 %4, about %5 left")
          .arg(done)
          .arg(total)
          .arg(
              QString::fromStdString(row.promptId),
              QString::fromUtf8(kvr::evictionMethodName(row.method)) +
                  (row.budget > 0 ? QStringLiteral("@%1").arg(row.budget) : QString()),
              QTime(0, 0).addMSecs(static_cast<int>(remaining)).toString(QStringLiteral("mm:ss"))));
}

void RunPage::cancelRun() {
  if (!running_) return;
  engine_->requestCancel();
  progressLabel_->setText(tr("Cancelling…"));
  emit logLine(tr("Cancel requested; completed results stay stored."));
}

void RunPage::onRunStarted(qint64 runId) {
  liveRunId_ = runId;
  RunSeries run{tr("#%1").arg(runId), {}};
  try {  // the worker has recorded the run: name it as History will, with its budget in force
    if (const std::optional<ComparedRun> stored = store_->loadRun(runId)) {
      run = runSeries(ComparedRun{stored->run, {}});
    }
  } catch (const std::exception& e) {
    emit logLine(QString::fromUtf8(e.what()));
  }
  if (evicting_) {
    liveEviction_->beginLiveRun(runId, run.label, engine_->modelInfo().synthetic, run.description);
  } else {
    liveRun_->beginLiveRun(runId, run, engine_->modelInfo().synthetic);
  }
  emit logLine(tr("Run %1 started").arg(runId));
}

void RunPage::onRunProgress(qint64 runId, const kvr::ExperimentProgress& p) {
  if (runId != liveRunId_) return;  // a superseded run
  if (p.phase == kvr::ProgressPhase::Test && !runClock_.isValid()) runClock_.start();
  if (p.phase == kvr::ProgressPhase::Test) {
    measured_ = p.done;
    planned_ = p.total;
  }
  progress_->setRange(0, std::max(1, p.total));
  progress_->setValue(p.done);
  QString eta;
  if (p.phase == kvr::ProgressPhase::Test && p.done > 0 && runClock_.isValid()) {
    const qint64 remaining = runClock_.elapsed() / p.done * (p.total - p.done);
    eta = tr(", about %1 left")
              .arg(QTime(0, 0)
                       .addMSecs(static_cast<int>(remaining))
                       .toString(QStringLiteral("mm:ss")));
  }
  progressLabel_->setText((p.phase == kvr::ProgressPhase::Cache ? tr("Building K/V cache %1/%2: %3")
                                                                : tr("Prompt %1/%2: %3"))
                              .arg(std::min(p.done + 1, p.total))
                              .arg(p.total)
                              .arg(QString::fromStdString(p.detail)) +
                          eta);
}

void RunPage::onPromptDone(qint64 runId, const kvr::PromptResult& result) {
  if (runId != liveRunId_) return;
  liveRun_->appendResult(result);
  measured_ = std::max(measured_, liveRun_->resultsModel()->rowCount());
  emit logLine(
      tr("%1: k=%2 of m=%3, speedup %4, %5")
          .arg(QString::fromStdString(result.promptId))
          .arg(result.reusedTokens)
          .arg(result.promptTokens)
          .arg(formatPercent(result.speedupPct))
          .arg(result.exactMatch ? tr("exact") : tr("DIVERGED at %1").arg(result.firstDivergence)));
}

void RunPage::onRunFinished(qint64 runId, const QString& status, const kvr::RunSummary& summary) {
  liveRunId_ = runId;
  emit logLine(tr("Run %1 %2: exact-match rate %3, average speedup %4, TTFT speedup %5")
                   .arg(runId)
                   .arg(status)
                   .arg(formatFraction(summary.exactMatchRate),
                        formatPercent(summary.avgSpeedupPct), formatRatio(summary.avgTtftSpeedup)));
  finishRun(status);
}

void RunPage::onRunFailed(qint64 runId, const QString& error) {
  if (runId != 0) liveRunId_ = runId;
  emit logLine(tr("Run failed: %1").arg(error));
  if (window()->isVisible()) QMessageBox::warning(window(), tr("Run failed"), error);
  finishRun(QStringLiteral("failed"));
}

void RunPage::finishRun(const QString& status) {
  running_ = false;
  lastStatus_ = status;
  stalls_->stop();
  // A cancelled or failed run keeps what it measured: "2 of 7", not 0 %.
  const int measured =
      evicting_ ? measured_ : std::max(measured_, liveRun_->resultsModel()->rowCount());
  const int planned = std::max({1, planned_, measured});
  const QString unit = evicting_ ? tr("method x budget cells") : tr("prompts");
  progress_->setRange(0, planned);
  progress_->setValue(status == QStringLiteral("completed") ? planned : measured);
  progressLabel_->setText(status == QStringLiteral("completed")
                              ? tr("Run %1 completed: %2 %3").arg(liveRunId_).arg(planned).arg(unit)
                              : tr("Run %1 %2: %3 of %4 %5 measured")
                                    .arg(liveRunId_)
                                    .arg(status)
                                    .arg(measured)
                                    .arg(planned)
                                    .arg(unit));
  if (evicting_) {
    liveEviction_->setStatus(status);
  } else {
    liveRun_->setStatus(status);
  }
  emit logLine(tr("Longest GUI event-loop stall during the run: %1 ms")
                   .arg(stalls_->longestStallMs(), 0, 'f', 1));
  store_->announceRunsChanged();  // the worker wrote this run through its own connection
  updateRunActions();
  emit runEnded(liveRunId_, status);
}

}  // namespace kvr::ui
