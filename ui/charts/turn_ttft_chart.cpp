#include "charts/turn_ttft_chart.h"

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

#include "charts/store_series.h"

namespace kvr::ui {

TurnTtftChart::TurnTtftChart(QWidget* parent)
    : ResultChart(tr("TTFT per conversation turn: baseline vs recycled"), parent) {
  plot()->xAxis->setLabel(tr("Turn (median over sessions, min-max whiskers)"));
  plot()->yAxis->setLabel(tr("TTFT (s)"));
  auto ticker = QSharedPointer<QCPAxisTickerFixed>::create();
  ticker->setTickStep(1.0);
  ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
  plot()->xAxis->setTicker(ticker);
  emptyNote_ = addCentreNote(
      tr("No conversation turns in this run.\nLoad the conversation sample (Setup, K/V store) "
         "and run online."));
  rebuild();
}

void TurnTtftChart::addArm(int run, const QString& name, bool recycled, bool overlay) {
  const std::vector<TurnTtft> turns = ttftByTurn(runs()[run].results);
  QCPGraph* graph = plot()->addGraph();
  graph->setName(name);
  const QColor color = overlay ? seriesColor(run) : seriesColor(recycled ? 1 : 0);
  if (overlay) {
    styleOverlayGraph(graph, run, recycled ? 2 : 1, !recycled);
  } else {
    graph->setPen(QPen(color, 2));
    graph->setScatterStyle(
        QCPScatterStyle(recycled ? QCPScatterStyle::ssDisc : QCPScatterStyle::ssCircle,
                        QPen(color, 1.8), recycled ? QBrush(color) : QBrush(backgroundColor()), 8));
  }
  if (!recycled) {  // baseline dashed in the compare view, so the arms stay apart
    QPen pen = graph->pen();
    if (overlay) pen.setStyle(Qt::DashLine);
    graph->setPen(pen);
  }
  auto* whiskers = new QCPErrorBars(plot()->xAxis, plot()->yAxis);
  whiskers->removeFromLegend();
  whiskers->setDataPlottable(graph);
  whiskers->setPen(QPen(color.darker(130), 1));
  whiskers->setWhiskerWidth(6);
  whiskers->setSelectable(QCP::stNone);
  for (const TurnTtft& t : turns) {
    const double median = recycled ? t.recycledMedian : t.baselineMedian;
    const double low = recycled ? t.recycledMin : t.baselineMin;
    const double high = recycled ? t.recycledMax : t.baselineMax;
    graph->addData(t.turn, median);
    whiskers->addData(median - low, high - median);
  }
  if (recycled) addPrimary(run, graph);
  addHover(run, graph);
}

void TurnTtftChart::build() {
  setLegendColumns(2);
  const bool overlay = isOverlay();
  bool any = false;
  for (int run = 0; run < runs().size(); ++run) {
    const QString label =
        runs()[run].label.isEmpty() ? tr("Run %1").arg(run + 1) : runs()[run].label;
    addArm(run, overlay ? tr("%1: baseline").arg(label) : tr("Baseline TTFT (full prefill)"), false,
           overlay);
    addArm(run, overlay ? tr("%1: recycled").arg(label) : tr("Recycled TTFT (KV load + prefill)"),
           true, overlay);
    any = any || !ttftByTurn(runs()[run].results).empty();
  }
  emptyNote_->setColor(textColor());
  emptyNote_->setVisible(!any && !runs().isEmpty() && !runs().front().results.empty());
}

bool TurnTtftChart::appendToView(const kvr::PromptResult& /*r*/) {
  return false;  // a new turn moves the medians: rebuild (a few points)
}

int TurnTtftChart::resultIndexAt(int run, const QCPAbstractPlottable* /*plottable*/, double key,
                                 double value) const {
  // The session's turn closest to the hovered median.
  const auto& results = runs()[run].results;
  const int turn = static_cast<int>(std::lround(key));
  int best = -1;
  double bestDistance = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    if (results[i].turn != turn) continue;
    const double d = std::min(std::abs(results[i].recycledTtftSeconds - value),
                              std::abs(results[i].baselineTtftSeconds - value));
    if (best < 0 || d < bestDistance) {
      best = static_cast<int>(i);
      bestDistance = d;
    }
  }
  return best;
}

std::optional<QPointF> TurnTtftChart::pointOf(int run, int index) const {
  const kvr::PromptResult* r = resultAt(run, index);
  if (r == nullptr || r->turn <= 0) return std::nullopt;
  return QPointF(r->turn, r->recycledTtftSeconds);
}

void TurnTtftChart::fitRanges() {
  int last = 1;
  double top = 0;
  for (const auto& run : runs()) {
    for (const TurnTtft& t : ttftByTurn(run.results)) {
      last = std::max(last, t.turn);
      top = std::max({top, t.baselineMax, t.recycledMax});
    }
  }
  plot()->xAxis->setRange(0.5, last + 0.5);
  plot()->yAxis->setRange(0, top > 0 ? top * 1.1 : 1.0);
}

}  // namespace kvr::ui
