#include "workbench/setup_page.h"

#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QSplitter>
#include <QStyle>
#include <QTabWidget>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>

#include "kvrecycle/paths.h"
#include "kvrecycle/synthetic.h"
#include "workbench/bundled_samples.h"
#include "workbench/engine_session.h"
#include "workbench/eviction_settings_panel.h"
#include "workbench/experiment_type_box.h"
#include "workbench/prompt_set_model.h"
#include "workbench/run_settings_panel.h"
#include "workbench/store_settings_panel.h"
#include "workbench/table_fit.h"

namespace kvr::ui {
namespace {

QTableView* promptTable(PromptSetModel* model, QWidget* parent) {
  auto* table = new QTableView(parent);
  table->setModel(model);
  // id and tokens as wide as they need; the prompt takes the rest and elides.
  table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  table->horizontalHeader()->setSectionResizeMode(PromptSetModel::PromptColumn,
                                                  QHeaderView::Stretch);
  table->setTextElideMode(Qt::ElideRight);
  compactRows(table);
  table->verticalHeader()->setVisible(false);
  table->setWordWrap(false);
  return table;
}

QString promptSetText(const PromptSetModel* m) {
  return m->rowCount() == 0 ? SetupPage::tr("none loaded")
                            : SetupPage::tr("%1 prompts, %2 tokens — %3")
                                  .arg(m->rowCount())
                                  .arg(m->totalTokens())
                                  .arg(QFileInfo(m->source()).fileName());
}

}  // namespace

SetupPage::SetupPage(EngineSession* engine, QWidget* parent)
    : QWidget(parent),
      engine_(engine),
      cacheModel_(new PromptSetModel(this)),
      testModel_(new PromptSetModel(this)) {
  QWidget* cacheBox = buildPromptBox(PromptRole::Cache);
  QWidget* testBox = buildPromptBox(PromptRole::Test);
  QWidget* modelBox = buildModelBox();
  auto* settingsBox = new QGroupBox(tr("Experiment"), this);
  auto* settingsLayout = new QVBoxLayout(settingsBox);
  // Recycling's settings in two tabs, generation and the K/V store's (one
  // column of both would not fit a 720 px screen); eviction's in one panel.
  settingsTabs_ = new QTabWidget(settingsBox);
  settings_ = new RunSettingsPanel(settingsTabs_);
  store_ = new StoreSettingsPanel(settingsTabs_);
  settingsTabs_->addTab(settings_, tr("Generation"));
  settingsTabs_->addTab(store_, tr("K/V store"));
  eviction_ = new EvictionSettingsPanel(settingsBox);
  type_ = new ExperimentTypeBox(settingsTabs_, eviction_, settingsBox);
  settingsLayout->addWidget(type_);

  auto* prompts = new QSplitter(Qt::Horizontal, this);
  prompts->addWidget(cacheBox);
  prompts->addWidget(testBox);
  // Model and experiment settings scroll when the screen is short (1280x720
  // with a model's description loaded); the Run button below stays in view.
  auto* column = new QWidget(this);
  auto* columnLayout = new QVBoxLayout(column);
  columnLayout->setContentsMargins(0, 0, 0, 0);
  columnLayout->addWidget(modelBox);
  columnLayout->addWidget(settingsBox, 1);
  auto* scroll = new QScrollArea(this);
  scroll->setWidget(column);
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  scroll->setMinimumWidth(column->minimumSizeHint().width() +
                          style()->pixelMetric(QStyle::PM_ScrollBarExtent));
  right_ = new QVBoxLayout;
  right_->addWidget(scroll, 1);
  auto* layout = new QHBoxLayout(this);
  layout->addWidget(prompts, 3);
  layout->addLayout(right_, 1);
  updatePromptLabels();
  settings_->restoreSettings();
  eviction_->restoreSettings();
  type_->restoreSettings();
  connect(type_, &ExperimentTypeBox::typeChanged, this, &SetupPage::experimentTypeChanged);
  // An eviction run measures the test prompts only: the cache prompts step aside.
  const auto showType = [cacheBox](ExperimentType type) {
    const bool eviction = type == ExperimentType::Eviction;
    cacheBox->setEnabled(!eviction);
    cacheBox->setToolTip(eviction ? tr("Not used by eviction runs: they measure the test prompts")
                                  : QString());
  };
  connect(type_, &ExperimentTypeBox::typeChanged, this, showType);
  showType(type_->type());
  store_->restoreSettings();
  connect(store_, &StoreSettingsPanel::conversationSampleRequested, this,
          &SetupPage::loadConversationSample);
  connect(store_, &StoreSettingsPanel::modeChanged, this, [this] {
    updatePromptLabels();
    emit promptSetsChanged();  // online runs need no cache set
  });

  connect(engine_, &EngineSession::modelReadyChanged, this, &SetupPage::showModel);
  connect(engine_, &EngineSession::modelLoaded, this,
          [this](const ModelInfo& info) { syntheticNote_->setVisible(info.synthetic); });
}

QWidget* SetupPage::buildPromptBox(PromptRole role) {
  const bool cache = role == PromptRole::Cache;
  auto* box = new QGroupBox(
      cache ? tr("Cache prompts (their K/V are stored)") : tr("Test prompts (measured)"), this);
  auto* layout = new QVBoxLayout(box);
  auto* open = new QPushButton(cache ? tr("Open cache prompts…") : tr("Open test prompts…"), box);
  connect(open, &QPushButton::clicked, this, [this, role] { openPromptDialog(role); });
  auto* label = new QLabel(box);
  (cache ? cacheLabel_ : testLabel_) = label;
  layout->addWidget(open);
  layout->addWidget(label);
  layout->addWidget(promptTable(cache ? cacheModel_ : testModel_, box));
  return box;
}

QWidget* SetupPage::buildModelBox() {
  auto* box = new QGroupBox(tr("Model"), this);
  auto* layout = new QVBoxLayout(box);
  modelInfo_ = new QLabel(tr("No model loaded."), box);
  modelInfo_->setWordWrap(true);
  modelInfo_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
  modelInfo_->setObjectName(QStringLiteral("modelInfo"));
  syntheticNote_ = new QLabel(
      tr("<i>Synthetic: random weights, so the text is meaningless; the timings stand for a "
         "real model of this shape.</i>"),
      box);
  syntheticNote_->setToolTip(
      tr("A synthetic model has random weights. Its generated text is meaningless; its timings "
         "depend only on the architecture, so they stand for a real model of this shape."));
  syntheticNote_->setWordWrap(true);
  syntheticNote_->setVisible(false);
  auto* openModel = new QPushButton(tr("Open model &directory…"), box);
  connect(openModel, &QPushButton::clicked, this, &SetupPage::openModelDialog);
  // The presets in a menu: one row instead of a block of buttons (the tab fits 1280x720).
  auto* synthetic = new QPushButton(tr("S&ynthetic model"), box);
  auto* presets = new QMenu(synthetic);
  for (const std::string& preset : kvr::syntheticPresetNames()) {
    QAction* action = presets->addAction(QString::fromStdString(preset), this, [this, preset] {
      createSyntheticModel(QString::fromStdString(preset));
    });
    action->setToolTip(
        tr("Create (once) and load a synthetic %1 model").arg(QString::fromStdString(preset)));
  }
  presets->setToolTipsVisible(true);
  synthetic->setMenu(presets);
  synthetic->setToolTip(tr("Create (once) and load a model with random weights"));
  auto* buttons = new QHBoxLayout;
  buttons->addWidget(openModel, 1);
  buttons->addWidget(synthetic);
  layout->addWidget(modelInfo_);
  layout->addWidget(syntheticNote_);
  layout->addLayout(buttons);
  return box;
}

void SetupPage::addRunButton(QAction* run) {
  auto* button = new QToolButton(this);
  button->setDefaultAction(run);  // enabled exactly when the Run menu entry is
  button->setToolButtonStyle(Qt::ToolButtonTextOnly);
  button->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
  button->setMinimumHeight(button->sizeHint().height() * 3 / 2);
  QFont bold = button->font();
  bold.setBold(true);
  button->setFont(bold);
  right_->addWidget(button);
}

void SetupPage::showModel(bool ready) {
  const ModelInfo& model = engine_->modelInfo();
  // The folder name, not the whole path: a long path must not widen the window.
  modelInfo_->setText(ready ? tr("<b>%1</b><br>%2<br>threads: %3<br>fingerprint %4")
                                  .arg(QDir(model.directory).dirName().toHtmlEscaped(),
                                       model.describe().toHtmlEscaped(), model.threading,
                                       model.fingerprint)
                            : tr("Loading…"));
  modelInfo_->setToolTip(ready ? model.directory : QString());
}

bool SetupPage::loadPromptFile(const QString& path, PromptRole role, bool showErrors) {
  PromptSetModel* model = role == PromptRole::Cache ? cacheModel_ : testModel_;
  try {
    model->loadPromptSet(path, engine_->tokenizer());
  } catch (const std::exception& e) {
    const QString message = QString::fromUtf8(e.what());
    emit logLine(tr("Could not load %1: %2").arg(path, message));
    if (showErrors) {
      QMessageBox::warning(
          window(), tr("Cannot load prompt set"),
          tr("<b>%1</b><br><br>%2<br><br>The previous prompt set is unchanged.")
              .arg(QFileInfo(path).fileName().toHtmlEscaped(), message.toHtmlEscaped()));
    }
    return false;
  }
  if (role == PromptRole::Test) store_->followTestSet(model->promptSet());
  if (!isSampleFile(path)) emit promptFileLoaded(path);
  emit logLine(tr("Loaded %1 prompts from %2").arg(model->rowCount()).arg(path));
  updatePromptLabels();
  emit promptSetsChanged();
  return true;
}

void SetupPage::openPromptDialog(PromptRole role) {
  const QString path = QFileDialog::getOpenFileName(
      window(), role == PromptRole::Cache ? tr("Open cache prompts") : tr("Open test prompts"),
      QSettings().value(QStringLiteral("lastDir"), samplesDirectory()).toString(),
      tr("CSV files (*.csv);;All files (*)"));
  if (path.isEmpty()) return;
  QSettings().setValue(QStringLiteral("lastDir"), QFileInfo(path).absolutePath());
  loadPromptFile(path, role);
}

void SetupPage::openPromptFiles(const QStringList& paths) {
  for (const QString& path : paths) {
    const QString name = QFileInfo(path).fileName().toLower();
    PromptRole role = PromptRole::Test;
    if (name.contains(QStringLiteral("cache"))) {
      role = PromptRole::Cache;
    } else if (!name.contains(QStringLiteral("test"))) {
      QMessageBox box(QMessageBox::Question, tr("Load prompt set"),
                      tr("Load %1 as which prompt set?").arg(QFileInfo(path).fileName()),
                      QMessageBox::Cancel, window());
      QPushButton* cache = box.addButton(tr("Cache prompts"), QMessageBox::AcceptRole);
      box.addButton(tr("Test prompts"), QMessageBox::AcceptRole);
      if (box.exec() == QMessageBox::Cancel) continue;
      role = box.clickedButton() == cache ? PromptRole::Cache : PromptRole::Test;
    }
    loadPromptFile(path, role);
  }
}

void SetupPage::loadSampleSets(const QString& cacheFile, const QString& testFile) {
  loadPromptFile(sampleFile(cacheFile), PromptRole::Cache);
  loadPromptFile(sampleFile(testFile), PromptRole::Test);
}

void SetupPage::loadConversationSample() {
  if (!loadPromptFile(sampleFile(QStringLiteral("conversation_test.csv")), PromptRole::Test))
    return;
  cacheModel_->setPromptSet({}, {});
  store_->useConversation();
  type_->setType(ExperimentType::Recycling);  // a conversation is a recycling workload
  settingsTabs_->setCurrentWidget(store_);    // show what changed: online, conversation turns
  updatePromptLabels();
  emit promptSetsChanged();
}

void SetupPage::loadModel(const QString& directory) {
  engine_->loadModel(directory, settings_->loadChoice());
}

void SetupPage::createSyntheticModel(const QString& preset) {
  engine_->createSyntheticModel(preset, settings_->loadChoice());
}

void SetupPage::openModelDialog() {
  // Start at the last model, else the Hugging Face hub cache, else home.
  QString start = QSettings().value(QStringLiteral("model/directory")).toString();
  if (start.isEmpty()) {
    const QString hub = QString::fromStdString(kvr::huggingFaceHubDirectory().string());
    start = QFileInfo::exists(hub) ? hub : QDir::homePath();
  }
  const QString dir = QFileDialog::getExistingDirectory(
      window(), tr("Open a Hugging Face model directory (or hub cache models--ORG--NAME)"), start);
  if (!dir.isEmpty()) loadModel(dir);
}

void SetupPage::loadDefaults() {
  loadSampleSets(QStringLiteral("study_cache.csv"), QStringLiteral("study_test.csv"));
  const QString last = QSettings().value(QStringLiteral("model/directory")).toString();
  if (!last.isEmpty() && QFileInfo::exists(last + QStringLiteral("/config.json"))) {
    loadModel(last);
  } else {
    createSyntheticModel(QStringLiteral("dialogpt-small"));
  }
}

ExperimentType SetupPage::experimentType() const {
  return type_->type();
}

bool SetupPage::promptsReady() const {
  if (experimentType() == ExperimentType::Eviction) return testModel_->rowCount() > 0;
  return (cacheModel_->rowCount() > 0 || store_->online()) && testModel_->rowCount() > 0;
}

EvictionRequest SetupPage::evictionRequest() const {
  EvictionRequest request;
  request.prompts = testModel_->promptSet();
  request.config = eviction_->config();
  return request;
}

void SetupPage::saveSettings() const {
  settings_->saveSettings();
  store_->saveSettings();
  eviction_->saveSettings();
  type_->saveSettings();
}

RunRequest SetupPage::runRequest() const {
  RunRequest request;
  request.cachePrompts = cacheModel_->promptSet();
  request.testPrompts = testModel_->promptSet();
  request.config = settings_->config();
  store_->applyTo(request.config);
  request.config.cachePromptsSource = request.cachePrompts.source;
  request.config.testPromptsSource = request.testPrompts.source;
  return request;
}

void SetupPage::updatePromptLabels() {
  cacheLabel_->setText(cacheModel_->rowCount() == 0 && store_->online()
                           ? tr("none loaded (optional online: admitted before the tests)")
                           : promptSetText(cacheModel_));
  testLabel_->setText(promptSetText(testModel_));
}

}  // namespace kvr::ui
