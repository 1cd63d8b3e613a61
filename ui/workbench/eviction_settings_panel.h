#pragma once
// The settings of an eviction experiment (kvrecycle-cli evict in the
// workbench): the methods, the budgets each is measured at, their window
// parameters, scope and generation length. Kept between sessions with QSettings.
#include <QWidget>
#include <map>

#include "kvrecycle/eviction_run.h"

class QCheckBox;
class QLineEdit;
class QSpinBox;

namespace kvr::ui {

class EvictionSettingsPanel : public QWidget {
  Q_OBJECT
 public:
  explicit EvictionSettingsPanel(QWidget* parent = nullptr);
  // Throws kvr::Error naming the field when the budgets list is not positive whole numbers.
  kvr::EvictionRunConfig config() const;
  void setConfig(const kvr::EvictionRunConfig& config);
  void saveSettings() const;
  void restoreSettings();
  // After a run started: the name was that run's; the next one gets the default.
  void clearRunName();

 private:
  std::map<kvr::EvictionMethod, QCheckBox*> methods_;
  QLineEdit* budgets_;
  QSpinBox* sinks_;
  QSpinBox* recent_;
  QSpinBox* observation_;
  QSpinBox* chunk_;
  QCheckBox* perHead_;
  QSpinBox* maxNewTokens_;
  QLineEdit* template_;
  QLineEdit* name_;
};

// "16, 32,64" -> {16, 32, 64}; throws kvr::Error naming the item that is not a
// positive whole number.
std::vector<int> parseBudgetList(const QString& text);

}  // namespace kvr::ui
