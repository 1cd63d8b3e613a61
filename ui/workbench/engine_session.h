#pragma once
// The engine as the pages see it: the worker thread that owns the model and
// runs experiments (RunWorker), what is known about the loaded model, and the
// tokenizer that counts prompt tokens and decodes outputs on the GUI thread.
#include <QObject>
#include <QThread>
#include <memory>

#include "kvrecycle/tokenizer.h"
#include "workbench/model_info.h"
#include "workbench/run_request.h"

namespace kvr::ui {

class RunWorker;

class EngineSession : public QObject {
  Q_OBJECT
 public:
  explicit EngineSession(QObject* parent = nullptr);
  ~EngineSession() override;  // cancels a running experiment and waits for the worker

  // Asynchronous: modelLoaded or modelFailed follows.
  void loadModel(const QString& directory, const ModelLoadChoice& choice);
  // Writes the preset into <data>/models/synthetic-PRESET once, then loads it.
  void createSyntheticModel(const QString& preset, const ModelLoadChoice& choice);
  // Asynchronous: the worker's run signals follow (connect to worker()).
  void runExperiment(const RunRequest& request);
  void runEviction(const EvictionRequest& request);
  void requestCancel();

  bool modelReady() const { return ready_; }
  const ModelInfo& modelInfo() const { return model_; }
  const kvr::Gpt2Tokenizer* tokenizer() const { return tokenizer_.get(); }
  // For the run signals; it lives on the worker thread, so connections are queued.
  RunWorker* worker() const { return worker_; }

 signals:
  void modelProgress(const QString& message, double fraction);
  void modelReadyChanged(bool ready);
  void modelLoaded(const kvr::ui::ModelInfo& info);
  void modelFailed(const QString& error);
  // The old tokenizer is gone when this arrives: views drop their pointer to it.
  void tokenizerChanged(const kvr::Gpt2Tokenizer* tokenizer);
  void logLine(const QString& line);

 private:
  void beginLoading();
  void onModelLoaded(const ModelInfo& info);
  void onModelFailed(const QString& error);

  QThread thread_;
  RunWorker* worker_;  // lives on thread_
  std::unique_ptr<kvr::Gpt2Tokenizer> tokenizer_;
  ModelInfo model_;
  bool ready_ = false;
};

}  // namespace kvr::ui
