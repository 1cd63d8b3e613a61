#include "workbench/experiment_type_box.h"

#include <QComboBox>
#include <QFormLayout>
#include <QLabel>
#include <QSettings>
#include <QStackedWidget>
#include <QVBoxLayout>

#include "workbench/eviction_settings_panel.h"
#include "workbench/run_settings_panel.h"

namespace kvr::ui {
namespace {

const QString kTypeKey = QStringLiteral("experiment/type");

}  // namespace

ExperimentTypeBox::ExperimentTypeBox(QWidget* recycling, QWidget* eviction, QWidget* parent)
    : QWidget(parent) {
  type_ = new QComboBox(this);
  type_->addItem(tr("Recycling"), QStringLiteral("recycling"));
  type_->addItem(tr("Eviction"), QStringLiteral("eviction"));
  type_->setToolTip(
      tr("Recycling: reuse stored K/V of earlier prompts and measure the speedup.\n"
         "Eviction: drop K/V entries inside one generation and measure footprint vs fidelity."));
  type_->setObjectName(QStringLiteral("experimentType"));
  pages_ = new QStackedWidget(this);
  pages_->addWidget(recycling);
  pages_->addWidget(eviction);
  auto* label = new QLabel(tr("E&xperiment type"), this);
  label->setBuddy(type_);  // Alt+X, then the arrow keys, switches the type
  auto* row = new QFormLayout;
  row->setContentsMargins(0, 0, 0, 0);
  row->addRow(label, type_);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addLayout(row);
  layout->addWidget(pages_, 1);
  connect(type_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this](int index) {
    pages_->setCurrentIndex(index);
    emit typeChanged(type());
  });
}

ExperimentType ExperimentTypeBox::type() const {
  return type_->currentIndex() == 1 ? ExperimentType::Eviction : ExperimentType::Recycling;
}

void ExperimentTypeBox::setType(ExperimentType type) {
  type_->setCurrentIndex(type == ExperimentType::Eviction ? 1 : 0);
}

void ExperimentTypeBox::saveSettings() const {
  QSettings().setValue(kTypeKey, type_->currentData());
}

void ExperimentTypeBox::restoreSettings() {
  const int index = type_->findData(QSettings().value(kTypeKey).toString());
  if (index >= 0) type_->setCurrentIndex(index);
}

}  // namespace kvr::ui
