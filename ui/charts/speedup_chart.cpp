#include "charts/speedup_chart.h"

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace kvr::ui {

SpeedupChart::SpeedupChart(QWidget* parent)
    : ResultChart(tr("End-to-end speedup vs reuse depth"), parent) {
  plot()->xAxis->setLabel(tr("Reuse depth k/m (reused / prompt tokens)"));
  plot()->yAxis->setLabel(tr("Speedup (%)"));
  setLabelsPoints(true);  // x is reuse depth, not the prompt: name the points
  rebuild();
}

SpeedupChart::Kind SpeedupChart::kindOf(const kvr::PromptResult& r) {
  // A divergence is a finding whatever the timing; noise only qualifies timings.
  if (r.exactnessTested() && !r.exactMatch) return Kind::Diverged;
  return r.noisy ? Kind::Noisy : Kind::Exact;
}

QCPGraph* SpeedupChart::RunGraphs::graphFor(Kind kind) const {
  switch (kind) {
    case Kind::Exact:
      return exact;
    case Kind::Diverged:
      return diverged;
    case Kind::Noisy:
      return noisy;
  }
  return exact;
}

double SpeedupChart::reuseDepth(const kvr::PromptResult& r) {
  // As kvr::summarizeResults fits it: a prompt that fell back to a full
  // prefill reused nothing, whatever k it had planned.
  const bool hit = r.reusedTokens > 0 && r.fallbackReason.empty();
  return hit && r.promptTokens > 0 ? static_cast<double>(r.reusedTokens) / r.promptTokens : 0.0;
}

double SpeedupChart::prefillShare(const std::vector<kvr::PromptResult>& results) {
  double sum = 0;
  int n = 0;
  for (const auto& r : results) {
    if (r.baselineTotalSeconds <= 0) continue;
    sum += r.baselineTtftSeconds / r.baselineTotalSeconds;
    ++n;
  }
  return n > 0 ? sum / n : 0.0;
}

QCPGraph* SpeedupChart::fitLine(int run) const {
  return run >= 0 && run < graphs_.size() ? graphs_[run].fit : nullptr;
}

double SpeedupChart::alpha(int run) const {
  return run >= 0 && run < graphs_.size() ? graphs_[run].alpha : 0.0;
}

void SpeedupChart::build() {
  graphs_.clear();
  ideal_ = nullptr;
  const bool overlay = isOverlay();
  const int runCount = std::max(1, static_cast<int>(runs().size()));
  setLegendColumns(3);

  for (int run = 0; run < runCount; ++run) {
    RunGraphs g;
    const QString label = run < runs().size() && !runs()[run].label.isEmpty()
                              ? runs()[run].label
                              : tr("Run %1").arg(run + 1);
    const QColor color = overlay ? seriesColor(run) : exactColor();
    const QColor crossColor = overlay ? seriesColor(run) : divergedColor();

    g.exact = plot()->addGraph();
    g.exact->setLineStyle(QCPGraph::lsNone);
    if (overlay) {
      styleOverlayGraph(g.exact, run, 1);
    } else {
      g.exact->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, color, 7));
      g.exact->setPen(QPen(color));
    }
    g.exact->setName(overlay ? tr("%1: exact").arg(label) : tr("Exact output (median, IQR bar)"));

    g.diverged = plot()->addGraph();
    g.diverged->setLineStyle(QCPGraph::lsNone);
    g.diverged->setScatterStyle(
        QCPScatterStyle(QCPScatterStyle::ssCross, QPen(crossColor, 2), Qt::NoBrush, 8));
    g.diverged->setPen(QPen(crossColor));
    g.diverged->setName(overlay ? tr("%1: diverged").arg(label) : tr("Diverged output"));

    g.noisy = plot()->addGraph();
    g.noisy->setLineStyle(QCPGraph::lsNone);
    g.noisy->setScatterStyle(
        QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(color, 1.5), Qt::NoBrush, 8));
    g.noisy->setPen(QPen(color));
    g.noisy->setName(overlay ? tr("%1: noisy reading").arg(label)
                             : tr("Noisy reading (left out of the fit)"));

    for (QCPGraph* points : {g.exact, g.diverged, g.noisy}) {
      auto* spread = new QCPErrorBars(plot()->xAxis, plot()->yAxis);
      spread->removeFromLegend();
      spread->setDataPlottable(points);
      spread->setPen(QPen(points->pen().color(), 1));
      spread->setWhiskerWidth(5);
      spread->setSelectable(QCP::stNone);
      g.spreads.append(spread);
    }

    g.fit = plot()->addGraph();
    g.fit->setPen(
        QPen(overlay ? color : textColor(), 1.8, overlay ? seriesDash(run) : Qt::SolidLine));
    g.fit->setSelectable(QCP::stNone);

    for (QCPGraph* points : {g.exact, g.diverged, g.noisy}) {
      addPrimary(run, points);
      addHover(run, points);
    }
    graphs_.append(g);
    updatePoints(run);
  }

  if (!overlay) {
    QColor idealColor = textColor();
    idealColor.setAlphaF(0.6);
    ideal_ = plot()->addGraph();
    ideal_->setPen(QPen(idealColor, 1.5, Qt::DashLine));
    ideal_->setSelectable(QCP::stNone);
  } else {
    // Compare view: a diverged entry only for runs that have diverged points.
    for (auto& g : graphs_) {
      if (g.diverged->dataCount() == 0) g.diverged->removeFromLegend();
      if (g.noisy->dataCount() == 0) g.noisy->removeFromLegend();
    }
  }
  for (int run = 0; run < graphs_.size(); ++run) updateLines(run);
}

