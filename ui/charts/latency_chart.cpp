#include "charts/latency_chart.h"

#include <qcustomplot.h>

#include <algorithm>

namespace kvr::ui {

namespace {

constexpr double kBarWidth = 0.38;  // per stack, in prompt-number units

QCPErrorBars* makeSpread(QCustomPlot* plot, QCPBars* top, const QColor& color) {
  auto* spread = new QCPErrorBars(plot->xAxis, plot->yAxis);
  spread->removeFromLegend();
  spread->setDataPlottable(top);
  spread->setPen(QPen(color.darker(170), 1));
  spread->setWhiskerWidth(4);
  spread->setSelectable(QCP::stNone);
  return spread;
}

QCPBars* makeBars(QCustomPlot* plot, QCPBarsGroup* group, const QString& name, const QColor& fill) {
  auto* bars = new QCPBars(plot->xAxis, plot->yAxis);
  bars->setName(name);
  bars->setWidth(kBarWidth);
  bars->setPen(QPen(fill.darker(140), 0.8));
  bars->setBrush(fill);
  bars->setBarsGroup(group);
  return bars;
}

}  // namespace

LatencyChart::LatencyChart(QWidget* parent)
    : ResultChart(tr("Latency per prompt: baseline vs recycled"), parent) {
  plot()->xAxis->setLabel(tr("Prompt (id)"));
  plot()->yAxis->setLabel(tr("Latency (s)"));
  setPromptTicker(plot()->xAxis);
  rebuild();
}

void LatencyChart::build() {
  delete group_;  // the plottables that used it are gone already
  group_ = nullptr;
  baselineTtft_ = baselineDecode_ = recycledTtft_ = recycledDecode_ = nullptr;
  baselineSpread_ = recycledSpread_ = nullptr;
  setLegendColumns(runs().size() <= 1 ? 4 : 2);  // one row for the single-run view

  if (runs().size() <= 1) {
    // Prefill (TTFT) in full colour, decode in a lighter shade on top of it.
    const QColor baseline = seriesColor(0);
    const QColor recycled = seriesColor(1);
    group_ = new QCPBarsGroup(plot());
    group_->setSpacingType(QCPBarsGroup::stAbsolute);
    group_->setSpacing(1);
    baselineTtft_ = makeBars(plot(), group_, tr("Baseline TTFT (prefill)"), baseline);
    baselineDecode_ = makeBars(plot(), group_, tr("Baseline decode"), baseline.lighter(150));
    recycledTtft_ = makeBars(plot(), group_, tr("Recycled TTFT (KV load + prefill)"), recycled);
    recycledDecode_ = makeBars(plot(), group_, tr("Recycled decode"), recycled.lighter(145));
    baselineDecode_->moveAbove(baselineTtft_);
    recycledDecode_->moveAbove(recycledTtft_);
    baselineSpread_ = makeSpread(plot(), baselineDecode_, baseline);
    recycledSpread_ = makeSpread(plot(), recycledDecode_, recycled);
    for (QCPBars* bars : {baselineTtft_, baselineDecode_, recycledTtft_, recycledDecode_})
      addHover(0, bars);
    addPrimary(0, baselineTtft_);
    if (!runs().isEmpty()) {
      const auto& results = runs().front().results;
      for (size_t i = 0; i < results.size(); ++i) addBars(static_cast<double>(i + 1), results[i]);
    }
    return;
  }

  for (int run = 0; run < runs().size(); ++run) {
    const QColor color = seriesColor(run);
    const QString label =
        runs()[run].label.isEmpty() ? tr("Run %1").arg(run + 1) : runs()[run].label;
    QCPGraph* recycled = plot()->addGraph();
    recycled->setName(tr("%1: recycled total").arg(label));
    styleOverlayGraph(recycled, run, 2);
    QCPGraph* baseline = plot()->addGraph();
    baseline->setName(tr("%1: baseline total").arg(label));
    styleOverlayGraph(baseline, run, 1, true);
    QColor faint = color;
    faint.setAlphaF(0.55);
    QPen pen = baseline->pen();
    pen.setColor(faint);
    baseline->setPen(pen);
    const auto& results = runs()[run].results;
    QVector<double> keys, rec, base;
    for (size_t i = 0; i < results.size(); ++i) {
      keys << static_cast<double>(i + 1);
      rec << results[i].recycledTotalSeconds;
      base << results[i].baselineTotalSeconds;
    }
    recycled->setData(keys, rec, true);
    baseline->setData(keys, base, true);
    addPrimary(run, recycled);
    addHover(run, recycled);
    addHover(run, baseline);
  }
}

void LatencyChart::addBars(double key, const kvr::PromptResult& r) {
  baselineTtft_->addData(key, r.baselineTtftSeconds);
  baselineDecode_->addData(key, r.baselineDecodeSeconds);
  recycledTtft_->addData(key, r.recycledTtftSeconds);
  recycledDecode_->addData(key, r.recycledDecodeSeconds);
  baselineSpread_->addData(r.baselineTotalIqrSeconds / 2);
  recycledSpread_->addData(r.recycledTotalIqrSeconds / 2);
}

bool LatencyChart::appendToView(const kvr::PromptResult& r) {
  if (baselineTtft_ == nullptr) return false;
  addBars(static_cast<double>(runs().front().results.size()), r);
  return true;
}

std::optional<QPointF> LatencyChart::pointOf(int run, int index) const {
  if (run < 0 || run >= runs().size() || index < 0 ||
      index >= static_cast<int>(runs()[run].results.size()))
    return std::nullopt;
  const kvr::PromptResult& r = runs()[run].results[static_cast<size_t>(index)];
  // The single-run view stacks bars: the mark sits on the taller stack.
  const double top = isOverlay() ? r.recycledTotalSeconds
                                 : std::max(r.baselineTtftSeconds + r.baselineDecodeSeconds,
                                            r.recycledTtftSeconds + r.recycledDecodeSeconds);
  return QPointF(index + 1, top);
}

void LatencyChart::fitRanges() {
  size_t n = 0;
  double top = 0;
  for (const auto& run : runs()) {
    n = std::max(n, run.results.size());
    for (const auto& r : run.results) {
      top = std::max(
          {top, r.baselineTtftSeconds + r.baselineDecodeSeconds + r.baselineTotalIqrSeconds / 2,
           r.recycledTtftSeconds + r.recycledDecodeSeconds + r.recycledTotalIqrSeconds / 2,
           r.baselineTotalSeconds, r.recycledTotalSeconds});
    }
  }
  plot()->xAxis->setRange(0.5, static_cast<double>(std::max<size_t>(n, 1)) + 0.5);
  plot()->yAxis->setRange(0, top > 0 ? top * 1.08 : 1.0);
}

}  // namespace kvr::ui
