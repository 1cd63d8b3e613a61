#include "charts/sweep_chart.h"

#include <qcustomplot.h>

#include <QMouseEvent>
#include <QVBoxLayout>
#include "charts/plot_palette.h"

#include <algorithm>
#include <cmath>

#include "charts/result_chart.h"

namespace kvr::ui {
namespace {

// A log x axis when positive values span more than this factor (store budgets 1M..256M).
constexpr double kLogSpan = 20.0;
constexpr double kClickTolerance = 10.0;  // pixels

}  // namespace

SweepChart::SweepChart(QWidget* parent) : QWidget(parent), plot_(new QCustomPlot(this)) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(plot_);
  setMinimumSize(260, 160);

  // Rows: title, caption (what the points and bars are), the axes, the legend.
  plot_->plotLayout()->insertRow(0);
  QFont titleFont = font();
  titleFont.setPointSizeF(titleFont.pointSizeF() * 1.15);
  titleFont.setBold(true);
  title_ = new QCPTextElement(plot_, tr("Sweep"), titleFont);
  plot_->plotLayout()->addElement(0, 0, title_);
  plot_->plotLayout()->insertRow(1);
  QFont small = font();
  small.setPointSizeF(small.pointSizeF() * 0.9);
  caption_ = new QCPTextElement(plot_, QString(), small);
  caption_->setMargins(QMargins(4, 0, 4, 2));
  plot_->plotLayout()->addElement(1, 0, caption_);
  plot_->plotLayout()->setRowStretchFactor(1, 0.001);

  placeLegendBelow(*plot_, 3, 3);

  plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  // Points drawn on top of each other (equal medians) answer together.
  connect(plot_, &QCustomPlot::mousePress, this,
          [this](QMouseEvent* event) { pressAt_ = event->position(); });
  connect(plot_, &QCustomPlot::mouseRelease, this, [this](QMouseEvent* event) {
    if ((event->position() - pressAt_).manhattanLength() > 3) return;  // a drag
    QList<int> cells;
    for (const SweepChartLine& line : data_.lines) {
      for (const SweepChartPoint& p : line.points) {
        const QPointF at(plot_->xAxis->coordToPixel(p.x), plot_->yAxis->coordToPixel(p.median));
        if ((at - event->position()).manhattanLength() <= kClickTolerance) cells << p.cells;
      }
    }
    if (!cells.isEmpty()) emit cellsClicked(cells);
  });
  connect(plot_, &QCustomPlot::mouseDoubleClick, this, [this] { rebuild(); });
  rebuild();
}

QColor SweepChart::textColor() const {
  return publication_ ? QColor(Qt::black) : palette().color(QPalette::WindowText);
}

int SweepChart::seriesCount() const {
  return static_cast<int>(lines_.size());
}

int SweepChart::pointCount(int line) const {
  if (line < 0 || line >= lines_.size()) return 0;
  return lines_[line]->data()->size();
}

void SweepChart::setData(const SweepChartData& data, const QString& sweepName) {
  data_ = data;
  sweepName_ = sweepName;
  highlightedCell_ = -1;
  rebuild();
}

QString SweepChart::caption() const {
  if (data_.xAxis.isEmpty()) return QString();
  QString axes = tr("x: %1").arg(data_.xAxis);
  if (!data_.lineAxis.isEmpty()) axes += tr(", one line per %1").arg(data_.lineAxis);
  const QString points =
      data_.maxRunsPerPoint > 1
          ? tr("points: median of the runs sharing x and line value (up to %1, other axes "
               "vary); bars: min–max of those runs")
                .arg(data_.maxRunsPerPoint)
          : tr("points: one run each (no interval: no other axis varies)");
  return tr("Sweep %1 — %2 (%3 completed runs)\n%4")
      .arg(sweepName_, axes)
      .arg(data_.runs)
      .arg(points);
}

