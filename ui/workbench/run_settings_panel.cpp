#include "workbench/run_settings_panel.h"

#include "kvrecycle/error.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QLineEdit>
#include <QSettings>
#include <QSpinBox>

namespace kvr::ui {
namespace {

QSpinBox* spinBox(int min, int max, int value, QWidget* parent) {
  auto* box = new QSpinBox(parent);
  box->setRange(min, max);
  box->setValue(value);
  return box;
}

}  // namespace

RunSettingsPanel::RunSettingsPanel(QWidget* parent) : QWidget(parent) {
  policy_ = new QComboBox(this);
  policy_->addItem(tr("longest common prefix"), QStringLiteral("longest-prefix"));
  policy_->addItem(tr("paper (whole cached prompt, embedding top-1)"), QStringLiteral("paper"));
  policy_->setToolTip(tr("How a cached entry is chosen for a test prompt"));
  minReuse_ = spinBox(1, 1024, 1, this);
  maxNewTokens_ = spinBox(1, 1000, 32, this);
  ignoreEos_ = new QCheckBox(tr("keep generating after end-of-text"), this);
  repeats_ = spinBox(1, 100, 3, this);
  warmup_ = spinBox(0, 20, 1, this);
  device_ = new QComboBox(this);
  device_->addItems({QStringLiteral("auto"), QStringLiteral("cpu"), QStringLiteral("cuda")});
  device_->setToolTip(tr("Used when a model is loaded"));
  weightsDtype_ = new QComboBox(this);
  weightsDtype_->addItem(tr("fp32 (exact reference)"), QStringLiteral("fp32"));
  weightsDtype_->addItem(tr("bf16 (faster decode, CPU)"), QStringLiteral("bf16"));
  weightsDtype_->setToolTip(
      tr("Precision of the weight matrices, used when a model is loaded. bf16 streams half the "
         "bytes per decoded token; its outputs may differ from fp32's (bench-engine reports by "
         "how much), and its K/V is never shared with fp32's. Recycling stays exact against "
         "baseline in either precision."));
  embedder_ = new QComboBox(this);
  embedder_->addItem(tr("hashed n-grams (no weights)"), QStringLiteral("hashed"));
  embedder_->addItem(tr("model hidden states"), QStringLiteral("model"));
  template_ = new QLineEdit(QStringLiteral("{prompt}"), this);
  template_->setToolTip(tr("Applied before tokenization, e.g. {prompt}<|endoftext|> for DialoGPT"));
  name_ = new QLineEdit(this);
  name_->setPlaceholderText(tr("run <date> when empty"));

  // Long item texts must not widen the Setup tab past a 1280 px screen.
  for (QComboBox* box : {policy_, device_, weightsDtype_, embedder_}) {
    box->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    box->setMinimumContentsLength(14);
  }
  auto* form = new QFormLayout(this);
  form->addRow(tr("Reuse policy"), policy_);
  form->addRow(tr("Min reuse (tokens)"), minReuse_);
  form->addRow(tr("Max new tokens"), maxNewTokens_);
  form->addRow(QString(), ignoreEos_);
  form->addRow(tr("Repeats"), repeats_);
  form->addRow(tr("Warm-up runs"), warmup_);
  form->addRow(tr("Device"), device_);
  form->addRow(tr("Weights"), weightsDtype_);
  form->addRow(tr("Embedder"), embedder_);
  form->addRow(tr("Prompt template"), template_);
  form->addRow(tr("Run name"), name_);
}

kvr::ExperimentConfig RunSettingsPanel::config() const {
  kvr::ExperimentConfig c;
  c.policy = kvr::parseReusePolicy(policy_->currentData().toString().toStdString());
  c.minReuse = minReuse_->value();
  c.maxNewTokens = maxNewTokens_->value();
  c.ignoreEos = ignoreEos_->isChecked();
  c.repeats = repeats_->value();
  c.warmup = warmup_->value();
  c.embedder = kvr::parseEmbedderKind(embedder_->currentData().toString().toStdString());
  c.promptTemplate = template_->text().toStdString();
  c.name = name_->text().trimmed().toStdString();
  return c;
}

void RunSettingsPanel::setConfig(const kvr::ExperimentConfig& c) {
  policy_->setCurrentIndex(
      std::max(0, policy_->findData(QString::fromUtf8(kvr::reusePolicyName(c.policy)))));
  minReuse_->setValue(c.minReuse);
  maxNewTokens_->setValue(c.maxNewTokens);
  ignoreEos_->setChecked(c.ignoreEos);
  repeats_->setValue(c.repeats);
  warmup_->setValue(c.warmup);
  embedder_->setCurrentIndex(
      std::max(0, embedder_->findData(QString::fromUtf8(kvr::embedderKindName(c.embedder)))));
  template_->setText(QString::fromStdString(c.promptTemplate));
  name_->setText(QString::fromStdString(c.name));
}

void RunSettingsPanel::clearRunName() {
  name_->clear();
}

ModelLoadChoice RunSettingsPanel::loadChoice() const {
  return {device_->currentText(), weightsDtype_->currentData().toString()};
}

void RunSettingsPanel::setLoadChoice(const ModelLoadChoice& choice) {
  const int device = device_->findText(choice.device);
  if (device >= 0) device_->setCurrentIndex(device);
  const int dtype = weightsDtype_->findData(choice.weightsDtype);
  if (dtype >= 0) weightsDtype_->setCurrentIndex(dtype);
}

void RunSettingsPanel::saveSettings() const {
  QSettings s;
  s.beginGroup(QStringLiteral("run"));
  const kvr::ExperimentConfig c = config();
  s.setValue(QStringLiteral("policy"), QString::fromUtf8(kvr::reusePolicyName(c.policy)));
  s.setValue(QStringLiteral("minReuse"), c.minReuse);
  s.setValue(QStringLiteral("maxNewTokens"), c.maxNewTokens);
  s.setValue(QStringLiteral("ignoreEos"), c.ignoreEos);
  s.setValue(QStringLiteral("repeats"), c.repeats);
  s.setValue(QStringLiteral("warmup"), c.warmup);
  s.setValue(QStringLiteral("embedder"), QString::fromUtf8(kvr::embedderKindName(c.embedder)));
  s.setValue(QStringLiteral("template"), QString::fromStdString(c.promptTemplate));
  s.setValue(QStringLiteral("device"), device_->currentText());
  s.setValue(QStringLiteral("weightsDtype"), weightsDtype_->currentData());
}

void RunSettingsPanel::restoreSettings() {
  QSettings s;
  s.beginGroup(QStringLiteral("run"));
  kvr::ExperimentConfig c = config();
  // Names saved by an older or newer version may be unknown: keep the default then.
  try {
    c.policy = kvr::parseReusePolicy(
        s.value(QStringLiteral("policy"), kvr::reusePolicyName(c.policy)).toString().toStdString());
    c.embedder = kvr::parseEmbedderKind(
        s.value(QStringLiteral("embedder"), kvr::embedderKindName(c.embedder))
            .toString()
            .toStdString());
  } catch (const kvr::Error&) {
  }
  c.minReuse = s.value(QStringLiteral("minReuse"), c.minReuse).toInt();
  c.maxNewTokens = s.value(QStringLiteral("maxNewTokens"), c.maxNewTokens).toInt();
  c.ignoreEos = s.value(QStringLiteral("ignoreEos"), c.ignoreEos).toBool();
  c.repeats = s.value(QStringLiteral("repeats"), c.repeats).toInt();
  c.warmup = s.value(QStringLiteral("warmup"), c.warmup).toInt();
  c.promptTemplate = s.value(QStringLiteral("template"), QString::fromStdString(c.promptTemplate))
                         .toString()
                         .toStdString();
  setConfig(c);
  setLoadChoice({s.value(QStringLiteral("device")).toString(),
                 s.value(QStringLiteral("weightsDtype")).toString()});
}

}  // namespace kvr::ui
