#pragma once
// The worker that owns the engine: loads models and runs experiments on its
// own thread (moveToThread), reporting through queued signals. The GUI thread
// never calls the engine's heavy paths.
#include <QObject>
#include <atomic>
#include <memory>

#include "workbench/model_info.h"
#include "workbench/run_request.h"

namespace kvr {
class Model;
}

namespace kvr::ui {

class RunWorker : public QObject {
  Q_OBJECT
 public:
  explicit RunWorker(QObject* parent = nullptr);
  ~RunWorker() override;

  // Thread-safe: asks the running experiment to stop between decode steps.
  void requestCancel() { cancel_.store(true); }

 public slots:
  void loadModel(const QString& directory, const ModelLoadChoice& choice);
  // Writes a synthetic preset into `directory` (unless it is already there), then loads it.
  void makeSyntheticModel(const QString& preset, const QString& directory,
                          const ModelLoadChoice& choice);
  void runExperiment(const kvr::ui::RunRequest& request);
  // Every method x budget on every prompt, stored as an eviction run (as kvrecycle-cli evict).
  void runEviction(const kvr::ui::EvictionRequest& request);

 signals:
  void modelProgress(const QString& message, double fraction);
  void modelLoaded(const kvr::ui::ModelInfo& info);
  void modelFailed(const QString& error);
  void runStarted(qint64 runId);
  void runProgress(qint64 runId, const kvr::ExperimentProgress& progress);
  void promptDone(qint64 runId, const kvr::PromptResult& result);
  void runLog(const QString& line);
  void runFinished(qint64 runId, const QString& status, const kvr::RunSummary& summary);
  void runFailed(qint64 runId, const QString& error);
  // An eviction run: one prompt x method x budget measured (`done` of `total` such cells).
  void evictionRowDone(qint64 runId, const kvr::EvictionResultRow& row, int done, int total);
  void evictionFinished(qint64 runId, const QString& status);

 private:
  std::unique_ptr<kvr::Model> model_;
  std::atomic<bool> cancel_{false};
};

}  // namespace kvr::ui
