#pragma once
// The sweep chart: a summary metric against one sweep axis, one line per
// value of another, each point the median over the runs sharing those values
// with min-max bars (sweep_chart_data.h). Numeric x values are placed by
// value, others (policy names) as categorical ticks. A click on a point names
// its cells; a selected cell's point is ringed. Exports like the result charts.
#include <QList>
#include <QSize>
#include <QString>
#include <QWidget>

#include "charts/chart_export.h"
#include "charts/sweep_chart_data.h"

class QCustomPlot;
class QCPGraph;
class QCPTextElement;

namespace kvr::ui {

class SweepChart : public QWidget {
  Q_OBJECT
 public:
  explicit SweepChart(QWidget* parent = nullptr);

  // `sweepName` goes into the caption of exports.
  void setData(const SweepChartData& data, const QString& sweepName);
  const SweepChartData& data() const { return data_; }
  int seriesCount() const;         // lines drawn
  int pointCount(int line) const;  // points drawn on that line
  QString caption() const;         // sweep, metric, axes, what the points and bars are
  QCustomPlot* plot() const { return plot_; }

  // Rings the point whose runs include `cell`; -1 clears.
  void highlightCell(int cell);

  // Black on white with the caption, then PNG/PDF/SVG as the file name says.
  void exportTo(const QString& path, QSize size = kDefaultChartSize);

 signals:
  // A click on a point: the cells whose runs it summarises.
  void cellsClicked(const QList<int>& cells);

 private:
  void rebuild();
  void applyColors();
  QColor textColor() const;

  QCustomPlot* plot_;
  QCPTextElement* title_;
  QCPTextElement* caption_;
  QCPGraph* ring_ = nullptr;
  QList<QCPGraph*> lines_;
  SweepChartData data_;
  QString sweepName_;
  int highlightedCell_ = -1;
  bool publication_ = false;
};

}  // namespace kvr::ui
