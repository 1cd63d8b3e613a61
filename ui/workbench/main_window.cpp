#include "workbench/main_window.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDragEnterEvent>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSplitter>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTime>
#include <QTimer>
#include <QVBoxLayout>

#include "charts/chart_export.h"
#include "charts/result_chart.h"
#include "kvrecycle/paths.h"
#include "kvrecycle/run_export.h"
#include "kvrecycle/synthetic.h"
#include "kvrecycle/system_info.h"
#include "kvrecycle/version.h"
#include "workbench/compare_page.h"
#include "workbench/history_page.h"
#include "workbench/metatypes.h"
#include "workbench/prompt_set_model.h"
#include "workbench/results_model.h"
#include "workbench/run_settings_panel.h"
#include "workbench/run_store_service.h"
#include "workbench/run_view.h"
#include "workbench/run_worker.h"
#include "workbench/table_text.h"

namespace kvr::ui {
namespace {

constexpr int kStallSampleMs = 10;
constexpr int kMaxRecentFiles = 8;

QString dataDir() {
  return QString::fromStdString(kvr::dataDirectory().string());
}

QString defaultSyntheticDir(const QString& preset) {
  return dataDir() + QStringLiteral("/models/synthetic-") + preset;
}

// The bundled sample sets, copied out of the resources so the engine can read them as files.
QString sampleFile(const QString& name) {
  const QString dir = dataDir() + QStringLiteral("/samples");
  const QString path = dir + QLatin1Char('/') + name;
  if (!QFileInfo::exists(path)) {
    QDir().mkpath(dir);
    QFile::copy(QStringLiteral(":/samples/") + name, path);
    QFile::setPermissions(path, QFileDevice::ReadOwner | QFileDevice::WriteOwner);
  }
  return path;
}

QTableView* promptTable(PromptSetModel* model, QWidget* parent) {
  auto* table = new QTableView(parent);
  table->setModel(model);
  table->horizontalHeader()->setSectionResizeMode(PromptSetModel::PromptColumn,
                                                  QHeaderView::Stretch);
  table->verticalHeader()->setVisible(false);
  table->setWordWrap(false);
  return table;
}

}  // namespace

MainWindow::MainWindow(const Options& options, QWidget* parent) : QMainWindow(parent) {
  registerMetaTypes();
  setWindowTitle(tr("kvrecycle — KV-cache recycling workbench"));
  setAcceptDrops(true);
  store_ = new RunStoreService(
      options.databasePath.isEmpty()
          ? QSettings().value(QStringLiteral("database"), dataDir() + "/runs.db").toString()
          : options.databasePath,
      this);

  try {
    tokenizer_ = kvr::Gpt2Tokenizer::load(kvr::defaultTokenizerDirectory());
  } catch (const std::exception&) {
    // No tokenizer yet: counts show "?" until a model brings its own.
  }

  cacheModel_ = new PromptSetModel(this);
  testModel_ = new PromptSetModel(this);
  log_ = new QPlainTextEdit(this);
  log_->setReadOnly(true);
  log_->setMaximumBlockCount(5000);

  tabs_ = new QTabWidget(this);
  tabs_->addTab(buildSetupTab(), tr("&Setup"));
  tabs_->addTab(buildRunTab(), tr("&Run"));
  history_ = new HistoryPage(store_, this);
  history_->runView()->setTokenizer(tokenizer_.get());
  tabs_->addTab(history_, tr("&History"));
  compare_ = new ComparePage(store_, this);
  tabs_->addTab(compare_, tr("&Compare"));
  auto* split = new QSplitter(Qt::Vertical, this);
  split->addWidget(tabs_);
  split->addWidget(log_);
  split->setStretchFactor(0, 5);
  split->setStretchFactor(1, 1);
  setCentralWidget(split);
  modelLabel_ = new QLabel(tr("No model"), this);
  statusBar()->addPermanentWidget(modelLabel_);

  connect(history_, &HistoryPage::logLine, this, &MainWindow::log);
  connect(compare_, &ComparePage::logLine, this, &MainWindow::log);
  connect(history_, &HistoryPage::compareRequested, compare_, &ComparePage::showRuns);
  connect(compare_, &ComparePage::runsShown, this, [this] { tabs_->setCurrentWidget(compare_); });

  worker_ = new RunWorker;
  worker_->moveToThread(&workerThread_);
  connect(&workerThread_, &QThread::finished, worker_, &QObject::deleteLater);
  connect(worker_, &RunWorker::modelProgress, this, [this](const QString& message, double f) {
    statusBar()->showMessage(QStringLiteral("%1 (%2 %)").arg(message).arg(qRound(f * 100)));
  });
  connect(worker_, &RunWorker::modelLoaded, this, &MainWindow::onModelLoaded);
  connect(worker_, &RunWorker::modelFailed, this, &MainWindow::onModelFailed);
  connect(worker_, &RunWorker::runStarted, this, &MainWindow::onRunStarted);
  connect(worker_, &RunWorker::runProgress, this, &MainWindow::onRunProgress);
  connect(worker_, &RunWorker::promptDone, this, &MainWindow::onPromptDone);
  connect(worker_, &RunWorker::runLog, this, &MainWindow::log);
  connect(worker_, &RunWorker::runFinished, this, &MainWindow::onRunFinished);
  connect(worker_, &RunWorker::runFailed, this, &MainWindow::onRunFailed);
  workerThread_.start();

  stallTimer_ = new QTimer(this);
  stallTimer_->setInterval(kStallSampleMs);
  connect(stallTimer_, &QTimer::timeout, this, &MainWindow::sampleEventLoop);

  buildMenus();
  settings_->restoreSettings();
  restoreGeometry(QSettings().value(QStringLiteral("window/geometry")).toByteArray());
  restoreState(QSettings().value(QStringLiteral("window/state")).toByteArray());
  history_->refresh();
  updateRunActions();
  log(tr("Run store: %1").arg(store_->databasePath()));
  if (options.loadDefaults) loadDefaults();
}

MainWindow::~MainWindow() {
  if (worker_ != nullptr) worker_->requestCancel();
  workerThread_.quit();
  workerThread_.wait();
}

QWidget* MainWindow::buildSetupTab() {
  auto* tab = new QWidget(this);
  cacheLabel_ = new QLabel(tab);
  testLabel_ = new QLabel(tab);
  auto* cacheBox = new QGroupBox(tr("Cache prompts (their K/V are stored)"), tab);
  auto* cacheLayout = new QVBoxLayout(cacheBox);
  auto* openCache = new QPushButton(tr("Open cache prompts…"), cacheBox);
  connect(openCache, &QPushButton::clicked, this, [this] { openPromptDialog(PromptRole::Cache); });
  cacheLayout->addWidget(openCache);
  cacheLayout->addWidget(cacheLabel_);
  cacheLayout->addWidget(promptTable(cacheModel_, cacheBox));
  auto* testBox = new QGroupBox(tr("Test prompts (measured)"), tab);
  auto* testLayout = new QVBoxLayout(testBox);
  auto* openTest = new QPushButton(tr("Open test prompts…"), testBox);
  connect(openTest, &QPushButton::clicked, this, [this] { openPromptDialog(PromptRole::Test); });
  testLayout->addWidget(openTest);
  testLayout->addWidget(testLabel_);
  testLayout->addWidget(promptTable(testModel_, testBox));

  auto* modelBox = new QGroupBox(tr("Model"), tab);
  auto* modelLayout = new QVBoxLayout(modelBox);
  auto* modelInfo = new QLabel(tr("No model loaded."), modelBox);
  modelInfo->setWordWrap(true);
  modelInfo->setObjectName(QStringLiteral("modelInfo"));
  syntheticNote_ = new QLabel(
      tr("<i>Synthetic model: random weights. Its generated text is meaningless; its timings "
         "depend only on the architecture, so they stand for a real model of this shape.</i>"),
      modelBox);
  syntheticNote_->setWordWrap(true);
  syntheticNote_->setVisible(false);
  auto* openModel = new QPushButton(tr("Open model directory…"), modelBox);
  connect(openModel, &QPushButton::clicked, this, &MainWindow::openModelDialog);
  auto* presetRow = new QHBoxLayout;
  for (const std::string& preset : kvr::syntheticPresetNames()) {
    auto* b = new QPushButton(QString::fromStdString(preset), modelBox);
    b->setToolTip(
        tr("Create (once) and load a synthetic %1 model").arg(QString::fromStdString(preset)));
    connect(b, &QPushButton::clicked, this,
            [this, preset] { createSyntheticModel(QString::fromStdString(preset)); });
    presetRow->addWidget(b);
  }
  modelLayout->addWidget(modelInfo);
  modelLayout->addWidget(syntheticNote_);
  modelLayout->addWidget(openModel);
  modelLayout->addWidget(new QLabel(tr("Synthetic presets:"), modelBox));
  modelLayout->addLayout(presetRow);
  connect(this, &MainWindow::modelReadyChanged, modelInfo, [this, modelInfo](bool ready) {
    modelInfo->setText(ready ? tr("<b>%1</b><br>%2<br>threads: %3<br>fingerprint %4")
                                   .arg(model_.directory.toHtmlEscaped(), model_.describe(),
                                        model_.threading, model_.fingerprint)
                             : tr("Loading…"));
  });

  auto* settingsBox = new QGroupBox(tr("Experiment"), tab);
  auto* settingsLayout = new QVBoxLayout(settingsBox);
  settings_ = new RunSettingsPanel(settingsBox);
  settingsLayout->addWidget(settings_);

  auto* prompts = new QSplitter(Qt::Horizontal, tab);
  prompts->addWidget(cacheBox);
  prompts->addWidget(testBox);
  auto* right = new QVBoxLayout;
  right->addWidget(modelBox);
  right->addWidget(settingsBox, 1);
  auto* layout = new QHBoxLayout(tab);
  layout->addWidget(prompts, 3);
  layout->addLayout(right, 1);
  updatePromptLabels();
  return tab;
}

QWidget* MainWindow::buildRunTab() {
  auto* tab = new QWidget(this);
  runButton_ = new QPushButton(tr("Run"), tab);
  cancelButton_ = new QPushButton(tr("Cancel"), tab);
  connect(runButton_, &QPushButton::clicked, this, &MainWindow::startRun);
  connect(cancelButton_, &QPushButton::clicked, this, &MainWindow::cancelRun);
  progress_ = new QProgressBar(tab);
  progress_->setRange(0, 1);
  progress_->setValue(0);
  progressLabel_ = new QLabel(tr("Idle"), tab);
  auto* bar = new QHBoxLayout;
  bar->addWidget(runButton_);
  bar->addWidget(cancelButton_);
  bar->addWidget(progress_, 1);
  bar->addWidget(progressLabel_, 1);
  liveRun_ = new RunView(tab);
  liveRun_->setTokenizer(tokenizer_.get());
  auto* layout = new QVBoxLayout(tab);
  layout->addLayout(bar);
  layout->addWidget(liveRun_, 1);
  return tab;
}

void MainWindow::buildMenus() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  file->addAction(tr("Open &cache prompts…"), QKeySequence(tr("Ctrl+Shift+O")), this,
                  [this] { openPromptDialog(PromptRole::Cache); });
  file->addAction(tr("Open &test prompts…"), QKeySequence::Open, this,
                  [this] { openPromptDialog(PromptRole::Test); });
  recentMenu_ = file->addMenu(tr("&Recent prompt files"));
  QMenu* samples = file->addMenu(tr("&Sample prompt sets"));
  samples->addAction(tr("Study style (10 cache, 7 test prompts)"), this, [this] {
    loadPromptFile(sampleFile(QStringLiteral("study_cache.csv")), PromptRole::Cache);
    loadPromptFile(sampleFile(QStringLiteral("study_test.csv")), PromptRole::Test);
  });
  samples->addAction(tr("Long shared prefix (library help desk)"), this, [this] {
    loadPromptFile(sampleFile(QStringLiteral("long_prefix_cache.csv")), PromptRole::Cache);
    loadPromptFile(sampleFile(QStringLiteral("long_prefix_test.csv")), PromptRole::Test);
  });
  file->addSeparator();
  file->addAction(tr("Open &model directory…"), QKeySequence(tr("Ctrl+M")), this,
                  &MainWindow::openModelDialog);
  hubMenu_ = file->addMenu(tr("Models in the &Hugging Face cache"));
  connect(hubMenu_, &QMenu::aboutToShow, this, &MainWindow::refreshHubMenu);
  QMenu* synthetic = file->addMenu(tr("Create s&ynthetic model"));
  for (const std::string& preset : kvr::syntheticPresetNames()) {
    synthetic->addAction(QString::fromStdString(preset), this,
                         [this, preset] { createSyntheticModel(QString::fromStdString(preset)); });
  }
  file->addAction(tr("Open run &database…"), this, &MainWindow::openDatabaseDialog);
  file->addSeparator();
  file->addAction(tr("&Export chart…"), QKeySequence(tr("Ctrl+E")), this,
                  &MainWindow::exportCurrentChart);
  file->addAction(tr("Export &all charts…"), QKeySequence(tr("Ctrl+Shift+E")), this,
                  &MainWindow::exportAllChartsDialog);
  file->addAction(tr("Export &table…"), QKeySequence(tr("Ctrl+T")), this, &MainWindow::exportTable);
  file->addSeparator();
  file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

