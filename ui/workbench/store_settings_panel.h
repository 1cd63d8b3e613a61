#pragma once
// The K/V store settings of a run: offline or online mode (with its admission
// rule and conversation turns), the store's byte budget, the eviction policy
// and the precision new entries are stored in. The same settings as
// `kvrecycle-cli run --mode --admit-min-tokens --conversation --store-budget
// --eviction --kv-dtype`; kept between sessions with QSettings.
#include <QWidget>

#include "kvrecycle/experiment.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace kvr::ui {

class StoreSettingsPanel : public QWidget {
  Q_OBJECT
 public:
  explicit StoreSettingsPanel(QWidget* parent = nullptr);

  // Writes mode, admission, conversation, budget, eviction and dtype into
  // `config`, leaving the rest; throws kvr::Error naming the budget field when
  // its text is not a size.
  void applyTo(kvr::ExperimentConfig& config) const;
  void setFrom(const kvr::ExperimentConfig& config);

  bool online() const;
  // Switches to online conversation turns (the bundled conversation sample).
  void useConversation();
  // A new test set was loaded: it is taken as conversation turns exactly when
  // every id reads s<S>-t<T>, so a restored setting cannot misread another set.
  void followTestSet(const kvr::PromptSet& test);
  // "" when the budget text is a size (or empty), else why it is not.
  QString budgetError() const;

  void saveSettings() const;
  void restoreSettings();

 signals:
  void modeChanged(bool online);
  // The "Load conversation sample" button: the Setup page loads the bundled turns.
  void conversationSampleRequested();

 private:
  void updateEnabled();
  void checkBudget();

  QComboBox* mode_;
  QSpinBox* admitMinTokens_;
  QCheckBox* conversation_;
  QLineEdit* budget_;
  QLabel* budgetNote_;
  QComboBox* eviction_;
  QComboBox* kvDtype_;
  QCheckBox* costModel_;
};

// The budget as the budget field shows it: "" (keep the store's), "none", "64M", "1536K", "1000".
QString budgetText(int64_t bytes);

}  // namespace kvr::ui
