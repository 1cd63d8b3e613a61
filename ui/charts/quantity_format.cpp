#include "charts/quantity_format.h"

#include <cmath>

namespace kvr::ui {

QString formatSeconds(double s) {
  if (!std::isfinite(s)) return QStringLiteral("-");
  if (std::abs(s) < 1.0) return QString::number(s * 1000.0, 'g', 4) + QStringLiteral(" ms");
  return QString::number(s, 'g', 4) + QStringLiteral(" s");
}

}  // namespace kvr::ui
