#include "charts/cost_model_chart.h"

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace kvr::ui {
namespace {

constexpr double kGap = std::numeric_limits<double>::quiet_NaN();  // QCustomPlot leaves a gap

QCPGraph* pointsGraph(QCustomPlot* plot, const QString& name, const QColor& color,
                      QCPScatterStyle::ScatterShape shape) {
  QCPGraph* g = plot->addGraph();
  g->setName(name);
  g->setLineStyle(QCPGraph::lsNone);
  g->setPen(QPen(color, 1.5));
  g->setScatterStyle(QCPScatterStyle(shape, color, color, 7));
  return g;
}

QCPGraph* dashedGraph(QCustomPlot* plot, const QString& name, const QColor& color) {
  QCPGraph* g = plot->addGraph();
  g->setName(name);
  g->setPen(QPen(color, 1.2, Qt::DashLine));
  g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, color, Qt::transparent, 5));
  return g;
}

double orGap(double v, bool decided) {
  return decided && std::isfinite(v) ? v : kGap;
}

}  // namespace

CostModelChart::CostModelChart(QWidget* parent)
    : ResultChart(tr("Cost model: predicted vs measured TTFT"), parent) {
  plot()->xAxis->setLabel(tr("Prompt (id)"));
  plot()->yAxis->setLabel(tr("Time to first token (s)"));
  setPromptTicker(plot()->xAxis);
  rebuild();
}

bool CostModelChart::usedCostModel(const std::vector<kvr::PromptResult>& results) {
  return std::any_of(results.begin(), results.end(),
                     [](const kvr::PromptResult& r) { return !r.costDecision.empty(); });
}

void CostModelChart::build() {
  graphs_.clear();
  const bool overlay = isOverlay();
  const int runCount = std::max(1, static_cast<int>(runs().size()));
  setLegendColumns(overlay ? 2 : 3);
  for (int run = 0; run < runCount; ++run) {
    Graphs g;
    if (!overlay) {
      const QColor baseline = seriesColor(0);
      const QColor recycled = seriesColor(1);
      g.measuredBaseline =
          pointsGraph(plot(), tr("Baseline TTFT, measured"), baseline, QCPScatterStyle::ssDisc);
      g.predictedBaseline = dashedGraph(plot(), tr("Baseline TTFT, predicted"), baseline);
      g.measuredRecycled = pointsGraph(plot(), tr("Recycled path TTFT, measured"), recycled,
                                       QCPScatterStyle::ssDisc);
      g.predictedRecycled = dashedGraph(plot(), tr("Recycled path TTFT, predicted"), recycled);
      g.declined = pointsGraph(plot(), tr("Declined (recycled path not taken)"), divergedColor(),
                               QCPScatterStyle::ssCross);
      addPrimary(run, g.measuredBaseline);
      for (QCPGraph* graph : {g.measuredBaseline, g.measuredRecycled, g.declined})
        addHover(run, graph);
    } else {
      const QString label =
          runs()[run].label.isEmpty() ? tr("Run %1").arg(run + 1) : runs()[run].label;
      g.measuredRecycled = plot()->addGraph();
      g.measuredRecycled->setName(tr("%1: recycled path, measured").arg(label));
      styleOverlayGraph(g.measuredRecycled, run, 2);
      g.measuredRecycled->setLineStyle(QCPGraph::lsNone);
      g.predictedRecycled = plot()->addGraph();
      g.predictedRecycled->setName(tr("%1: recycled path, predicted").arg(label));
      styleOverlayGraph(g.predictedRecycled, run, 1, true);
      addPrimary(run, g.measuredRecycled);
      addHover(run, g.measuredRecycled);
    }
    graphs_ << g;
    if (run < runs().size()) {
      const auto& results = runs()[run].results;
      for (size_t i = 0; i < results.size(); ++i)
        addPoint(g, static_cast<double>(i + 1), results[i]);
    }
  }
}

void CostModelChart::addPoint(const Graphs& g, double key, const kvr::PromptResult& r) {
  const bool decided = !r.costDecision.empty();
  const double measured = orGap(r.measuredRecycledPathTtftSeconds(), decided);
  g.measuredRecycled->addData(key, measured);
  g.predictedRecycled->addData(key, orGap(r.predictedRecycledTtftSeconds, decided));
  if (g.measuredBaseline != nullptr) {
    g.measuredBaseline->addData(key, r.baselineTtftSeconds);
    g.predictedBaseline->addData(key, orGap(r.predictedBaselineTtftSeconds, decided));
    g.declined->addData(key, r.costDecision == "decline" ? measured : kGap);
  }
}

bool CostModelChart::appendToView(const kvr::PromptResult& r) {
  if (isOverlay() || graphs_.isEmpty()) return false;
  addPoint(graphs_.front(), static_cast<double>(runs().front().results.size()), r);
  return true;
}

std::optional<QPointF> CostModelChart::pointOf(int run, int index) const {
  if (run < 0 || run >= runs().size() || index < 0 ||
      index >= static_cast<int>(runs()[run].results.size()))
    return std::nullopt;
  const kvr::PromptResult& r = runs()[run].results[static_cast<size_t>(index)];
  const double y = isOverlay() ? r.measuredRecycledPathTtftSeconds() : r.baselineTtftSeconds;
  if (!std::isfinite(y)) return std::nullopt;
  return QPointF(index + 1, y);
}

void CostModelChart::fitRanges() {
  size_t n = 0;
  double top = 0;
  for (const auto& run : runs()) {
    n = std::max(n, run.results.size());
    for (const auto& r : run.results) {
      for (const double v : {r.baselineTtftSeconds, r.measuredRecycledPathTtftSeconds(),
                             r.predictedBaselineTtftSeconds, r.predictedRecycledTtftSeconds}) {
        if (std::isfinite(v)) top = std::max(top, v);
      }
    }
  }
  plot()->xAxis->setRange(0.5, static_cast<double>(std::max<size_t>(n, 1)) + 0.5);
  plot()->yAxis->setRange(0, top > 0 ? top * 1.08 : 1.0);
}

}  // namespace kvr::ui
