#pragma once
// The Run tab: starts the experiment set up on the Setup tab on the worker
// thread, shows progress and time left, fills the live RunView as prompts
// complete, and cancels (completed prompts stay stored). Results of a
// superseded run are dropped by run id.
#include <QElapsedTimer>
#include <QWidget>

#include "kvrecycle/eviction_settings.h"
#include "kvrecycle/experiment.h"
#include "kvrecycle/results.h"

class QAction;
class QLabel;
class QProgressBar;
class QPushButton;
class QStackedWidget;

namespace kvr::ui {

class EngineSession;
class EvictionView;
class RunStoreService;
class RunView;
class SetupPage;
class StallProfiler;

class RunPage : public QWidget {
  Q_OBJECT
 public:
  RunPage(EngineSession* engine, const SetupPage* setup, RunStoreService* store,
          QWidget* parent = nullptr);

  bool startRun();  // false (and says why) when the setup is incomplete or invalid
  void cancelRun();

  bool running() const { return running_; }
  qint64 lastRunId() const { return liveRunId_; }
  QString lastRunStatus() const { return lastStatus_; }
  double longestStallMs() const;
  RunView* runView() const { return liveRun_; }
  EvictionView* evictionView() const { return liveEviction_; }
  // The last run started was an eviction run (its view is showing).
  bool showsEviction() const;
  const QProgressBar* progressBar() const { return progress_; }
  QString progressText() const;
  // Run → Run experiment (Ctrl+R) and Cancel (Ctrl+.), enabled with the buttons.
  QAction* runAction() const { return runAction_; }
  QAction* cancelAction() const { return cancelAction_; }

 public slots:
  void updateRunActions();

 signals:
  void runStarting();  // the window brings this page to the front
  void runEnded(qint64 runId, const QString& status);
  void logLine(const QString& line);

 private:
  void onRunStarted(qint64 runId);
  void onRunProgress(qint64 runId, const kvr::ExperimentProgress& progress);
  void onPromptDone(qint64 runId, const kvr::PromptResult& result);
  void onRunFinished(qint64 runId, const QString& status, const kvr::RunSummary& summary);
  bool startEviction();
  void onEvictionRow(qint64 runId, const kvr::EvictionResultRow& row, int done, int total);
  void onRunFailed(qint64 runId, const QString& error);
  void finishRun(const QString& status);
  QString readinessText() const;

  EngineSession* engine_;
  const SetupPage* setup_;
  RunStoreService* store_;
  StallProfiler* stalls_;
  bool running_ = false;
  qint64 liveRunId_ = 0;
  QString lastStatus_;
  bool evicting_ = false;   // the current (or last) run is an eviction run
  int measured_ = 0;        // test prompts (eviction: method x budget cells) finished
  int planned_ = 0;         // test prompts (cells) it set out to measure
  QElapsedTimer runClock_;  // from the first measured prompt: the basis of "time left"

  QPushButton* runButton_;
  QPushButton* cancelButton_;
  QProgressBar* progress_;
  QLabel* progressLabel_;
  RunView* liveRun_;
  EvictionView* liveEviction_;
  QStackedWidget* views_;
  QAction* runAction_;
  QAction* cancelAction_;
};

}  // namespace kvr::ui
