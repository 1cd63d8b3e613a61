#include "workbench/main_window.h"

#include <QAction>
#include <QCloseEvent>
#include <QDir>
#include <QDragEnterEvent>
#include <QFileDialog>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QScreen>
#include <QScrollBar>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QTime>

#include "charts/result_chart.h"
#include "kvrecycle/model_catalog.h"
#include "kvrecycle/paths.h"
#include "kvrecycle/synthetic.h"
#include "kvrecycle/system_info.h"
#include "kvrecycle/version.h"
#include "workbench/compare_page.h"
#include "workbench/engine_session.h"
#include "workbench/export_controller.h"
#include "workbench/history_page.h"
#include "workbench/recent_files_menu.h"
#include "workbench/run_page.h"
#include "workbench/run_settings_panel.h"
#include "workbench/run_store_service.h"
#include "workbench/run_view.h"
#include "workbench/setup_page.h"
#include "workbench/splitter_memory.h"
#include "workbench/store_settings_panel.h"
#include "workbench/sweeps_page.h"
#include "workbench/window_geometry.h"

namespace kvr::ui {
namespace {

const QString kDatabaseKey = QStringLiteral("database");

QString initialDatabasePath(const MainWindow::Options& options) {
  if (!options.databasePath.isEmpty()) return options.databasePath;
  const QString fallback = QString::fromStdString(kvr::dataDirectory().string()) + "/runs.db";
  return QSettings().value(kDatabaseKey, fallback).toString();
}

}  // namespace

MainWindow::MainWindow(const Options& options, QWidget* parent) : QMainWindow(parent) {
  setWindowTitle(tr("kvrecycle — KV-cache recycling workbench"));
  setAcceptDrops(true);
  engine_ = new EngineSession(this);
  store_ = new RunStoreService(initialDatabasePath(options), this);
  log_ = new QPlainTextEdit(this);
  log_->setReadOnly(true);
  log_->setMaximumBlockCount(5000);

  tabs_ = new QTabWidget(this);
  setup_ = new SetupPage(engine_, this);
  run_ = new RunPage(engine_, setup_, store_, this);
  history_ = new HistoryPage(store_, this);
  compare_ = new ComparePage(store_, this);
  tabs_->addTab(setup_, tr("&Setup"));
  // Alt+U and Alt+I: Alt+R and Alt+H open the Run and Help menus.
  tabs_->addTab(run_, tr("R&un"));
  tabs_->addTab(history_, tr("H&istory"));
  tabs_->addTab(compare_, tr("&Compare"));
  auto* sweeps = new SweepsPage(store_, this);
  tabs_->addTab(sweeps, tr("S&weeps"));
  connect(sweeps, &SweepsPage::logLine, this, &MainWindow::log);
  export_ = new ExportController({tabs_, run_, history_, compare_}, store_, this);
  auto* split = new QSplitter(Qt::Vertical, this);
  split->addWidget(tabs_);
  split->addWidget(log_);
  // The log is a status line with history: three lines by default, and it
  // keeps its height when the window grows, so the pages get the room.
  split->setStretchFactor(0, 1);
  split->setStretchFactor(1, 0);
  split->setSizes({640, 64});
  split->setObjectName(QStringLiteral("pagesAndLog"));
  rememberSplitter(split, QStringLiteral("window/pagesAndLog"));
  setCentralWidget(split);
  modelLabel_ = new QLabel(tr("No model"), this);
  statusBar()->addPermanentWidget(modelLabel_);

  buildMenus();
  wirePages();
  setup_->addRunButton(run_->runAction());
  placeOnScreen();
  history_->refresh();
  run_->updateRunActions();
  log(tr("Run store: %1").arg(store_->databasePath()));
  if (options.loadDefaults) setup_->loadDefaults();
}

MainWindow::~MainWindow() {
  delete engine_;  // stop the worker thread before the pages it reports to go away
}

void MainWindow::wirePages() {
  connect(engine_, &EngineSession::logLine, this, &MainWindow::log);
  connect(setup_, &SetupPage::logLine, this, &MainWindow::log);
  connect(run_, &RunPage::logLine, this, &MainWindow::log);
  connect(history_, &HistoryPage::logLine, this, &MainWindow::log);
  connect(compare_, &ComparePage::logLine, this, &MainWindow::log);
  connect(export_, &ExportController::logLine, this, &MainWindow::log);

  connect(engine_, &EngineSession::modelProgress, this, [this](const QString& message, double f) {
    statusBar()->showMessage(QStringLiteral("%1 (%2 %)").arg(message).arg(qRound(f * 100)));
  });
  connect(engine_, &EngineSession::modelLoaded, this, &MainWindow::showModel);
  connect(engine_, &EngineSession::modelFailed, this, &MainWindow::showModelFailure);
  connect(engine_, &EngineSession::modelReadyChanged, this, &MainWindow::modelReadyChanged);
  connect(engine_, &EngineSession::tokenizerChanged, history_->runView(), &RunView::setTokenizer);
  history_->runView()->setTokenizer(engine_->tokenizer());

  connect(setup_, &SetupPage::promptSetsChanged, run_, &RunPage::updateRunActions);
  connect(setup_, &SetupPage::promptFileLoaded, recent_, &RecentFilesMenu::add);
  connect(recent_, &RecentFilesMenu::openRequested, setup_,
          [this](const QString& path, PromptRole role) { setup_->loadPromptFile(path, role); });
  connect(run_, &RunPage::runStarting, this, [this] { tabs_->setCurrentWidget(run_); });
  connect(run_, &RunPage::runEnded, this, &MainWindow::runEnded);
  connect(history_, &HistoryPage::compareRequested, compare_, &ComparePage::showRuns);
  connect(compare_, &ComparePage::runsShown, this, [this] { tabs_->setCurrentWidget(compare_); });
}

void MainWindow::buildMenus() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  file->addAction(tr("Open &cache prompts…"), QKeySequence(tr("Ctrl+Shift+O")), setup_,
                  [this] { setup_->openPromptDialog(PromptRole::Cache); });
  file->addAction(tr("Open &test prompts…"), QKeySequence::Open, setup_,
                  [this] { setup_->openPromptDialog(PromptRole::Test); });
  recent_ = new RecentFilesMenu(file->addMenu(tr("&Recent prompt files")), this);
  QMenu* samples = file->addMenu(tr("&Sample prompt sets"));
  samples->addAction(tr("Study style (10 cache, 7 test prompts)"), setup_, [this] {
    setup_->loadSampleSets(QStringLiteral("study_cache.csv"), QStringLiteral("study_test.csv"));
  });
  samples->addAction(tr("Long shared prefix (library help desk)"), setup_, [this] {
    setup_->loadSampleSets(QStringLiteral("long_prefix_cache.csv"),
                           QStringLiteral("long_prefix_test.csv"));
  });
  samples->addAction(tr("Conversation, online (3 sessions x 6 turns)"), setup_,
                     &SetupPage::loadConversationSample);
  file->addSeparator();
  file->addAction(tr("Open &model directory…"), QKeySequence(tr("Ctrl+M")), setup_,
                  &SetupPage::openModelDialog);
  hubMenu_ = file->addMenu(tr("Models in the &Hugging Face cache"));
  connect(hubMenu_, &QMenu::aboutToShow, this, &MainWindow::refreshHubMenu);
  QMenu* synthetic = file->addMenu(tr("Create s&ynthetic model"));
  for (const std::string& preset : kvr::syntheticPresetNames()) {
    synthetic->addAction(QString::fromStdString(preset), setup_, [this, preset] {
      setup_->createSyntheticModel(QString::fromStdString(preset));
    });
  }
  file->addAction(tr("Open run &database…"), this, &MainWindow::openDatabaseDialog);
  file->addSeparator();
  file->addAction(tr("&Export chart…"), QKeySequence(tr("Ctrl+E")), export_,
                  &ExportController::exportCurrentChart);
  file->addAction(tr("Export &all charts…"), QKeySequence(tr("Ctrl+Shift+E")), export_,
                  &ExportController::exportAllChartsDialog);
  file->addAction(tr("Export &table…"), QKeySequence(tr("Ctrl+T")), export_,
                  &ExportController::exportTable);
  file->addSeparator();
  file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