  QMenu* run = menuBar()->addMenu(tr("&Run"));
  runAction_ = run->addAction(tr("&Run experiment"), QKeySequence(tr("Ctrl+R")), this,
                              &MainWindow::startRun);
  cancelAction_ =
      run->addAction(tr("&Cancel"), QKeySequence(tr("Ctrl+.")), this, &MainWindow::cancelRun);

  QMenu* view = menuBar()->addMenu(tr("&View"));
  const QStringList names = {tr("Setup"), tr("Run"), tr("History"), tr("Compare")};
  for (int i = 0; i < names.size(); ++i) {
    view->addAction(names[i], QKeySequence(QStringLiteral("Ctrl+%1").arg(i + 1)), this,
                    [this, i] { tabs_->setCurrentIndex(i); });
  }
  view->addAction(tr("Refresh history"), QKeySequence::Refresh, history_, &HistoryPage::refresh);

  QMenu* help = menuBar()->addMenu(tr("&Help"));
  help->addAction(tr("&About kvrecycle"), this, &MainWindow::showAbout);
  refreshRecentMenu();
}

void MainWindow::loadDefaults() {
  loadPromptFile(sampleFile(QStringLiteral("study_cache.csv")), PromptRole::Cache);
  loadPromptFile(sampleFile(QStringLiteral("study_test.csv")), PromptRole::Test);
  const QString last = QSettings().value(QStringLiteral("model/directory")).toString();
  if (!last.isEmpty() && QFileInfo::exists(last + QStringLiteral("/config.json"))) {
    loadModel(last);
  } else {
    createSyntheticModel(QStringLiteral("dialogpt-small"));
  }
}

