#include "workbench/store_settings_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QSettings>
#include <QSpinBox>

#include "charts/quantity_format.h"
#include "kvrecycle/error.h"

namespace kvr::ui {
namespace {

const QString kGroup = QStringLiteral("store");

QComboBox* namedCombo(const QList<QPair<QString, QString>>& items, QWidget* parent) {
  auto* box = new QComboBox(parent);
  for (const auto& [name, text] : items) box->addItem(text, name);
  // Long item texts must not widen the Setup tab past a 1280 px screen.
  box->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  box->setMinimumContentsLength(14);
  return box;
}

void selectName(QComboBox* box, const QString& name) {
  box->setCurrentIndex(std::max(0, box->findData(name)));
}

}  // namespace

QString budgetText(int64_t bytes) {
  if (bytes == kvr::kKeepStoreBudget) return {};
  if (bytes == 0) return QStringLiteral("none");
  const std::pair<int64_t, char> units[] = {{1LL << 30, 'G'}, {1LL << 20, 'M'}, {1LL << 10, 'K'}};
  for (const auto& [size, suffix] : units) {
    if (bytes % size == 0) return QString::number(bytes / size) + QLatin1Char(suffix);
  }
  return QString::number(bytes);
}

StoreSettingsPanel::StoreSettingsPanel(QWidget* parent) : QWidget(parent) {
  mode_ = namedCombo({{QStringLiteral("offline"), tr("offline (cache set, then tests)")},
                      {QStringLiteral("online"), tr("online (admit each test prompt)")}},
                     this);
  mode_->setToolTip(
      tr("Offline, as the study: the cache prompts fill the store, then the test prompts are "
         "measured.\nOnline: the test prompts are processed in order and each one's K/V (prompt "
         "and reply) is admitted to the store after it; the cache set is optional."));
  admitMinTokens_ = new QSpinBox(this);
  admitMinTokens_->setRange(0, 100000);
  admitMinTokens_->setSpecialValueText(tr("all prompts"));
  admitMinTokens_->setToolTip(tr("Online: admit only prompts of at least this many tokens"));
  conversation_ = new QCheckBox(tr("test prompts are conversation turns"), this);
  conversation_->setToolTip(
      tr("Test prompts with ids s<S>-t<T> in DialoGPT format: each turn's history is rebuilt "
         "from the model's own replies, so every turn reuses the previous turn and its reply"));
  budget_ = new QLineEdit(this);
  budget_->setPlaceholderText(tr("store's budget"));
  budget_->setToolTip(
      tr("Cap on the store's resident K/V bytes: 65536, 512K, 64M, 1.5G (K = 1024), or none.\n"
         "Empty keeps the budget the store was last given (it persists with the store)."));
  budgetNote_ = new QLabel(this);
  budgetNote_->setWordWrap(true);
  budgetNote_->setObjectName(QStringLiteral("budgetNote"));
  eviction_ = namedCombo({{QStringLiteral("lru"), tr("least recently used")},
                          {QStringLiteral("lfu"), tr("least often used")},
                          {QStringLiteral("value"), tr("least prefill time saved per byte")}},
                         this);
  eviction_->setToolTip(
      tr("What goes when an admission would pass the budget. An entry is truncated to the "
         "prefix its hits used instead when that frees enough; an entry in use is never evicted."));
  kvDtype_ = namedCombo({{QStringLiteral("fp32"), tr("fp32 (exact)")},
                         {QStringLiteral("fp16"), tr("fp16 (1/2 the bytes)")},
                         {QStringLiteral("bf16"), tr("bf16 (1/2 the bytes)")},
                         {QStringLiteral("int8"), tr("int8, per-token scales (1/4)")}},
                        this);
  kvDtype_->setToolTip(
      tr("Precision new entries are stored in; loads dequantise to fp32 and the exactness "
         "columns then report the fidelity against fp32"));

  costModel_ = new QCheckBox(tr("recycle only when the cost model predicts a saving"), this);
  costModel_->setObjectName(QStringLiteral("costModel"));
  costModel_->setToolTip(tr(
      "Calibrates prefill and K/V load times for this model and machine once (stored beside\n"
      "the K/V store), predicts each prompt's recycled and baseline TTFT, and declines to\n"
      "recycle when loading would not pay; the Run view then charts prediction vs measurement."));

  auto* sample = new QPushButton(tr("&Load the conversation sample"), this);
  sample->setToolTip(tr("3 sessions x 6 turns as the test set, no cache set, online mode"));
  connect(sample, &QPushButton::clicked, this, &StoreSettingsPanel::conversationSampleRequested);

  auto* form = new QFormLayout(this);
  form->addRow(tr("Mode"), mode_);
  form->addRow(tr("Admit"), admitMinTokens_);
  form->addRow(QString(), conversation_);
  form->addRow(tr("Store &budget"), budget_);
  form->addRow(QString(), budgetNote_);
  form->addRow(tr("Eviction"), eviction_);
  form->addRow(tr("K/V precision"), kvDtype_);
  form->addRow(tr("Cost model"), costModel_);
  form->addRow(sample);

  connect(mode_, &QComboBox::currentIndexChanged, this, [this] {
    updateEnabled();
    emit modeChanged(online());
  });
  connect(budget_, &QLineEdit::textChanged, this, &StoreSettingsPanel::checkBudget);
  updateEnabled();
  checkBudget();
}

bool StoreSettingsPanel::online() const {
  return mode_->currentData().toString() == QStringLiteral("online");
}

void StoreSettingsPanel::useConversation() {
  selectName(mode_, QStringLiteral("online"));
  conversation_->setChecked(true);
}

void StoreSettingsPanel::followTestSet(const kvr::PromptSet& test) {
  static const QRegularExpression turnId(QStringLiteral("^s\\d+-t\\d+$"));
  bool turns = !test.prompts.empty();
  for (const kvr::Prompt& p : test.prompts) {
    turns = turns && turnId.match(QString::fromStdString(p.id)).hasMatch();
  }
  conversation_->setChecked(turns);
}

QString StoreSettingsPanel::budgetError() const {
  const std::string text = budget_->text().trimmed().toStdString();
  if (text.empty()) return {};
  try {
    kvr::parseByteSize(text);
  } catch (const kvr::Error& e) {
    return QString::fromUtf8(e.what());
  }
  return {};
}

void StoreSettingsPanel::checkBudget() {
  const QString error = budgetError();
  const QString text = budget_->text().trimmed();
  budget_->setStyleSheet(
      error.isEmpty() ? QString() : QStringLiteral("QLineEdit { border: 1px solid #d62728; }"));
  if (!error.isEmpty()) {
    budgetNote_->setText(
        QStringLiteral("<span style=\"color:#d62728\">%1</span>").arg(error.toHtmlEscaped()));
  } else if (text.isEmpty()) {
    budgetNote_->setText(tr("<i>keeps the store's persisted budget</i>"));
  } else {
    const int64_t bytes = kvr::parseByteSize(text.toStdString());
    budgetNote_->setText(bytes == 0 ? tr("<i>no cap: nothing is evicted</i>")
                                    : tr("<i>%1 resident at most</i>").arg(formatBytes(bytes)));
  }
}

void StoreSettingsPanel::updateEnabled() {
  admitMinTokens_->setEnabled(online());
  conversation_->setEnabled(online());
}

void StoreSettingsPanel::applyTo(kvr::ExperimentConfig& c) const {
  c.mode = kvr::parseRunMode(mode_->currentData().toString().toStdString());
  c.admitMinTokens = admitMinTokens_->value();
  c.conversation = online() && conversation_->isChecked();
  const QString budget = budget_->text().trimmed();
  try {
    c.storeBudgetBytes =
        budget.isEmpty() ? kvr::kKeepStoreBudget : kvr::parseByteSize(budget.toStdString());
  } catch (const kvr::Error& e) {
    throw kvr::Error("Store budget: " + std::string(e.what()));
  }
  c.eviction = kvr::parseEvictionPolicy(eviction_->currentData().toString().toStdString());
  c.kvDtype = kvr::parseKVDtype(kvDtype_->currentData().toString().toStdString());
  c.costModel = costModel_->isChecked();
}

void StoreSettingsPanel::setFrom(const kvr::ExperimentConfig& c) {
  selectName(mode_, QString::fromUtf8(kvr::runModeName(c.mode)));
  admitMinTokens_->setValue(c.admitMinTokens);
  conversation_->setChecked(c.conversation);
  budget_->setText(budgetText(c.storeBudgetBytes));
  selectName(eviction_, QString::fromUtf8(kvr::evictionPolicyName(c.eviction)));
  selectName(kvDtype_, QString::fromUtf8(kvr::kvDtypeName(c.kvDtype)));
  costModel_->setChecked(c.costModel);
  updateEnabled();
}

void StoreSettingsPanel::saveSettings() const {
  QSettings s;
  s.beginGroup(kGroup);
  s.setValue(QStringLiteral("mode"), mode_->currentData());
  s.setValue(QStringLiteral("admitMinTokens"), admitMinTokens_->value());
  s.setValue(QStringLiteral("conversation"), conversation_->isChecked());
  s.setValue(QStringLiteral("budget"), budget_->text().trimmed());  // as typed, even if invalid
  s.setValue(QStringLiteral("eviction"), eviction_->currentData());
  s.setValue(QStringLiteral("kvDtype"), kvDtype_->currentData());
  s.setValue(QStringLiteral("costModel"), costModel_->isChecked());
}

void StoreSettingsPanel::restoreSettings() {
  QSettings s;
  s.beginGroup(kGroup);
  // Unknown names (another version's) leave the default selected.
  selectName(mode_, s.value(QStringLiteral("mode"), mode_->currentData()).toString());
  admitMinTokens_->setValue(s.value(QStringLiteral("admitMinTokens"), 0).toInt());
  conversation_->setChecked(s.value(QStringLiteral("conversation"), false).toBool());
  budget_->setText(s.value(QStringLiteral("budget")).toString());
  selectName(eviction_, s.value(QStringLiteral("eviction"), eviction_->currentData()).toString());
  selectName(kvDtype_, s.value(QStringLiteral("kvDtype"), kvDtype_->currentData()).toString());
  costModel_->setChecked(s.value(QStringLiteral("costModel"), false).toBool());
  updateEnabled();
}

}  // namespace kvr::ui
