#include "charts/quantity_format.h"

namespace kvr::ui {

QString quantityText(QuantityKind kind, double value) {
  return QString::fromStdString(kvr::formatQuantity(kind, value));
}

QString deltaText(QuantityKind kind, double a, double b) {
  return QString::fromStdString(kvr::formatDelta(kind, a, b));
}

}  // namespace kvr::ui
