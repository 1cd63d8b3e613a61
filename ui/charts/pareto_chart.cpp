#include "charts/pareto_chart.h"

#include <qcustomplot.h>

#include <algorithm>

#include "charts/quantity_format.h"

namespace kvr::ui {

ParetoChart::ParetoChart(QWidget* parent)
    : ResultChart(tr("Pareto: TTFT saved vs K/V footprint, one point per run"), parent) {
  plot()->yAxis->setLabel(tr("TTFT saved (s, sum)"));
  rebuild();
}

QColor ParetoChart::policyColor(const QString& policy) {
  if (policy == QStringLiteral("lru")) return seriesColor(0);
  if (policy == QStringLiteral("lfu")) return seriesColor(1);
  if (policy == QStringLiteral("value")) return seriesColor(4);
  return QColor(0x8c, 0x8c, 0x8c);
}

QString ParetoChart::policyOf(const RunSeries& run) const {
  // Without a budget nothing is evicted: the policy did not act.
  return run.storeBudgetBytes > 0 ? run.eviction : tr("no budget");
}

void ParetoChart::build() {
  for (QCPItemText* label : labels_) plot()->removeItem(label);
  labels_.clear();
  points_.clear();
  double top = 0;
  QList<kvr::RunSummary> summaries;
  for (const RunSeries& run : runs()) {
    summaries << kvr::summarizeResults(run.results);
    top = std::max(top, summaries.back().footprintByteSeconds);
  }
  scale_ = binaryUnitScale(top);
  const QString unit = binaryUnitName(scale_);
  plot()->xAxis->setLabel(tr("K/V footprint: resident bytes x seconds (%1·s)").arg(unit));

  QStringList inLegend;
  for (int run = 0; run < runs().size(); ++run) {
    const kvr::RunSummary& s = summaries[run];
    const QPointF at(s.footprintByteSeconds / scale_, s.ttftSavedSeconds);
    points_ << at;
    const QString policy = policyOf(runs()[run]);
    const QColor color = policyColor(runs()[run].storeBudgetBytes > 0 ? policy : QString());
    QCPGraph* point = plot()->addGraph();
    point->setName(policy.isEmpty() ? tr("policy unknown") : policy);
    point->setLineStyle(QCPGraph::lsNone);
    point->setScatterStyle(
        QCPScatterStyle(QCPScatterStyle::ssDisc, QPen(color.darker(130), 1.5), color, 11));
    point->addData(at.x(), at.y());
    if (inLegend.contains(point->name())) {
      point->removeFromLegend();  // one legend entry per policy
    } else {
      inLegend << point->name();
    }
    addPrimary(run, point);

    auto* label = new QCPItemText(plot());
    labels_ << label;
    label->setSelectable(false);
    label->setColor(textColor());
    label->setPositionAlignment(Qt::AlignLeft | Qt::AlignBottom);
    label->position->setCoords(at.x(), at.y());
    label->setPadding(QMargins(7, 0, 0, 4));
    label->setText(elidedText(runs()[run].label.toStdString(), 24));
  }
  setLegendColumns(std::max(1, static_cast<int>(inLegend.size())));
}

bool ParetoChart::appendToView(const kvr::PromptResult& /*r*/) {
  return false;
}

std::optional<QPointF> ParetoChart::pointOf(int run, int /*index*/) const {
  if (run < 0 || run >= points_.size()) return std::nullopt;
  return points_[run];
}

void ParetoChart::fitRanges() {
  double right = 0;
  double top = 0;
  double bottom = 0;
  for (const QPointF& p : points_) {
    right = std::max(right, p.x());
    top = std::max(top, p.y());
    bottom = std::min(bottom, p.y());  // recycling can lose time: below zero
  }
  plot()->xAxis->setRange(0, right > 0 ? right * 1.25 : 1.0);
  const double span = top - bottom;
  plot()->yAxis->setRange(bottom - 0.1 * span, span > 0 ? top + 0.15 * span : 1.0);
}

}  // namespace kvr::ui
