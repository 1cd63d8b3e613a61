#pragma once
// Publication export of the result charts: PNG (raster), PDF and SVG
// (vector, text kept as text). Figures are drawn black on white whatever the
// widget palette, with title, legend and axis titles.
#include <QList>
#include <QSize>
#include <QString>
#include <QStringList>
#include <optional>

#include "charts/eviction_series.h"
#include "charts/run_series.h"

class QCustomPlot;

namespace kvr::ui {

class EvictionChart;
class ResultChart;

enum class ChartFormat { Png, Pdf, Svg };

// "png", "pdf", "svg".
QString chartFormatSuffix(ChartFormat format);
// The format a file name asks for by its suffix (any case): .svg, .png, else PDF.
ChartFormat chartFormatForPath(const QString& path);

// The figure size when none is given: 6.5 x 4 in at 180 px/in.
inline constexpr QSize kDefaultChartSize(1170, 720);
// The PDF page width: a paper's full text width. Narrower pages (one column
// of two, 3.3 in) would need a layout of their own: at 9 pt the axis titles
// and legend do not fit, and scaled down the text is unreadable.
inline constexpr double kPdfFullWidthInches = 6.5;
inline constexpr double kPdfMinWidthInches = 4.5;
// "WIDTHxHEIGHT" in pixels ("1200x800", "800 X 500"), each side at least 50;
// nullopt for anything else. The GUI's size prompt and --size share this rule.
std::optional<QSize> parseChartSize(const QString& text);

// Writes the chart at `size` (pixels for PNG, the view box for SVG; an empty
// size means kDefaultChartSize), with a caption naming the runs. A PDF is a
// page `pdfWidthInches` wide with the aspect ratio of `size`, its text at the
// widget's point sizes (readable when placed at 100 %). Throws
// std::runtime_error naming the path when the file cannot be written.
void exportChart(ResultChart& chart, const QString& path, ChartFormat format, QSize size,
                 double pdfWidthInches = kPdfFullWidthInches);

// The same writers for a figure that is not a ResultChart (the sweep chart):
// the caller sets its publication colours and caption first.
void exportPlot(QCustomPlot& plot, const QString& title, const QString& path, ChartFormat format,
                QSize size, double pdfWidthInches = kPdfFullWidthInches);

// Draws the charts of `runs` off-screen (needs a QApplication; works with
// QT_QPA_PLATFORM=offscreen) and writes latency, speedup and similarity as
// .png, .pdf and .svg into `directory`, creating it if missing; also
// cost_model when a run used the cost model, ttft_per_turn when a run has
// conversation turns, resident_bytes when it has store samples, and pareto
// for two or more runs with store samples. Returns the paths. Call from the
// GUI thread.
QStringList exportAllCharts(const QList<RunSeries>& runs, const QString& directory, QSize size,
                            double pdfWidthInches = kPdfFullWidthInches);

// The eviction chart in publication mode (black on white, caption naming the
// runs), as exportChart writes the result charts.
void exportEvictionChart(EvictionChart& chart, const QString& path, ChartFormat format, QSize size,
                         double pdfWidthInches = kPdfFullWidthInches);
// The eviction figure of `runs` with each reading on the y axis (token
// agreement, NLL delta, max |dlogit|, peak live entries) as .png, .pdf and
// .svg into `directory`; returns the twelve paths. Call from the GUI thread.
QStringList exportAllEvictionCharts(const QList<EvictionSeries>& runs, const QString& directory,
                                    QSize size, double pdfWidthInches = kPdfFullWidthInches);

}  // namespace kvr::ui
