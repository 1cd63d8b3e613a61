#pragma once
// One look for every figure: axes, ticks, labels, a dotted grid and a
// borderless legend in the text colour over the background, on screen (the
// widget palette) and in exports (black on white).
#include <QColor>

class QCustomPlot;

namespace kvr::ui {

void applyPlotPalette(QCustomPlot& plot, const QColor& text, const QColor& background);

}  // namespace kvr::ui
