#include "workbench/engine_session.h"

#include <QSettings>

#include "kvrecycle/paths.h"
#include "kvrecycle/tokenizer.h"
#include "workbench/metatypes.h"
#include "workbench/run_worker.h"

namespace kvr::ui {

EngineSession::EngineSession(QObject* parent) : QObject(parent), worker_(new RunWorker) {
  registerMetaTypes();
  try {
    tokenizer_ = kvr::Gpt2Tokenizer::load(kvr::defaultTokenizerDirectory());
  } catch (const std::exception&) {
    // No tokenizer yet: counts show "?" until a model brings its own.
  }
  worker_->moveToThread(&thread_);
  connect(&thread_, &QThread::finished, worker_, &QObject::deleteLater);
  connect(worker_, &RunWorker::modelProgress, this, &EngineSession::modelProgress);
  connect(worker_, &RunWorker::modelLoaded, this, &EngineSession::onModelLoaded);
  connect(worker_, &RunWorker::modelFailed, this, &EngineSession::onModelFailed);
  thread_.start();
}

EngineSession::~EngineSession() {
  worker_->requestCancel();
  thread_.quit();
  thread_.wait();
}

void EngineSession::beginLoading() {
  ready_ = false;
  emit modelReadyChanged(false);
}

void EngineSession::loadModel(const QString& directory, const ModelLoadChoice& choice) {
  beginLoading();
  QMetaObject::invokeMethod(
      worker_, [w = worker_, directory, choice] { w->loadModel(directory, choice); },
      Qt::QueuedConnection);
}

void EngineSession::createSyntheticModel(const QString& preset, const ModelLoadChoice& choice) {
  beginLoading();
  const QString dir =
      QString::fromStdString(kvr::syntheticModelDirectory(preset.toStdString()).string());
  emit logLine(tr("Synthetic %1 model in %2").arg(preset, dir));
  QMetaObject::invokeMethod(
      worker_, [w = worker_, preset, dir, choice] { w->makeSyntheticModel(preset, dir, choice); },
      Qt::QueuedConnection);
}

void EngineSession::runExperiment(const RunRequest& request) {
  QMetaObject::invokeMethod(
      worker_, [w = worker_, request] { w->runExperiment(request); }, Qt::QueuedConnection);
}

void EngineSession::runEviction(const EvictionRequest& request) {
  QMetaObject::invokeMethod(
      worker_, [w = worker_, request] { w->runEviction(request); }, Qt::QueuedConnection);
}

void EngineSession::requestCancel() {
  worker_->requestCancel();
}

void EngineSession::onModelLoaded(const ModelInfo& info) {
  model_ = info;
  ready_ = true;
  QSettings().setValue(QStringLiteral("model/directory"), info.directory);
  try {
    if (kvr::Gpt2Tokenizer::hasFiles(info.directory.toStdString())) {
      tokenizer_ = kvr::Gpt2Tokenizer::load(info.directory.toStdString());
      emit tokenizerChanged(tokenizer_.get());
    }
  } catch (const std::exception& e) {
    emit logLine(QString::fromUtf8(e.what()));
  }
  emit modelLoaded(info);
  emit logLine(tr("Model %1: %2").arg(info.directory, info.describe()));
  emit logLine(tr("Weights: %1, fingerprint %2").arg(info.weights, info.fingerprint));
  emit modelReadyChanged(true);
}

void EngineSession::onModelFailed(const QString& error) {
  emit logLine(tr("Model error: %1").arg(error));
  emit modelFailed(error);
}

}  // namespace kvr::ui
