#pragma once
// The engine's one text form per kind of quantity (kvrecycle/quantity_text.h)
// as QString, for every view: tables, tooltips, summaries, compare deltas.
#include <QString>

#include "kvrecycle/quantity_text.h"

namespace kvr::ui {

using kvr::QuantityKind;

QString quantityText(QuantityKind kind, double value);
QString deltaText(QuantityKind kind, double a, double b);

inline QString formatSeconds(double seconds) {
  return quantityText(QuantityKind::Seconds, seconds);
}
inline QString formatPercent(double percent) {
  return quantityText(QuantityKind::Percent, percent);
}
inline QString formatRatio(double ratio) {
  return quantityText(QuantityKind::Ratio, ratio);
}
inline QString formatFraction(double fraction) {
  return quantityText(QuantityKind::Fraction, fraction);
}

// Bytes in binary units: "512 B", "64.0 KiB", "1.50 MiB", "2.00 GiB"; "-" when not finite.
QString formatBytes(double bytes);

// The binary unit (1, 1024, 1024^2 or 1024^3 bytes) that keeps `largest`
// below 1024 units, for chart axes, and its name ("B", "KiB", "MiB", "GiB").
double binaryUnitScale(double largest);
QString binaryUnitName(double scale);

// `text` on one line, cut to `maxChars` with an ellipsis: prompt ids and
// texts in tooltips and chart labels.
QString elidedText(const std::string& text, int maxChars);

}  // namespace kvr::ui
