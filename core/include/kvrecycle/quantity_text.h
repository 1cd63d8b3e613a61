#pragma once
// One text form per kind of quantity, shared by every view (GUI tables,
// tooltips and summaries, the CLI and the exported tables), so the same number
// reads the same everywhere. Non-finite values print as "-".
#include <string>

namespace kvr {

enum class QuantityKind {
  Count,     // integer: "7"
  Seconds,   // "83.41 ms" below a second, "1.234 s" above (4 significant digits)
  Percent,   // value already in percent, one decimal: "9.8 %"
  Ratio,     // "1.23 x"
  Fraction,  // rates, similarities, coefficients in [0, 1]-ish: "0.857"
};

std::string formatQuantity(QuantityKind kind, double value);
// The number alone, without the unit: "9.8" for 9.77 %; the same rounding.
std::string formatQuantityNumber(QuantityKind kind, double value);
// The difference b - a as the views print it: "+1.2 %", or "same" when a and
// b print the same, so rounding noise (1e-8 on a similarity) is no difference.
std::string formatDelta(QuantityKind kind, double a, double b);

}  // namespace kvr
