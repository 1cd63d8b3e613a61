#include "kvrecycle/quantity_text.h"

#include <cmath>
#include <cstdio>

namespace kvr {
namespace {

std::string printf1(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

const char* unitOf(QuantityKind kind, double value) {
  switch (kind) {
    case QuantityKind::Seconds:
      return std::abs(value) < 1.0 ? " ms" : " s";
    case QuantityKind::Percent:
      return " %";
    case QuantityKind::Ratio:
      return " x";
    case QuantityKind::Count:
    case QuantityKind::Fraction:
      break;
  }
  return "";
}

}  // namespace

std::string formatQuantityNumber(QuantityKind kind, double v) {
  if (!std::isfinite(v)) return "-";
  std::string text;
  switch (kind) {
    case QuantityKind::Count:
      text = printf1("%.0f", v);
      break;
    case QuantityKind::Seconds:
      text = std::abs(v) < 1.0 ? printf1("%.4g", v * 1000.0) : printf1("%.4g", v);
      break;
    case QuantityKind::Percent:
      text = printf1("%.1f", v);
      break;
    case QuantityKind::Ratio:
      text = printf1("%.2f", v);
      break;
    case QuantityKind::Fraction:
      text = printf1("%.3f", v);
      break;
  }
  if (text == "-0" || text.rfind("-0.", 0) == 0) {  // "-0.0" is zero: no sign
    if (text.find_first_not_of("-0.") == std::string::npos) text.erase(0, 1);
  }
  return text;
}

std::string formatQuantity(QuantityKind kind, double v) {
  if (!std::isfinite(v)) return "-";
  return formatQuantityNumber(kind, v) + unitOf(kind, v);
}

std::string formatDelta(QuantityKind kind, double a, double b) {
  if (!std::isfinite(a) || !std::isfinite(b)) return "-";
  if (formatQuantity(kind, a) == formatQuantity(kind, b)) return "same";
  const double d = b - a;
  std::string text = formatQuantity(kind, d);
  // The printed values differ by one in the last digit while the difference
  // itself rounds to zero ("9.7" vs "9.8", d = 0.02): two significant digits.
  if (formatQuantityNumber(kind, d).find_first_not_of("-0.") == std::string::npos) {
    text = printf1("%.2g", d) + unitOf(kind, d);
  }
  return (d > 0 ? "+" : "") + text;
}

}  // namespace kvr