bool MainWindow::loadPromptFile(const QString& path, PromptRole role, bool showErrors) {
  PromptSetModel* model = role == PromptRole::Cache ? cacheModel_ : testModel_;
  try {
    model->loadPromptSet(path, tokenizer_.get());
  } catch (const std::exception& e) {
    const QString message = QString::fromUtf8(e.what());
    log(tr("Could not load %1: %2").arg(path, message));
    if (showErrors) {
      QMessageBox::warning(
          this, tr("Cannot load prompt set"),
          tr("<b>%1</b><br><br>%2<br><br>The previous prompt set is unchanged.")
              .arg(QFileInfo(path).fileName().toHtmlEscaped(), message.toHtmlEscaped()));
    }
    return false;
  }
  if (!path.startsWith(dataDir() + QStringLiteral("/samples"))) addRecentFile(path);
  log(tr("Loaded %1 prompts from %2").arg(model->rowCount()).arg(path));
  updatePromptLabels();
  updateRunActions();
  return true;
}

void MainWindow::updatePromptLabels() {
  const auto text = [](PromptSetModel* m) {
    return m->rowCount() == 0 ? tr("none loaded")
                              : tr("%1 prompts, %2 tokens — %3")
                                    .arg(m->rowCount())
                                    .arg(m->totalTokens())
                                    .arg(QFileInfo(m->source()).fileName());
  };
  cacheLabel_->setText(text(cacheModel_));
  testLabel_->setText(text(testModel_));
}

