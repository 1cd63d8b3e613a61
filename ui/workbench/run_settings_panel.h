#pragma once
// The experiment settings: policy, generation length, repeats, embedder,
// prompt template, run name. Kept between sessions with QSettings.
#include <QWidget>

#include "kvrecycle/experiment.h"
#include "workbench/model_info.h"

class QCheckBox;
class QComboBox;
class QLineEdit;
class QSpinBox;

namespace kvr::ui {

class RunSettingsPanel : public QWidget {
  Q_OBJECT
 public:
  explicit RunSettingsPanel(QWidget* parent = nullptr);
  kvr::ExperimentConfig config() const;  // store directory and sources left empty
  void setConfig(const kvr::ExperimentConfig& config);
  // Device and weight precision the next model load uses.
  ModelLoadChoice loadChoice() const;
  void setLoadChoice(const ModelLoadChoice& choice);  // unknown names keep the current ones
  void saveSettings() const;
  void restoreSettings();
  // After a run started: the name was that run's; the next one gets the default.
  void clearRunName();

 private:
  QComboBox* policy_;
  QSpinBox* minReuse_;
  QSpinBox* maxNewTokens_;
  QCheckBox* ignoreEos_;
  QSpinBox* repeats_;
  QSpinBox* warmup_;
  QComboBox* device_;
  QComboBox* weightsDtype_;
  QComboBox* embedder_;
  QLineEdit* template_;
  QLineEdit* name_;
};

}  // namespace kvr::ui