void SweepChart::rebuild() {
  plot_->clearPlottables();
  lines_.clear();
  ring_ = nullptr;
  title_->setText(data_.xAxis.isEmpty() ? tr("Sweep chart: choose a sweep with a completed run")
                                        : tr("%1 vs %2").arg(data_.metricLabel, data_.xAxis));
  caption_->setText(caption());

  // x ticks at the values the sweep has, labelled as the spec writes them.
  QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
  QVector<double> xs;
  for (const auto& [x, text] : data_.ticks) {
    xs << x;
    ticker->addTick(x, text);
  }
  std::sort(xs.begin(), xs.end());
  const bool log =
      !data_.categorical && !xs.isEmpty() && xs.front() > 0 && xs.back() / xs.front() > kLogSpan;
  plot_->xAxis->setScaleType(log ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
  plot_->xAxis->setTicker(ticker);
  plot_->xAxis->setLabel(data_.xAxis);
  plot_->yAxis->setLabel(data_.metricLabel);

  double yLow = 0, yHigh = 0;
  bool any = false;
  for (int i = 0; i < data_.lines.size(); ++i) {
    const SweepChartLine& line = data_.lines[i];
    auto* graph = plot_->addGraph();
    lines_ << graph;
    const QColor color = ResultChart::seriesColor(i);
    graph->setPen(QPen(color, 2));
    graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(color, 2),
                                           QBrush(publication_ ? Qt::white : color), 8));
    graph->setName((line.label.isEmpty() ? data_.metricLabel : line.label) +
                   (line.points.isEmpty() ? tr(" (no completed run)") : QString()));
    QCPErrorBars* bars = nullptr;
    if (data_.maxRunsPerPoint > 1) {
      bars = new QCPErrorBars(plot_->xAxis, plot_->yAxis);
      bars->setDataPlottable(graph);
      bars->setPen(QPen(color, 1.5));
      bars->removeFromLegend();
    }
    for (const SweepChartPoint& p : line.points) {
      graph->addData(p.x, p.median);
      if (bars != nullptr) bars->addData(p.median - p.low, p.high - p.median);
      yLow = any ? std::min(yLow, p.low) : p.low;
      yHigh = any ? std::max(yHigh, p.high) : p.high;
      any = true;
    }
  }
  plot_->legend->setVisible(data_.lines.size() > 1);

  if (!xs.isEmpty()) {
    const double pad = log ? 0 : std::max(0.5, (xs.back() - xs.front()) * 0.08);
    plot_->xAxis->setRange(log ? xs.front() / 1.5 : xs.front() - pad,
                           log ? xs.back() * 1.5 : xs.back() + pad);
  } else {
    plot_->xAxis->setRange(0, 1);
  }
  double ySpan = any ? std::max(std::abs(yHigh - yLow), std::abs(yHigh) * 0.1) : 1;
  if (ySpan <= 0) ySpan = 1;  // every point at 0: a readable unit range, not 1e-9
  plot_->yAxis->setRange(any ? std::min(0.0, yLow - ySpan * 0.1) : 0,
                         any ? yHigh + std::max(ySpan * 0.1, 1e-9) : 1);

  ring_ = plot_->addGraph();
  ring_->removeFromLegend();
  ring_->setLineStyle(QCPGraph::lsNone);
  ring_->setSelectable(QCP::stNone);
  highlightCell(highlightedCell_);
  applyColors();
  plot_->replot(QCustomPlot::rpQueuedReplot);
}

void SweepChart::highlightCell(int cell) {
  highlightedCell_ = cell;
  if (ring_ == nullptr) return;
  ring_->data()->clear();
  ring_->setScatterStyle(
      QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(textColor(), 2.5), Qt::NoBrush, 16));
  for (const SweepChartLine& line : data_.lines) {
    for (const SweepChartPoint& p : line.points) {
      if (p.cells.contains(cell)) ring_->addData(p.x, p.median);
    }
  }
  plot_->replot(QCustomPlot::rpQueuedReplot);
}

void SweepChart::applyColors() {
  const QColor text = textColor();
  applyPlotPalette(*plot_, text,
                   publication_ ? QColor(Qt::white) : palette().color(QPalette::Base));
  title_->setTextColor(text);
  caption_->setTextColor(text);
}

void SweepChart::exportTo(const QString& path, QSize size) {
  publication_ = true;
  rebuild();
  plot_->replot(QCustomPlot::rpImmediateRefresh);
  try {
    exportPlot(*plot_, title_->text(), path, chartFormatForPath(path), size);
  } catch (...) {
    publication_ = false;
    rebuild();
    throw;
  }
  publication_ = false;
  rebuild();
}

}  // namespace kvr::ui