void MainWindow::loadModel(const QString& directory) {
  modelReady_ = false;
  emit modelReadyChanged(false);
  updateRunActions();
  const QString device = settings_->device();
  QMetaObject::invokeMethod(
      worker_, [w = worker_, directory, device] { w->loadModel(directory, device); },
      Qt::QueuedConnection);
}

void MainWindow::createSyntheticModel(const QString& preset) {
  modelReady_ = false;
  emit modelReadyChanged(false);
  updateRunActions();
  const QString dir = defaultSyntheticDir(preset);
  const QString device = settings_->device();
  log(tr("Synthetic %1 model in %2").arg(preset, dir));
  QMetaObject::invokeMethod(
      worker_, [w = worker_, preset, dir, device] { w->makeSyntheticModel(preset, dir, device); },
      Qt::QueuedConnection);
}

void MainWindow::onModelLoaded(const ModelInfo& info) {
  model_ = info;
  modelReady_ = true;
  QSettings().setValue(QStringLiteral("model/directory"), info.directory);
  try {
    if (kvr::Gpt2Tokenizer::hasFiles(info.directory.toStdString())) {
      tokenizer_ = kvr::Gpt2Tokenizer::load(info.directory.toStdString());
      liveRun_->setTokenizer(tokenizer_.get());
      history_->runView()->setTokenizer(tokenizer_.get());
    }
  } catch (const std::exception& e) {
    log(QString::fromUtf8(e.what()));
  }
  modelLabel_->setText(tr("%1 — %2%3")
                           .arg(QDir(info.directory).dirName(), info.device,
                                info.synthetic ? tr(" — synthetic") : QString()));
  modelLabel_->setToolTip(tr("Weights: %1").arg(info.weights));
  syntheticNote_->setVisible(info.synthetic);
  statusBar()->showMessage(tr("Model loaded"), 3000);
  log(tr("Model %1: %2").arg(info.directory, info.describe()));
  log(tr("Weights: %1, fingerprint %2").arg(info.weights, info.fingerprint));
  emit modelReadyChanged(true);
  updateRunActions();
}

