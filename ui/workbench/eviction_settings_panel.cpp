#include "workbench/eviction_settings_panel.h"

#include <QCheckBox>
#include <QFormLayout>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QSettings>
#include <QSpinBox>
#include <QStringList>
#include <algorithm>

#include "kvrecycle/error.h"

namespace kvr::ui {
namespace {

constexpr kvr::EvictionMethod kAllMethods[] = {
    kvr::EvictionMethod::Full, kvr::EvictionMethod::Window, kvr::EvictionMethod::Snap,
    kvr::EvictionMethod::Heavy, kvr::EvictionMethod::Chunked};

QSpinBox* spinBox(int min, int max, const QString& tip, QWidget* parent) {
  auto* box = new QSpinBox(parent);
  box->setRange(min, max);
  box->setToolTip(tip);
  return box;
}

QString budgetText(const std::vector<int>& budgets) {
  QStringList items;
  for (int b : budgets) items << QString::number(b);
  return items.join(QStringLiteral(", "));
}

// The workbench's sample prompts are 10-40 tokens long and generate 32 more:
// budgets of 64 and up would keep everything, so the defaults cut into them.
kvr::EvictionRunConfig workbenchDefaults() {
  kvr::EvictionRunConfig c;
  c.budgets = {8, 16, 32};
  c.base.observation = 8;
  c.base.chunk = 16;
  return c;
}

}  // namespace

std::vector<int> parseBudgetList(const QString& text) {
  std::vector<int> budgets;
  for (const QString& item : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
    bool ok = false;
    const int value = item.trimmed().toInt(&ok);
    if (!ok || value < 1) {
      throw kvr::Error("Budgets: '" + item.trimmed().toStdString() +
                       "' is not a positive whole number (e.g. 16, 32, 64)");
    }
    budgets.push_back(value);
  }
  return budgets;
}

EvictionSettingsPanel::EvictionSettingsPanel(QWidget* parent) : QWidget(parent) {
  auto* methods = new QGridLayout;
  methods->setContentsMargins(0, 0, 0, 0);
  const QStringList tips = {
      tr("The reference: nothing evicted"),
      tr("Keep the sinks plus the most recent tokens (StreamingLLM)"),
      tr("After prefill keep the prompt tokens the last queries attend to most (SnapKV)"),
      tr("Keep the most attended-to tokens so far plus a recent window (H2O)"),
      tr("Prefill in chunks and evict between them: a lower peak")};
  int i = 0;
  for (kvr::EvictionMethod m : kAllMethods) {
    auto* box = new QCheckBox(QString::fromUtf8(kvr::evictionMethodName(m)), this);
    box->setToolTip(tips[i]);
    box->setObjectName(QStringLiteral("method-") + box->text());
    methods->addWidget(box, i / 3, i % 3);
    methods_[m] = box;
    ++i;
  }
  budgets_ = new QLineEdit(this);
  budgets_->setToolTip(
      tr("Comma-separated: live entries kept per layer and head; each is a point of the curves"));
  sinks_ = spinBox(0, 4096, tr("window: initial tokens always kept"), this);
  recent_ = spinBox(0, 4096, tr("snap, heavy, chunked: recent tokens always kept"), this);
  recent_->setSpecialValueText(tr("budget / 4"));
  observation_ =
      spinBox(1, 4096, tr("snap, chunked: the last queries whose attention scores tokens"), this);
  chunk_ = spinBox(1, 4096, tr("chunked: prefill chunk length in tokens"), this);
  perHead_ = new QCheckBox(tr("each head chooses its own tokens"), this);
  perHead_->setToolTip(tr("Unchecked: the heads of a layer share one choice"));
  maxNewTokens_ = spinBox(1, 1000, tr("Greedy tokens generated per prompt and method"), this);
  template_ = new QLineEdit(this);
  template_->setToolTip(tr("Applied before tokenization, e.g. {prompt}<|endoftext|> for DialoGPT"));
  name_ = new QLineEdit(this);
  name_->setPlaceholderText(tr("eviction <date> when empty"));

  budgets_->setObjectName(QStringLiteral("budgets"));
  sinks_->setObjectName(QStringLiteral("sinks"));
  recent_->setObjectName(QStringLiteral("recent"));
  observation_->setObjectName(QStringLiteral("observation"));
  chunk_->setObjectName(QStringLiteral("chunk"));
  perHead_->setObjectName(QStringLiteral("perHead"));
  maxNewTokens_->setObjectName(QStringLiteral("maxNewTokens"));
  // Two spin boxes per row: the Setup tab must still fit a 1280x720 screen.
  const auto pair = [this](QWidget* a, QWidget* b) {
    auto* row = new QHBoxLayout;
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(a, 1);
    row->addWidget(b, 1);
    return row;
  };
  auto* form = new QFormLayout(this);
  form->setContentsMargins(0, 0, 0, 0);
  form->addRow(tr("Methods"), methods);
  form->addRow(tr("Budgets"), budgets_);
  form->addRow(tr("Sinks / window"), pair(sinks_, recent_));
  form->addRow(tr("Observe / chunk"), pair(observation_, chunk_));
  form->addRow(QString(), perHead_);
  form->addRow(tr("Max new tokens"), maxNewTokens_);
  form->addRow(tr("Prompt template"), template_);
  form->addRow(tr("Run name"), name_);
  setConfig(workbenchDefaults());
}

kvr::EvictionRunConfig EvictionSettingsPanel::config() const {
  kvr::EvictionRunConfig c;
  c.methods.clear();
  for (kvr::EvictionMethod m : kAllMethods) {
    if (methods_.at(m)->isChecked()) c.methods.push_back(m);
  }
  c.budgets = parseBudgetList(budgets_->text());
  c.base.sinks = sinks_->value();
  c.base.recent = recent_->value();
  c.base.observation = observation_->value();
  c.base.chunk = chunk_->value();
  c.base.scope = perHead_->isChecked() ? kvr::EvictionScope::PerHead : kvr::EvictionScope::PerLayer;
  c.maxNewTokens = maxNewTokens_->value();
  c.promptTemplate = template_->text().toStdString();
  c.name = name_->text().trimmed().toStdString();
  return c;
}

void EvictionSettingsPanel::setConfig(const kvr::EvictionRunConfig& c) {
  for (kvr::EvictionMethod m : kAllMethods) {
    methods_.at(m)->setChecked(std::find(c.methods.begin(), c.methods.end(), m) != c.methods.end());
  }
  budgets_->setText(budgetText(c.budgets));
  sinks_->setValue(c.base.sinks);
  recent_->setValue(c.base.recent);
  observation_->setValue(c.base.observation);
  chunk_->setValue(c.base.chunk);
  perHead_->setChecked(c.base.scope == kvr::EvictionScope::PerHead);
  maxNewTokens_->setValue(c.maxNewTokens);
  template_->setText(QString::fromStdString(c.promptTemplate));
  name_->setText(QString::fromStdString(c.name));
}

void EvictionSettingsPanel::clearRunName() {
  name_->clear();
}

void EvictionSettingsPanel::saveSettings() const {
  QSettings s;
  s.beginGroup(QStringLiteral("eviction"));
  QStringList methods;
  for (kvr::EvictionMethod m : kAllMethods) {
    if (methods_.at(m)->isChecked()) methods << QString::fromUtf8(kvr::evictionMethodName(m));
  }
  s.setValue(QStringLiteral("methods"), methods.join(QLatin1Char(',')));
  s.setValue(QStringLiteral("budgets"), budgets_->text());
  s.setValue(QStringLiteral("sinks"), sinks_->value());
  s.setValue(QStringLiteral("recent"), recent_->value());
  s.setValue(QStringLiteral("observation"), observation_->value());
  s.setValue(QStringLiteral("chunk"), chunk_->value());
  s.setValue(QStringLiteral("perHead"), perHead_->isChecked());
  s.setValue(QStringLiteral("maxNewTokens"), maxNewTokens_->value());
  s.setValue(QStringLiteral("template"), template_->text());
}

void EvictionSettingsPanel::restoreSettings() {
  QSettings s;
  s.beginGroup(QStringLiteral("eviction"));
  if (s.contains(QStringLiteral("methods"))) {
    // Names saved by another version may be unknown: those are skipped.
    const QStringList names =
        s.value(QStringLiteral("methods")).toString().split(QLatin1Char(','), Qt::SkipEmptyParts);
    for (kvr::EvictionMethod m : kAllMethods) {
      methods_.at(m)->setChecked(names.contains(QString::fromUtf8(kvr::evictionMethodName(m))));
    }
  }
  budgets_->setText(s.value(QStringLiteral("budgets"), budgets_->text()).toString());
  sinks_->setValue(s.value(QStringLiteral("sinks"), sinks_->value()).toInt());
  recent_->setValue(s.value(QStringLiteral("recent"), recent_->value()).toInt());
  observation_->setValue(s.value(QStringLiteral("observation"), observation_->value()).toInt());
  chunk_->setValue(s.value(QStringLiteral("chunk"), chunk_->value()).toInt());
  perHead_->setChecked(s.value(QStringLiteral("perHead"), perHead_->isChecked()).toBool());
  maxNewTokens_->setValue(s.value(QStringLiteral("maxNewTokens"), maxNewTokens_->value()).toInt());
  template_->setText(s.value(QStringLiteral("template"), template_->text()).toString());
}

}  // namespace kvr::ui
