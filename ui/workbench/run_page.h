#pragma once
// The Run tab: starts the experiment set up on the Setup tab on the worker
// thread, shows progress and time left, fills the live RunView as prompts
// complete, and cancels (completed prompts stay stored). Results of a
// superseded run are dropped by run id.
#include <QElapsedTimer>
#include <QWidget>

#include "kvrecycle/experiment.h"
#include "kvrecycle/results.h"

class QAction;
class QLabel;
class QProgressBar;
class QPushButton;

namespace kvr::ui {

class EngineSession;
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
  int measured_ = 0;        // test prompts finished in the current run
  int planned_ = 0;         // test prompts it set out to measure
  QElapsedTimer runClock_;  // from the first measured prompt: the basis of "time left"

  QPushButton* runButton_;
  QPushButton* cancelButton_;
  QProgressBar* progress_;
  QLabel* progressLabel_;
  RunView* liveRun_;
  QAction* runAction_;
  QAction* cancelAction_;
};

}  // namespace kvr::ui