  QMenu* run = menuBar()->addMenu(tr("&Run"));
  run->addAction(run_->runAction());
  run->addAction(run_->cancelAction());

  QMenu* view = menuBar()->addMenu(tr("&View"));
  const QStringList names = {tr("Setup"), tr("Run"), tr("History"), tr("Compare"), tr("Sweeps")};
  for (int i = 0; i < names.size(); ++i) {
    view->addAction(names[i], QKeySequence(QStringLiteral("Ctrl+%1").arg(i + 1)), tabs_,
                    [this, i] { tabs_->setCurrentIndex(i); });
  }
  view->addAction(tr("Refresh history"), QKeySequence::Refresh, history_, &HistoryPage::refresh);

  QMenu* help = menuBar()->addMenu(tr("&Help"));
  help->addAction(tr("&About kvrecycle"), this, &MainWindow::showAbout);
}

// Listed when the menu opens, so a download finished meanwhile shows up.
void MainWindow::refreshHubMenu() {
  hubMenu_->clear();
  const std::filesystem::path hub = kvr::huggingFaceHubDirectory();
  for (const kvr::CatalogEntry& model : kvr::listHubModels(hub)) {
    const QString path = QString::fromStdString(model.path.string());
    hubMenu_->addAction(QString::fromStdString(model.name), setup_,
                        [this, path] { setup_->loadModel(path); });
  }
  if (hubMenu_->isEmpty()) {
    hubMenu_->addAction(tr("(no models in %1)").arg(QString::fromStdString(hub.string())))
        ->setEnabled(false);
  }
}

