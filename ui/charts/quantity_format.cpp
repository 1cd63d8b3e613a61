#include "charts/quantity_format.h"

#include <cmath>

namespace kvr::ui {

QString quantityText(QuantityKind kind, double value) {
  return QString::fromStdString(kvr::formatQuantity(kind, value));
}

QString deltaText(QuantityKind kind, double a, double b) {
  return QString::fromStdString(kvr::formatDelta(kind, a, b));
}

QString formatBytes(double bytes) {
  if (!std::isfinite(bytes)) return QStringLiteral("-");
  static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  double value = bytes;
  while (std::abs(value) >= 1024.0 && unit < 4) {
    value /= 1024.0;
    ++unit;
  }
  if (unit == 0) return QStringLiteral("%1 B").arg(value, 0, 'f', 0);
  // Three significant digits: 1.50 MiB, 64.0 MiB, 512 MiB.
  const int decimals = std::abs(value) < 10 ? 2 : std::abs(value) < 100 ? 1 : 0;
  return QStringLiteral("%1 %2").arg(value, 0, 'f', decimals).arg(QLatin1String(units[unit]));
}

double binaryUnitScale(double largest) {
  double scale = 1;
  while (largest / scale >= 1024.0 && scale < 1024.0 * 1024.0 * 1024.0) scale *= 1024.0;
  return scale;
}

QString binaryUnitName(double scale) {
  if (scale >= 1024.0 * 1024.0 * 1024.0) return QStringLiteral("GiB");
  if (scale >= 1024.0 * 1024.0) return QStringLiteral("MiB");
  if (scale >= 1024.0) return QStringLiteral("KiB");
  return QStringLiteral("B");
}

QString elidedText(const std::string& text, int maxChars) {
  QString t = QString::fromStdString(text).simplified();
  if (t.size() > maxChars) t = t.left(maxChars - 1) + QChar(0x2026);
  return t;
}

}  // namespace kvr::ui