void MainWindow::onModelFailed(const QString& error) {
  log(tr("Model error: %1").arg(error));
  statusBar()->showMessage(tr("Model failed to load"), 5000);
  if (isVisible()) QMessageBox::warning(this, tr("Cannot load model"), error);
  updateRunActions();
}

bool MainWindow::startRun() {
  if (running_ || !modelReady_ || cacheModel_->rowCount() == 0 || testModel_->rowCount() == 0) {
    log(tr("Load a model and both prompt sets first."));
    return false;
  }
  RunRequest request;
  request.cachePrompts = cacheModel_->promptSet();
  request.testPrompts = testModel_->promptSet();
  request.config = settings_->config();
  request.config.storeDirectory = store_->kvStoreDirectory().toStdString();
  request.config.cachePromptsSource = request.cachePrompts.source;
  request.config.testPromptsSource = request.testPrompts.source;
  request.databasePath = store_->databasePath();
  try {
    kvr::validateExperimentConfig(request.config);
  } catch (const std::exception& e) {
    QMessageBox::warning(this, tr("Cannot run"), QString::fromUtf8(e.what()));
    return false;
  }
  settings_->saveSettings();
  running_ = true;
  liveRunId_ = 0;
  lastStatus_.clear();
  progress_->setRange(0, 0);
  progressLabel_->setText(tr("Starting…"));
  longestStallMs_ = 0;
  stallClock_.start();
  stallTimer_->start();
  runClock_.invalidate();
  tabs_->setCurrentIndex(1);
  updateRunActions();
  QMetaObject::invokeMethod(
      worker_, [w = worker_, request] { w->runExperiment(request); }, Qt::QueuedConnection);
  return true;
}

void MainWindow::cancelRun() {
  if (!running_) return;
  worker_->requestCancel();
  progressLabel_->setText(tr("Cancelling…"));
  log(tr("Cancel requested; completed results stay stored."));
}

void MainWindow::onRunStarted(qint64 runId) {
  liveRunId_ = runId;
  liveRun_->beginLiveRun(runId, tr("#%1").arg(runId), model_.synthetic);
  log(tr("Run %1 started").arg(runId));
}

