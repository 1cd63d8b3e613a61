#include "charts/quantity_format.h"

namespace kvr::ui {

QString quantityText(QuantityKind kind, double value) {
  return QString::fromStdString(kvr::formatQuantity(kind, value));
}

QString deltaText(QuantityKind kind, double a, double b) {
  return QString::fromStdString(kvr::formatDelta(kind, a, b));
}

QString elidedText(const std::string& text, int maxChars) {
  QString t = QString::fromStdString(text).simplified();
  if (t.size() > maxChars) t = t.left(maxChars - 1) + QChar(0x2026);
  return t;
}

}  // namespace kvr::ui