void SpeedupChart::updatePoints(int run) {
  RunGraphs& g = graphs_[run];
  static const std::vector<kvr::PromptResult> kNone;
  const auto& results = run < runs().size() ? runs()[run].results : kNone;
  const Kind kinds[] = {Kind::Exact, Kind::Diverged, Kind::Noisy};
  for (int k = 0; k < 3; ++k) {
    // Graph data are kept sorted by key; the error bars follow that order.
    std::vector<std::pair<double, const kvr::PromptResult*>> points;
    for (const auto& r : results) {
      if (kindOf(r) == kinds[k]) points.emplace_back(reuseDepth(r), &r);
    }
    std::stable_sort(points.begin(), points.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    QVector<double> keys, values, spreads;
    for (const auto& [key, r] : points) {
      keys << key;
      values << r->speedupPct;
      spreads << r->speedupIqrPct / 2;
    }
    g.graphFor(kinds[k])->setData(keys, values, true);
    g.spreads[k]->setData(spreads);
  }
}

void SpeedupChart::updateLines(int run) {
  RunGraphs& g = graphs_[run];
  static const std::vector<kvr::PromptResult> kNone;
  const auto& results = run < runs().size() ? runs()[run].results : kNone;
  g.alpha = kvr::summarizeResults(results).alpha;
  g.fit->setData(QVector<double>{0.0, 1.0}, QVector<double>{0.0, g.alpha}, true);
  const QString fitText = tr("fit S = %1 k/m").arg(g.alpha, 0, 'f', 1);
  if (isOverlay()) {
    const QString label =
        runs()[run].label.isEmpty() ? tr("Run %1").arg(run + 1) : runs()[run].label;
    g.fit->setName(tr("%1: %2").arg(label, fitText));
  } else {
    g.fit->setName(tr("Least-squares %1").arg(fitText));
  }
  if (ideal_ != nullptr && run == 0) {
    const double share = prefillShare(results);
    ideal_->setData(QVector<double>{0.0, 1.0}, QVector<double>{0.0, 100.0 * share}, true);
    ideal_->setName(tr("Ideal prefill skip S = %1 k/m").arg(100.0 * share, 0, 'f', 1));
  }
}

bool SpeedupChart::appendToView(const kvr::PromptResult&) {
  if (graphs_.size() != 1) return false;
  updatePoints(0);
  updateLines(0);
  return true;
}

void SpeedupChart::fitRanges() {
  double low = 0;
  double high = 0;
  for (const auto& run : runs()) {
    for (const auto& r : run.results) {
      low = std::min(low, r.speedupPct - r.speedupIqrPct / 2);
      high = std::max(high, r.speedupPct + r.speedupIqrPct / 2);
    }
  }
  for (const auto& g : graphs_) {
    high = std::max(high, g.alpha);
    low = std::min(low, g.alpha);
  }
  if (ideal_ != nullptr && !ideal_->data()->isEmpty())
    high = std::max(high, (ideal_->data()->constEnd() - 1)->value);
  if (high - low <= 0) high = 100;
  const double pad = 0.06 * (high - low);
  // k/m lies in 0..1; a sliver of margin keeps the points at 0 and 1 whole.
  plot()->xAxis->setRange(-0.02, 1.02);
  plot()->yAxis->setRange(low < 0 ? low - pad : 0.0, high + pad);
}

std::optional<QPointF> SpeedupChart::pointOf(int run, int index) const {
  if (run < 0 || run >= runs().size() || index < 0 ||
      index >= static_cast<int>(runs()[run].results.size()))
    return std::nullopt;
  const kvr::PromptResult& r = runs()[run].results[static_cast<size_t>(index)];
  return QPointF(reuseDepth(r), r.speedupPct);
}

int SpeedupChart::resultIndexAt(int run, const QCPAbstractPlottable* plottable, double key,
                                double value) const {
  if (run < 0 || run >= runs().size() || run >= graphs_.size()) return -1;
  const RunGraphs& g = graphs_[run];
  const Kind kind = plottable == g.noisy      ? Kind::Noisy
                    : plottable == g.diverged ? Kind::Diverged
                                              : Kind::Exact;
  const auto& results = runs()[run].results;
  int best = -1;
  double bestDistance = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < results.size(); ++i) {
    if (kindOf(results[i]) != kind) continue;
    const double d =
        std::abs(reuseDepth(results[i]) - key) + std::abs(results[i].speedupPct - value) * 1e-3;
    if (d < bestDistance) {
      bestDistance = d;
      best = static_cast<int>(i);
    }
  }
  return best;
}

}  // namespace kvr::ui