void MainWindow::openDatabaseDialog() {
  const QString path = QFileDialog::getSaveFileName(
      this, tr("Open or create a run database"), store_->databasePath(),
      tr("SQLite (*.db);;All files (*)"), nullptr, QFileDialog::DontConfirmOverwrite);
  if (path.isEmpty()) return;
  QSettings().setValue(kDatabaseKey, path);
  store_->setDatabasePath(path);
  log(tr("Run store: %1").arg(path));
}

void MainWindow::showModel(const ModelInfo& info) {
  modelLabel_->setText(tr("%1 — %2%3")
                           .arg(QDir(info.directory).dirName(), info.deviceAndWeights(),
                                info.synthetic ? tr(" — synthetic") : QString()));
  modelLabel_->setToolTip(tr("Weights: %1").arg(info.weights));
  statusBar()->showMessage(tr("Model loaded"), 3000);
}

void MainWindow::showModelFailure(const QString& error) {
  statusBar()->showMessage(tr("Model failed to load"), 5000);
  if (isVisible()) QMessageBox::warning(this, tr("Cannot load model"), error);
}

// First start: a size that fits the screen. Later: the saved geometry, clamped
// to the screen it is on now (a laptop undocked from a large monitor).
void MainWindow::placeOnScreen() {
  const QByteArray saved = QSettings().value(QStringLiteral("window/geometry")).toByteArray();
  const bool restored = !saved.isEmpty() && restoreGeometry(saved);
  restoreState(QSettings().value(QStringLiteral("window/state")).toByteArray());
  if (isMaximized() || isFullScreen()) return;
  const QScreen* screen = this->screen();
  if (screen == nullptr) return;
  const QMargins frame(4, 32, 4, 4);  // the decoration, not known before the first show
  setGeometry(fitWindowRect(restored ? geometry() : QRect(), minimumSizeHint(),
                            screen->availableGeometry(), frame));
}

