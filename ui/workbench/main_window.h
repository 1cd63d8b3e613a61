#pragma once
// The workbench window: menus, the four pages as tabs (Setup, Run, History,
// Compare), the log pane and the status bar, wired to the engine session, the
// run store service and the export controller. The pages do the work; the
// public functions here are the menus' code paths, kept for tests and main().
#include <QMainWindow>

#include "workbench/model_info.h"
#include "workbench/prompt_role.h"

class QLabel;
class QMenu;
class QPlainTextEdit;
class QTabWidget;

namespace kvr::ui {

class ComparePage;
class EngineSession;
class ExportController;
class HistoryPage;
class PromptSetModel;
class RecentFilesMenu;
class RunPage;
class RunSettingsPanel;
class RunStoreService;
class RunView;
class SetupPage;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  struct Options {
    QString databasePath;      // empty: the last one opened, else <data dir>/runs.db
    bool loadDefaults = true;  // synthetic dialogpt-small + study sample sets
  };
  using PromptRole = kvr::ui::PromptRole;

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
  // Writes every chart of the visible run or comparison as PNG, PDF and SVG.
  QStringList exportAllCharts(const QString& directory, QSize size);

  bool modelReady() const;
  bool running() const;
  const ModelInfo& modelInfo() const;
  PromptSetModel* cachePrompts() const;
  PromptSetModel* testPrompts() const;
  RunSettingsPanel* settings() const;
  RunView* liveRun() const;
  SetupPage* setup() const { return setup_; }
  RunPage* runPage() const { return run_; }
  HistoryPage* history() const { return history_; }
  ComparePage* compare() const { return compare_; }
  RunStoreService* runStore() const { return store_; }
  QString databasePath() const;
  qint64 lastRunId() const;
  QString lastRunStatus() const;
  double longestStallMs() const;
  QString logText() const;
  // Help → About: the versions of kvrecycle and the libraries it runs on.
  static QString aboutText();

 signals:
  void modelReadyChanged(bool ready);
  void runEnded(qint64 runId, const QString& status);

 protected:
  void closeEvent(QCloseEvent* event) override;
  void dragEnterEvent(QDragEnterEvent* event) override;
  void dropEvent(QDropEvent* event) override;

 private:
  void wirePages();
  void buildMenus();
  void refreshHubMenu();
  void openDatabaseDialog();
  void showAbout();
  void placeOnScreen();
  void showModel(const ModelInfo& info);
  void showModelFailure(const QString& error);
  void log(const QString& line);

  EngineSession* engine_;
  RunStoreService* store_;
  SetupPage* setup_;
  RunPage* run_;
  HistoryPage* history_;
  ComparePage* compare_;
  ExportController* export_;
  RecentFilesMenu* recent_ = nullptr;
  QTabWidget* tabs_;
  QPlainTextEdit* log_;
  QLabel* modelLabel_;
  QMenu* hubMenu_ = nullptr;
};

}  // namespace kvr::ui
