#pragma once
// One look for every figure: axes, ticks, labels, a dotted grid and a
// borderless legend in the text colour over the background, on screen (the
// widget palette) and in exports (black on white).
#include <QColor>

class QCustomPlot;

namespace kvr::ui {

void applyPlotPalette(QCustomPlot& plot, const QColor& text, const QColor& background);

// Moves the legend out of the data into row `row` of the plot's layout, below
// the axis rect so it never hides a point: compact, `wrap` entries per row.
void placeLegendBelow(QCustomPlot& plot, int row, int wrap);

}  // namespace kvr::ui
