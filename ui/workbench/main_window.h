#pragma once
// The workbench window: prompt sets, model, settings, the live run, history,
// comparison and export. The engine runs on a worker thread; this class only
// wires widgets to it.
#include <QElapsedTimer>
#include <QMainWindow>
#include <QThread>
#include <memory>

#include "kvrecycle/tokenizer.h"
#include "workbench/model_info.h"
#include "workbench/run_request.h"

class QLabel;
class QMenu;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QTabWidget;
class QTableView;
class QTimer;

namespace kvr::ui {

class ComparePage;
class HistoryPage;
class PromptSetModel;
class ResultChart;
class RunSettingsPanel;
class RunStoreService;
class RunView;
class RunWorker;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  struct Options {
    QString databasePath;      // empty: <data dir>/runs.db
    bool loadDefaults = true;  // synthetic dialogpt-small + study sample sets
  };
  enum class PromptRole { Cache, Test };

  explicit MainWindow(const Options& options, QWidget* parent = nullptr);
  ~MainWindow() override;

  // The same code paths as the menus; return false (and show why) on failure.
  bool loadPromptFile(const QString& path, PromptRole role, bool showErrors = true);
  void loadModel(const QString& directory);
  void createSyntheticModel(const QString& preset);
  // Prompt CSVs from the command line or a drop: names with "cache" or "test"
  // say which set they are; otherwise the user is asked.
  void openPromptFiles(const QStringList& paths);
  bool startRun();
  void cancelRun();

  bool modelReady() const { return modelReady_; }
  bool running() const { return running_; }
  const ModelInfo& modelInfo() const { return model_; }
  PromptSetModel* cachePrompts() const { return cacheModel_; }
  PromptSetModel* testPrompts() const { return testModel_; }
  RunSettingsPanel* settings() const { return settings_; }
  RunView* liveRun() const { return liveRun_; }
  HistoryPage* history() const { return history_; }
  ComparePage* compare() const { return compare_; }
  RunStoreService* runStore() const { return store_; }
  QString databasePath() const;
  qint64 lastRunId() const { return liveRunId_; }
  QString lastRunStatus() const { return lastStatus_; }
  double longestStallMs() const { return longestStallMs_; }
  QString logText() const;
  // Writes every chart of the visible run or comparison as PNG, PDF and SVG.
  QStringList exportAllCharts(const QString& directory, QSize size);

 signals:
  void modelReadyChanged(bool ready);
  void runEnded(qint64 runId, const QString& status);

 protected:
  void closeEvent(QCloseEvent* event) override;
  void dragEnterEvent(QDragEnterEvent* event) override;
  void dropEvent(QDropEvent* event) override;

 private:
  void buildMenus();
  QWidget* buildSetupTab();
  QWidget* buildRunTab();
  void loadDefaults();
  void openPromptDialog(PromptRole role);
  void openModelDialog();
  void openDatabaseDialog();
  void exportCurrentChart();
  void exportAllChartsDialog();
  void exportTable();
  void showAbout();
  void addRecentFile(const QString& path);
  void refreshRecentMenu();
  void refreshHubMenu();
  void log(const QString& line);
  void updateRunActions();
  void updatePromptLabels();
  QList<ResultChart*> visibleCharts() const;
  void onModelLoaded(const ModelInfo& info);
  void onModelFailed(const QString& error);
  void onRunStarted(qint64 runId);
  void onRunProgress(qint64 runId, const kvr::ExperimentProgress& progress);
  void onPromptDone(qint64 runId, const kvr::PromptResult& result);
  void onRunFinished(qint64 runId, const QString& status, const kvr::RunSummary& summary);
  void onRunFailed(qint64 runId, const QString& error);
  void finishRun(const QString& status);
  void sampleEventLoop();

  RunStoreService* store_;
  QThread workerThread_;
  RunWorker* worker_ = nullptr;  // lives on workerThread_
  std::unique_ptr<kvr::Gpt2Tokenizer> tokenizer_;
  ModelInfo model_;
  bool modelReady_ = false;
  bool running_ = false;
  qint64 liveRunId_ = 0;
  QString lastStatus_;
  QElapsedTimer runClock_;
  QElapsedTimer stallClock_;
  QTimer* stallTimer_;
  double longestStallMs_ = 0;

  PromptSetModel* cacheModel_;
  PromptSetModel* testModel_;
  QLabel* cacheLabel_;
  QLabel* testLabel_;
  QLabel* modelLabel_;
  QLabel* syntheticNote_;
  RunSettingsPanel* settings_;
  QPushButton* runButton_;
  QPushButton* cancelButton_;
  QProgressBar* progress_;
  QLabel* progressLabel_;
  RunView* liveRun_;
  HistoryPage* history_;
  ComparePage* compare_;
  QTabWidget* tabs_;
  QPlainTextEdit* log_;
  QMenu* recentMenu_;
  QMenu* hubMenu_;
  QAction* runAction_;
  QAction* cancelAction_;
};

}  // namespace kvr::ui
