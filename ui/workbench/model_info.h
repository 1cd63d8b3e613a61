#pragma once
// What the GUI shows about the loaded model.
#include <QMetaType>
#include <QString>

namespace kvr::ui {

struct ModelInfo {
  QString directory;
  QString weights;  // the file loaded and its format, e.g. "pytorch_model.bin (torch-legacy)"
  QString fingerprint;
  QString device;
  QString threading;
  QString preset;  // synthetic preset, "" for real models
  bool synthetic = false;
  int layers = 0;
  int hidden = 0;
  int heads = 0;
  int positions = 0;
  qint64 parameters = 0;
  QString describe() const;  // one line: architecture, parameters, device
};

}  // namespace kvr::ui

Q_DECLARE_METATYPE(kvr::ui::ModelInfo)