QString MainWindow::aboutText() {
  const kvr::SystemInfo sys = kvr::systemInfo();
  return tr("<h3>kvrecycle %1</h3><p>A workbench for KV-cache recycling experiments: how much "
            "faster generation gets when the K/V of earlier prompts are reused, at what storage "
            "cost, and whether the output stays exactly the same.</p>"
            "<table><tr><td>Qt</td><td>%2</td></tr>"
            "<tr><td>libtorch</td><td>%3</td></tr>"
            "<tr><td>faiss</td><td>%4</td></tr>"
            "<tr><td>QCustomPlot</td><td>%5</td></tr>"
            "<tr><td>SQLite</td><td>%6</td></tr>"
            "<tr><td>compiler</td><td>%7</td></tr></table>"
            "<p>CPU: %8 (%9 cores)%10</p>")
      .arg(QString::fromUtf8(kvr::kVersion), QString::fromUtf8(qVersion()),
           QString::fromStdString(sys.torchVersion), QString::fromStdString(sys.faissVersion),
           ResultChart::plotLibraryVersion(), QString::fromStdString(sys.sqliteVersion),
           QString::fromStdString(sys.compiler), QString::fromStdString(sys.cpuModel))
      .arg(sys.logicalCores)
      .arg(sys.cudaAvailable ? tr(", CUDA available") : tr(", CPU only"));
}

void MainWindow::showAbout() {
  QMessageBox::about(this, tr("About kvrecycle"), aboutText());
}

void MainWindow::log(const QString& line) {
  log_->appendPlainText(QTime::currentTime().toString(QStringLiteral("HH:mm:ss ")) + line);
  log_->verticalScrollBar()->setValue(log_->verticalScrollBar()->maximum());  // the newest line
}

QString MainWindow::logText() const {
  return log_->toPlainText();
}

void MainWindow::closeEvent(QCloseEvent* event) {
  if (run_->running() &&
      QMessageBox::question(this, tr("Run in progress"),
                            tr("Cancel the running experiment and quit? "
                               "Completed results stay stored.")) != QMessageBox::Yes) {
    event->ignore();
    return;
  }
  setup_->saveSettings();
  QSettings().setValue(QStringLiteral("window/geometry"), saveGeometry());
  QSettings().setValue(QStringLiteral("window/state"), saveState());
  if (run_->running()) engine_->requestCancel();
  event->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
  if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
  QStringList paths;
  for (const QUrl& url : event->mimeData()->urls()) paths << url.toLocalFile();
  setup_->openPromptFiles(paths);
}

// The menus' code paths, for tests and main().
bool MainWindow::loadPromptFile(const QString& path, PromptRole role, bool showErrors) {
  return setup_->loadPromptFile(path, role, showErrors);
}
void MainWindow::loadModel(const QString& directory) {
  setup_->loadModel(directory);
}
void MainWindow::createSyntheticModel(const QString& preset) {
  setup_->createSyntheticModel(preset);
}
void MainWindow::openPromptFiles(const QStringList& paths) {
  setup_->openPromptFiles(paths);
}
bool MainWindow::startRun() {
  return run_->startRun();
}
void MainWindow::cancelRun() {
  run_->cancelRun();
}
QStringList MainWindow::exportAllCharts(const QString& directory, QSize size) {
  return export_->exportAllCharts(directory, size);
}

bool MainWindow::modelReady() const {
  return engine_->modelReady();
}
bool MainWindow::running() const {
  return run_->running();
}
const ModelInfo& MainWindow::modelInfo() const {
  return engine_->modelInfo();
}
PromptSetModel* MainWindow::cachePrompts() const {
  return setup_->cachePrompts();
}
PromptSetModel* MainWindow::testPrompts() const {
  return setup_->testPrompts();
}
RunSettingsPanel* MainWindow::settings() const {
  return setup_->settings();
}
RunView* MainWindow::liveRun() const {
  return run_->runView();
}
QString MainWindow::databasePath() const {
  return store_->databasePath();
}
qint64 MainWindow::lastRunId() const {
  return run_->lastRunId();
}
QString MainWindow::lastRunStatus() const {
  return run_->lastRunStatus();
}
double MainWindow::longestStallMs() const {
  return run_->longestStallMs();
}

}  // namespace kvr::ui