void MainWindow::onRunProgress(qint64 runId, const kvr::ExperimentProgress& p) {
  if (runId != liveRunId_) return;  // a superseded run
  if (p.phase == kvr::ProgressPhase::Test && !runClock_.isValid()) runClock_.start();
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

void MainWindow::onPromptDone(qint64 runId, const kvr::PromptResult& result) {
  if (runId != liveRunId_) return;
  liveRun_->appendResult(result);
  log(tr("%1: k=%2 of m=%3, speedup %4 %, %5")
          .arg(QString::fromStdString(result.promptId))
          .arg(result.reusedTokens)
          .arg(result.promptTokens)
          .arg(result.speedupPct, 0, 'f', 1)
          .arg(result.exactMatch ? tr("exact") : tr("DIVERGED at %1").arg(result.firstDivergence)));
}

void MainWindow::onRunFinished(qint64 runId, const QString& status,
                               const kvr::RunSummary& summary) {
  liveRunId_ = runId;
  log(tr("Run %1 %2: exact-match rate %3, average speedup %4 %, TTFT %5 x")
          .arg(runId)
          .arg(status)
          .arg(summary.exactMatchRate, 0, 'f', 3)
          .arg(summary.avgSpeedupPct, 0, 'f', 1)
          .arg(summary.avgTtftSpeedup, 0, 'f', 2));
  finishRun(status);
}

void MainWindow::onRunFailed(qint64 runId, const QString& error) {
  if (runId != 0) liveRunId_ = runId;
  log(tr("Run failed: %1").arg(error));
  if (isVisible()) QMessageBox::warning(this, tr("Run failed"), error);
  finishRun(QStringLiteral("failed"));
}

void MainWindow::finishRun(const QString& status) {
  running_ = false;
  lastStatus_ = status;
  stallTimer_->stop();
  progress_->setRange(0, 1);
  progress_->setValue(status == QStringLiteral("completed") ? 1 : 0);
  progressLabel_->setText(tr("Run %1 %2").arg(liveRunId_).arg(status));
  liveRun_->setStatus(status);
  log(tr("Longest GUI event-loop stall during the run: %1 ms").arg(longestStallMs_, 0, 'f', 1));
  store_->announceRunsChanged();  // the worker wrote this run through its own connection
  updateRunActions();
  emit runEnded(liveRunId_, status);
}

void MainWindow::sampleEventLoop() {
  const double gap = static_cast<double>(stallClock_.restart()) - kStallSampleMs;
  longestStallMs_ = std::max(longestStallMs_, gap);
}

void MainWindow::updateRunActions() {
  const bool canRun =
      !running_ && modelReady_ && cacheModel_->rowCount() > 0 && testModel_->rowCount() > 0;
  runButton_->setEnabled(canRun);
  runAction_->setEnabled(canRun);
  cancelButton_->setEnabled(running_);
  cancelAction_->setEnabled(running_);
}

void MainWindow::log(const QString& line) {
  log_->appendPlainText(QTime::currentTime().toString(QStringLiteral("HH:mm:ss ")) + line);
}

QString MainWindow::databasePath() const {
  return store_->databasePath();
}

QString MainWindow::logText() const {
  return log_->toPlainText();
}

void MainWindow::openPromptDialog(PromptRole role) {
  const QString path = QFileDialog::getOpenFileName(
      this, role == PromptRole::Cache ? tr("Open cache prompts") : tr("Open test prompts"),
      QSettings().value(QStringLiteral("lastDir")).toString(),
      tr("CSV files (*.csv);;All files (*)"));
  if (path.isEmpty()) return;
  QSettings().setValue(QStringLiteral("lastDir"), QFileInfo(path).absolutePath());
  loadPromptFile(path, role);
}

void MainWindow::openModelDialog() {
  const QString dir = QFileDialog::getExistingDirectory(
      this, tr("Open a Hugging Face model directory (or hub cache models--ORG--NAME)"),
      QSettings().value(QStringLiteral("model/directory")).toString());
  if (!dir.isEmpty()) loadModel(dir);
}

void MainWindow::openDatabaseDialog() {
  const QString path = QFileDialog::getSaveFileName(
      this, tr("Open or create a run database"), store_->databasePath(),
      tr("SQLite (*.db);;All files (*)"), nullptr, QFileDialog::DontConfirmOverwrite);
  if (path.isEmpty()) return;
  QSettings().setValue(QStringLiteral("database"), path);
  store_->setDatabasePath(path);
  log(tr("Run store: %1").arg(path));
}

void MainWindow::addRecentFile(const QString& path) {
  QSettings s;
  QStringList recent = s.value(QStringLiteral("recentFiles")).toStringList();
  recent.removeAll(path);
  recent.prepend(path);
  while (recent.size() > kMaxRecentFiles) recent.removeLast();
  s.setValue(QStringLiteral("recentFiles"), recent);
  refreshRecentMenu();
}

void MainWindow::refreshRecentMenu() {
  recentMenu_->clear();
  const QStringList recent = QSettings().value(QStringLiteral("recentFiles")).toStringList();
  for (const QString& path : recent) {
    QMenu* item = recentMenu_->addMenu(QFileInfo(path).fileName());
    item->setToolTip(path);
    item->addAction(tr("as cache prompts"), this,
                    [this, path] { loadPromptFile(path, PromptRole::Cache); });
    item->addAction(tr("as test prompts"), this,
                    [this, path] { loadPromptFile(path, PromptRole::Test); });
  }
  recentMenu_->setEnabled(!recent.isEmpty());
}

void MainWindow::refreshHubMenu() {
  hubMenu_->clear();
  QStringList roots;
  const QString hfHome = qEnvironmentVariable("HF_HOME");
  if (!hfHome.isEmpty()) roots << hfHome + QStringLiteral("/hub");
  roots << QDir::homePath() + QStringLiteral("/.cache/huggingface/hub");
  for (const QString& root : roots) {
    const QDir dir(root);
    for (const QString& name : dir.entryList({QStringLiteral("models--*")}, QDir::Dirs)) {
      const QString path = dir.filePath(name);
      hubMenu_->addAction(name.mid(8).replace(QStringLiteral("--"), QStringLiteral("/")), this,
                          [this, path] { loadModel(path); });
    }
  }
  if (hubMenu_->isEmpty())
    hubMenu_->addAction(tr("(no models in %1)").arg(roots.last()))->setEnabled(false);
}

QList<ResultChart*> MainWindow::visibleCharts() const {
  if (tabs_->currentWidget() == compare_) return compare_->charts();
  if (tabs_->currentWidget() == history_) return history_->runView()->charts();
  return liveRun_->charts();
}

void MainWindow::exportCurrentChart() {
  const QList<ResultChart*> charts = visibleCharts();
  ResultChart* chart = charts.first();
  for (ResultChart* c : charts) {
    if (c->isVisible()) chart = c;
  }
  const QString path = QFileDialog::getSaveFileName(
      this, tr("Export chart"),
      QSettings().value(QStringLiteral("exportDir")).toString() + "/chart.pdf",
      tr("PDF (*.pdf);;SVG (*.svg);;PNG (*.png)"));
  if (path.isEmpty()) return;
  QSettings().setValue(QStringLiteral("exportDir"), QFileInfo(path).absolutePath());
  bool ok = false;
  const QString sizeText =
      QInputDialog::getText(this, tr("Figure size"), tr("Width x height (px):"), QLineEdit::Normal,
                            QStringLiteral("1200x800"), &ok);
  if (!ok) return;
  try {
    exportChart(*chart, path, chartFormatForPath(path),
                parseChartSize(sizeText).value_or(kDefaultChartSize));
    log(tr("Exported %1").arg(path));
  } catch (const std::exception& e) {
    QMessageBox::warning(this, tr("Export failed"), QString::fromUtf8(e.what()));
  }
}

QStringList MainWindow::exportAllCharts(const QString& directory, QSize size) {
  QList<RunSeries> series;
  if (tabs_->currentWidget() == compare_) {
    series = compare_->series();
  } else {
    const RunView* view = tabs_->currentWidget() == history_ ? history_->runView() : liveRun_;
    series << RunSeries{view->label(), view->resultsModel()->results()};
  }
  return kvr::ui::exportAllCharts(series, directory, size);
}

void MainWindow::exportAllChartsDialog() {
  const QString dir =
      QFileDialog::getExistingDirectory(this, tr("Export all charts into"),
                                        QSettings().value(QStringLiteral("exportDir")).toString());
  if (dir.isEmpty()) return;
  QSettings().setValue(QStringLiteral("exportDir"), dir);
  try {
    const QStringList files = exportAllCharts(dir, kDefaultChartSize);
    log(tr("Exported %1 files to %2").arg(files.size()).arg(dir));
  } catch (const std::exception& e) {
    QMessageBox::warning(this, tr("Export failed"), QString::fromUtf8(e.what()));
  }
}

void MainWindow::exportTable() {
  const QString path = QFileDialog::getSaveFileName(
      this, tr("Export table"),
      QSettings().value(QStringLiteral("exportDir")).toString() + "/results.csv",
      tr("CSV (*.csv);;Markdown (*.md);;LaTeX (*.tex);;JSON (*.json)"));
  if (path.isEmpty()) return;
  const QString suffix = QFileInfo(path).suffix().toLower();
  try {
    QString text;
    if (tabs_->currentWidget() == compare_) {
      text = tableText(compare_->metricsTable(), suffix);
    } else {
      const qint64 id =
          tabs_->currentWidget() == history_ ? history_->runView()->runId() : liveRunId_;
      const std::optional<ComparedRun> stored = store_->loadRun(id);
      if (!stored) throw std::runtime_error("no run to export yet");
      text = QString::fromStdString(kvr::exportRun(stored->run, stored->results,
                                                   kvr::parseTableFormat(suffix.toStdString())));
    }
    QFile out(path);
    if (!out.open(QIODevice::WriteOnly | QIODevice::Truncate) || out.write(text.toUtf8()) < 0) {
      throw std::runtime_error(path.toStdString() + ": cannot write");
    }
    log(tr("Exported %1").arg(path));
  } catch (const std::exception& e) {
    QMessageBox::warning(this, tr("Export failed"), QString::fromUtf8(e.what()));
  }
}

void MainWindow::showAbout() {
  const kvr::SystemInfo sys = kvr::systemInfo();
  QMessageBox::about(
      this, tr("About kvrecycle"),
      tr("<h3>kvrecycle %1</h3><p>A workbench for KV-cache recycling experiments: how much faster "
         "generation gets when the K/V of earlier prompts are reused, at what storage cost, and "
         "whether the output stays exactly the same.</p>"
         "<p>Qt %2 · libtorch %3 · %4<br>CPU: %5 (%6 cores)%7</p>")
          .arg(QString::fromUtf8(kvr::kVersion), QString::fromUtf8(qVersion()),
               QString::fromStdString(sys.torchVersion), QString::fromStdString(sys.compiler),
               QString::fromStdString(sys.cpuModel))
          .arg(sys.logicalCores)
          .arg(sys.cudaAvailable ? tr(", CUDA available") : tr(", CPU only")));
}

void MainWindow::closeEvent(QCloseEvent* event) {
  if (running_ && QMessageBox::question(this, tr("Run in progress"),
                                        tr("Cancel the running experiment and quit? Completed "
                                           "results stay stored.")) != QMessageBox::Yes) {
    event->ignore();
    return;
  }
  settings_->saveSettings();
  QSettings().setValue(QStringLiteral("window/geometry"), saveGeometry());
  QSettings().setValue(QStringLiteral("window/state"), saveState());
  if (running_) worker_->requestCancel();
  event->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
  if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
  QStringList paths;
  for (const QUrl& url : event->mimeData()->urls()) paths << url.toLocalFile();
  openPromptFiles(paths);
}

void MainWindow::openPromptFiles(const QStringList& paths) {
  for (const QString& path : paths) {
    const QString name = QFileInfo(path).fileName().toLower();
    PromptRole role = PromptRole::Test;
    if (name.contains(QStringLiteral("cache"))) {
      role = PromptRole::Cache;
    } else if (!name.contains(QStringLiteral("test"))) {
      QMessageBox box(QMessageBox::Question, tr("Load prompt set"),
                      tr("Load %1 as which prompt set?").arg(QFileInfo(path).fileName()),
                      QMessageBox::Cancel, this);
      QPushButton* cache = box.addButton(tr("Cache prompts"), QMessageBox::AcceptRole);
      box.addButton(tr("Test prompts"), QMessageBox::AcceptRole);
      if (box.exec() == QMessageBox::Cancel) continue;
      role = box.clickedButton() == cache ? PromptRole::Cache : PromptRole::Test;
    }
    loadPromptFile(path, role);
  }
}

}  // namespace kvr::ui
