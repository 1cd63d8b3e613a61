#pragma once
// What the GUI shows about the loaded model.
#include <QMetaType>
#include <QString>

namespace kvr::ui {

// How the user chose to load a model (the Setup tab's Device and Weights).
struct ModelLoadChoice {
  QString device = QStringLiteral("auto");        // auto, cpu, cuda
  QString weightsDtype = QStringLiteral("fp32");  // fp32, or bf16 (CPU only, never the default)
};

struct ModelInfo {
  QString directory;
  QString weights;  // the file loaded and its format, e.g. "pytorch_model.bin (torch-legacy)"
  QString fingerprint;
  QString device;
  QString weightsDtype;  // "fp32" or "bf16"
  QString threading;
  QString preset;  // synthetic preset, "" for real models
  bool synthetic = false;
  int layers = 0;
  int hidden = 0;
  int heads = 0;
  int positions = 0;
  qint64 parameters = 0;
  QString describe() const;  // one line: architecture, parameters, device, weights
  // "cpu", or "cpu, bf16 weights" when not float32.
  QString deviceAndWeights() const;
};

}  // namespace kvr::ui

Q_DECLARE_METATYPE(kvr::ui::ModelInfo)
