#pragma once
// Publication export of the result charts: PNG (raster), PDF and SVG
// (vector, text kept as text). Figures are drawn black on white whatever the
// widget palette, with title, legend and axis titles.
#include <QList>
#include <QSize>
#include <QString>
#include <QStringList>

#include "charts/run_series.h"

namespace kvr::ui {

class ResultChart;

enum class ChartFormat { Png, Pdf, Svg };

// "png", "pdf", "svg".
QString chartFormatSuffix(ChartFormat format);

// Writes the chart at `size` (pixels for PNG, the page/view box for PDF and
// SVG; an empty size means 1200x800). Throws std::runtime_error naming the
// path when the file cannot be written.
void exportChart(ResultChart& chart, const QString& path, ChartFormat format, QSize size);

// Draws the three charts of `runs` off-screen (needs a QApplication; works
// with QT_QPA_PLATFORM=offscreen) and writes latency, speedup and similarity
// as .png, .pdf and .svg into `directory`, creating it if missing. Returns
// the nine paths. Call from the GUI thread.
QStringList exportAllCharts(const QList<RunSeries>& runs, const QString& directory, QSize size);

}  // namespace kvr::ui
