#pragma once
// The Setup tab: what an experiment is made of. The two prompt sets (opened
// from files, drops, recent files or the bundled samples), the model (a
// directory, a hub cache entry or a synthetic preset, loaded by the engine
// session) and the run settings.
#include <QWidget>

#include "workbench/prompt_role.h"
#include "workbench/run_request.h"

class QAction;
class QLabel;
class QTabWidget;
class QVBoxLayout;

namespace kvr::ui {

class EngineSession;
class EvictionSettingsPanel;
class ExperimentTypeBox;
class PromptSetModel;
class RunSettingsPanel;
class StoreSettingsPanel;

class SetupPage : public QWidget {
  Q_OBJECT
 public:
  explicit SetupPage(EngineSession* engine, QWidget* parent = nullptr);

  // Replaces the set, or keeps it and says why (a dialog unless !showErrors, and the log).
  bool loadPromptFile(const QString& path, PromptRole role, bool showErrors = true);
  void openPromptDialog(PromptRole role);
  // Names with "cache" or "test" say which set a file is; otherwise the user is asked.
  void openPromptFiles(const QStringList& paths);
  void loadSampleSets(const QString& cacheFile, const QString& testFile);
  // The bundled conversation: its turns as the test set, no cache set, online mode.
  void loadConversationSample();

  // The model is loaded on the device the settings name.
  void loadModel(const QString& directory);
  void createSyntheticModel(const QString& preset);
  void openModelDialog();

  // What the workbench starts with: the study samples and the last model, else
  // a synthetic dialogpt-small.
  void loadDefaults();
  // The Run button under the settings, driving the window's Run action.
  void addRunButton(QAction* run);

  PromptSetModel* cachePrompts() const { return cacheModel_; }
  PromptSetModel* testPrompts() const { return testModel_; }
  RunSettingsPanel* settings() const { return settings_; }
  StoreSettingsPanel* storeSettings() const { return store_; }
  EvictionSettingsPanel* evictionSettings() const { return eviction_; }
  ExperimentTypeBox* experimentTypeBox() const { return type_; }
  ExperimentType experimentType() const;
  // Recycling needs the test prompts, and cache prompts unless the run is
  // online (where they are optional); eviction measures the test prompts only.
  bool promptsReady() const;
  // Both prompt sets and the settings; database and K/V store are the caller's.
  // Throws kvr::Error naming a setting that is not valid (a budget that is not a size).
  RunRequest runRequest() const;
  // The test prompts and the eviction settings; throws kvr::Error for a bad budget list.
  EvictionRequest evictionRequest() const;
  void saveSettings() const;  // the experiment type and both kinds of settings

 signals:
  void promptSetsChanged();
  // A prompt file the user chose was loaded (bundled samples are not announced).
  void promptFileLoaded(const QString& path);
  void experimentTypeChanged();
  void logLine(const QString& line);

 private:
  QWidget* buildPromptBox(PromptRole role);
  QWidget* buildModelBox();
  void showModel(bool ready);
  void updatePromptLabels();

  EngineSession* engine_;
  PromptSetModel* cacheModel_;
  PromptSetModel* testModel_;
  QLabel* cacheLabel_ = nullptr;
  QLabel* testLabel_ = nullptr;
  QLabel* modelInfo_ = nullptr;
  QLabel* syntheticNote_ = nullptr;
  RunSettingsPanel* settings_;
  StoreSettingsPanel* store_;
  QTabWidget* settingsTabs_ = nullptr;
  EvictionSettingsPanel* eviction_;
  ExperimentTypeBox* type_;
  QVBoxLayout* right_ = nullptr;
};

}  // namespace kvr::ui
