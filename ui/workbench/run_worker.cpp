#include "workbench/run_worker.h"

#include <filesystem>

#include "kvrecycle/error.h"
#include "kvrecycle/eviction_run.h"
#include "kvrecycle/model.h"
#include "kvrecycle/run_store.h"
#include "kvrecycle/synthetic.h"
#include "workbench/metatypes.h"

namespace kvr::ui {
namespace {

ModelInfo describeModel(const kvr::Model& model) {
  const kvr::ModelConfig& c = model.config();
  ModelInfo info;
  info.directory = QString::fromStdString(model.directory().string());
  info.weights =
      QStringLiteral("%1 (%2)").arg(QString::fromStdString(model.weightsFile().filename().string()),
                                    QString::fromStdString(model.weights().format));
  info.fingerprint = QString::fromStdString(model.fingerprint());
  info.device = QString::fromStdString(model.deviceName());
  info.weightsDtype = QString::fromUtf8(kvr::weightsDtypeName(model.weightsDtype()));
  info.threading = QString::fromStdString(model.threading());
  info.preset = QString::fromStdString(c.syntheticPreset);
  info.synthetic = c.synthetic;
  info.layers = c.nLayer;
  info.hidden = c.nEmbd;
  info.heads = c.nHead;
  info.positions = c.nPositions;
  info.parameters = c.parameterCount();
  return info;
}

}  // namespace

RunWorker::RunWorker(QObject* parent) : QObject(parent) {
  registerMetaTypes();
}
RunWorker::~RunWorker() = default;

void RunWorker::loadModel(const QString& directory, const ModelLoadChoice& choice) {
  try {
    emit modelProgress(tr("Loading %1").arg(directory), 0.0);
    kvr::LoadOptions options;
    options.device = kvr::parseDevicePreference(choice.device.toStdString());
    options.weightsDtype = kvr::parseWeightsDtype(choice.weightsDtype.toStdString());
    model_.reset();  // free the old weights first
    model_ = kvr::Model::load(directory.toStdString(), options);
    emit modelProgress(tr("Loaded"), 1.0);
    emit modelLoaded(describeModel(*model_));
  } catch (const std::exception& e) {
    emit modelFailed(QString::fromUtf8(e.what()));
  }
}

void RunWorker::makeSyntheticModel(const QString& preset, const QString& directory,
                                   const ModelLoadChoice& choice) {
  try {
    const std::filesystem::path dir = directory.toStdString();
    if (!std::filesystem::exists(dir / "config.json")) {
      kvr::SyntheticModelOptions options;
      options.preset = preset.toStdString();
      options.progress = [this, preset](double f) {
        emit modelProgress(tr("Creating synthetic %1").arg(preset), f);
      };
      kvr::writeSyntheticModel(dir, options);
    }
    loadModel(directory, choice);
  } catch (const std::exception& e) {
    emit modelFailed(QString::fromUtf8(e.what()));
  }
}

void RunWorker::runExperiment(const RunRequest& request) {
  cancel_.store(false);
  qint64 runId = 0;
  if (!model_) {
    emit runFailed(0, tr("No model is loaded."));
    return;
  }
  try {
    kvr::RunStore store(request.databasePath.toStdString());
    kvr::ExperimentCallbacks callbacks;
    callbacks.started = [&](int64_t id) {
      runId = id;
      emit runStarted(id);
    };
    callbacks.progress = [&](const kvr::ExperimentProgress& p) { emit runProgress(runId, p); };
    callbacks.promptDone = [&](const kvr::PromptResult& r) { emit promptDone(runId, r); };
    callbacks.log = [&](const std::string& line) { emit runLog(QString::fromStdString(line)); };
    const kvr::ExperimentOutcome outcome =
        kvr::runExperiment(*model_, request.cachePrompts, request.testPrompts, request.config,
                           store, callbacks, &cancel_);
    emit runFinished(outcome.runId, QString::fromUtf8(kvr::runStatusName(outcome.status)),
                     outcome.summary);
  } catch (const std::exception& e) {
    emit runFailed(runId, QString::fromUtf8(e.what()));
  }
}

void RunWorker::runEviction(const EvictionRequest& request) {
  cancel_.store(false);
  qint64 runId = 0;
  if (!model_) {
    emit runFailed(0, tr("No model is loaded."));
    return;
  }
  try {
    kvr::RunStore store(request.databasePath.toStdString());
    const int total =
        static_cast<int>(request.prompts.prompts.size() * kvr::evictionGrid(request.config).size());
    int done = 0;
    kvr::EvictionRunCallbacks callbacks;
    callbacks.started = [&](int64_t id) {
      runId = id;
      emit runStarted(id);
    };
    callbacks.rowDone = [&](const kvr::EvictionResultRow& row) {
      emit evictionRowDone(runId, row, ++done, total);
    };
    callbacks.cancel = &cancel_;
    const kvr::EvictionRunOutcome outcome =
        kvr::runEvictionExperiment(*model_, request.prompts, request.config, store, callbacks);
    emit evictionFinished(outcome.runId, QString::fromUtf8(kvr::runStatusName(outcome.status)));
  } catch (const std::exception& e) {
    emit runFailed(runId, QString::fromUtf8(e.what()));
  }
}

void registerMetaTypes() {
  qRegisterMetaType<kvr::PromptResult>();
  qRegisterMetaType<kvr::RunSummary>();
  qRegisterMetaType<kvr::ExperimentProgress>();
  qRegisterMetaType<kvr::ui::ModelInfo>();
  qRegisterMetaType<kvr::ui::RunRequest>();
  qRegisterMetaType<kvr::ui::EvictionRequest>();
  qRegisterMetaType<kvr::EvictionResultRow>();
}

QString ModelInfo::describe() const {
  return QStringLiteral("%1 layers, hidden %2, %3 heads, %4 positions, %5 M parameters, %6%7")
      .arg(layers)
      .arg(hidden)
      .arg(heads)
      .arg(positions)
      .arg(static_cast<double>(parameters) / 1e6, 0, 'f', 1)
      .arg(deviceAndWeights(),
           synthetic ? QStringLiteral(", synthetic (%1)").arg(preset) : QString());
}

QString ModelInfo::deviceAndWeights() const {
  if (weightsDtype.isEmpty() || weightsDtype == QStringLiteral("fp32")) return device;
  return QStringLiteral("%1, %2 weights").arg(device, weightsDtype);
}

}  // namespace kvr::ui
