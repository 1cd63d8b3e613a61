#include "charts/resident_bytes_chart.h"

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

#include "charts/quantity_format.h"
#include "charts/store_series.h"

namespace kvr::ui {
QString footprintText(const std::vector<kvr::PromptResult>& results) {
  const kvr::RunSummary s = kvr::summarizeResults(results);
  // Byte-seconds print like bytes, with "·s": the unit reads as the area.
  QString text = ResidentBytesChart::tr("footprint %1·s").arg(formatBytes(s.footprintByteSeconds));
  if (std::isfinite(s.footprintRatio)) {
    text += ResidentBytesChart::tr(" (%1 of unbounded)").arg(s.footprintRatio, 0, 'f', 2);
  }
  return text + ResidentBytesChart::tr(", peak %1").arg(formatBytes(s.peakResidentBytes));
}

ResidentBytesChart::ResidentBytesChart(QWidget* parent)
    : ResultChart(tr("Resident K/V bytes over the run"), parent) {
  plot()->xAxis->setLabel(tr("Time since the run started (s)"));
  emptyNote_ = addCentreNote(tr("This run recorded no store samples."));
  rebuild();
}

double ResidentBytesChart::topBytes() const {
  double top = 0;
  for (const RunSeries& run : runs()) {
    top = std::max(top, static_cast<double>(run.storeBudgetBytes));
    for (const ResidentStep& s : residentSteps(run.results)) {
      top = std::max(top, static_cast<double>(s.residentBytes));
      // The unbounded store is drawn in the single-run view only.
      if (!isOverlay()) top = std::max(top, static_cast<double>(s.unboundedBytes));
    }
  }
  return top;
}

void ResidentBytesChart::chooseScale() {
  scale_ = binaryUnitScale(topBytes());
  plot()->yAxis->setLabel(tr("Resident K/V (%1)").arg(binaryUnitName(scale_)));
}

void ResidentBytesChart::build() {
  chooseScale();
  const bool overlay = isOverlay();
  setLegendColumns(overlay ? 1 : 3);
  bool any = false;
  for (int run = 0; run < runs().size(); ++run) {
    const RunSeries& series = runs()[run];
    const std::vector<ResidentStep> steps = residentSteps(series.results);
    any = any || !steps.empty();
    const QColor color = seriesColor(overlay ? run : 0);
    const QString prefix =
        overlay ? (series.label.isEmpty() ? tr("Run %1").arg(run + 1) : series.label) +
                      QStringLiteral(": ")
                : QString();
    // Compare view: one legend entry per run, naming its budget; the
    // unbounded stores would double the lines and the legend.
    QString name = overlay ? prefix + footprintText(series.results)
                           : tr("resident, %1").arg(footprintText(series.results));
    if (overlay && series.storeBudgetBytes > 0) {
      name += tr(", budget %1").arg(formatBytes(series.storeBudgetBytes));
    }
    QCPGraph* resident = plot()->addGraph();
    resident->setName(name);
    resident->setLineStyle(QCPGraph::lsStepLeft);
    resident->setPen(QPen(color, 2, overlay ? seriesDash(run) : Qt::SolidLine));
    if (!overlay) {
      QColor fill = color;
      fill.setAlphaF(0.18);  // the footprint is this area
      resident->setBrush(fill);
      QCPGraph* unbounded = plot()->addGraph();
      unbounded->setName(tr("unbounded store"));
      unbounded->setLineStyle(QCPGraph::lsStepLeft);
      QColor faint = textColor();
      faint.setAlphaF(0.5);
      unbounded->setPen(QPen(faint, 1, Qt::DashLine));
      for (const ResidentStep& s : steps) {
        unbounded->addData(s.seconds, static_cast<double>(s.unboundedBytes) / scale_);
      }
    }
    for (const ResidentStep& s : steps) {
      resident->addData(s.seconds, static_cast<double>(s.residentBytes) / scale_);
    }
    addPrimary(run, resident);
    addHover(run, resident);
    if (series.storeBudgetBytes > 0 && !steps.empty()) {
      QCPGraph* budget = plot()->addGraph();
      budget->setName(tr("budget %1").arg(formatBytes(series.storeBudgetBytes)));
      budget->setPen(QPen(overlay ? color : divergedColor(), 1.5, Qt::DashDotLine));
      if (overlay) budget->removeFromLegend();  // named in the run's entry
      const double y = static_cast<double>(series.storeBudgetBytes) / scale_;
      budget->addData(std::min(0.0, steps.front().seconds), y);
      budget->addData(steps.back().seconds, y);
    }
  }
  emptyNote_->setColor(textColor());
  emptyNote_->setVisible(!any && !runs().isEmpty() && !runs().front().results.empty());
}

bool ResidentBytesChart::appendToView(const kvr::PromptResult& /*r*/) {
  return false;  // the footprint in the legend and the unit change: rebuild
}

int ResidentBytesChart::resultIndexAt(int run, const QCPAbstractPlottable* /*plottable*/,
                                      double key, double /*value*/) const {
  // The prompt whose samples include the hovered time.
  int index = -1;
  for (const ResidentStep& s : residentSteps(runs()[run].results)) {
    if (s.seconds > key + 1e-9) break;
    index = s.resultIndex;
  }
  return index;
}

std::optional<QPointF> ResidentBytesChart::pointOf(int run, int index) const {
  const kvr::PromptResult* r = resultAt(run, index);
  if (r == nullptr || r->storeSamples.empty()) return std::nullopt;
  const kvr::StoreSample& last = r->storeSamples.back();
  return QPointF(last.seconds, static_cast<double>(last.residentBytes) / scale_);
}

void ResidentBytesChart::fitRanges() {
  double first = 0;
  double last = 0;
  for (const RunSeries& run : runs()) {
    for (const ResidentStep& s : residentSteps(run.results)) {
      first = std::min(first, s.seconds);
      last = std::max(last, s.seconds);
    }
  }
  const double top = topBytes();
  plot()->xAxis->setRange(first, last > first ? last * 1.02 : first + 1.0);
  plot()->yAxis->setRange(0, top > 0 ? top / scale_ * 1.1 : 1.0);
}

QString ResidentBytesChart::caption() const {
  QStringList lines;
  const QString base = ResultChart::caption();
  if (!base.isEmpty()) lines << base;
  for (const RunSeries& run : runs()) {
    if (run.results.empty()) continue;
    QString line = footprintText(run.results);
    if (run.storeBudgetBytes > 0) line += tr(", budget %1").arg(formatBytes(run.storeBudgetBytes));
    if (!run.eviction.isEmpty()) line += tr(", eviction %1").arg(run.eviction);
    lines << (isOverlay() ? QStringLiteral("%1: %2").arg(run.label, line) : line);
  }
  return lines.join(QLatin1Char('\n'));
}

}  // namespace kvr::ui
