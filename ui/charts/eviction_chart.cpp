#include "charts/eviction_chart.h"

#include <qcustomplot.h>

#include <QMouseEvent>
#include <QToolTip>
#include <QVBoxLayout>
#include "charts/plot_palette.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "charts/quantity_format.h"
#include "charts/result_chart.h"

namespace kvr::ui {
namespace {

int methodIndex(kvr::EvictionMethod m) {
  return static_cast<int>(m);
}

// Overlaid runs keep apart by dash and marker; the colour says the method.
Qt::PenStyle runDash(int run) {
  static const Qt::PenStyle dashes[] = {Qt::SolidLine, Qt::DashLine, Qt::DotLine, Qt::DashDotLine};
  return dashes[run % 4];
}

QCPScatterStyle::ScatterShape runShape(int run) {
  static const QCPScatterStyle::ScatterShape shapes[] = {
      QCPScatterStyle::ssCircle, QCPScatterStyle::ssSquare, QCPScatterStyle::ssTriangle,
      QCPScatterStyle::ssCross};
  return shapes[run % 4];
}

double runMarkerSize(int run) {
  static const double sizes[] = {13, 7, 9, 9};
  return sizes[run % 4];
}

QString methodText(const kvr::EvictionSummaryRow& row) {
  const QString name = QString::fromUtf8(kvr::evictionMethodName(row.method));
  return row.method == kvr::EvictionMethod::Full
             ? name
             : QStringLiteral("%1@%2").arg(name).arg(row.budget);
}

}  // namespace

QString evictionMetricName(EvictionMetric metric) {
  switch (metric) {
    case EvictionMetric::TokenAgreement:
      return EvictionChart::tr("Token agreement with full");
    case EvictionMetric::NllDelta:
      return EvictionChart::tr("NLL delta vs full (nats/token)");
    case EvictionMetric::MaxLogitDiff:
      return EvictionChart::tr("Max |Δlogit| vs full");
    case EvictionMetric::PeakEntries:
      return EvictionChart::tr("Peak live K/V entries");
  }
  return QString();
}

double evictionMetricValue(EvictionMetric metric, const kvr::EvictionSummaryRow& row) {
  switch (metric) {
    case EvictionMetric::TokenAgreement:
      return row.tokenAgreement;
    case EvictionMetric::NllDelta:
      return row.nllDelta;
    case EvictionMetric::MaxLogitDiff:
      return row.maxLogitDiff;
    case EvictionMetric::PeakEntries:
      return static_cast<double>(row.peakEntries);
  }
  return 0;
}

EvictionChart::EvictionChart(QWidget* parent) : QWidget(parent), plot_(new QCustomPlot(this)) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(plot_);
  setMinimumSize(260, 160);  // every page still fits a 1280x720 screen

  // Row 0: title; row 1: caption (exports only); row 2: axes; row 3: legend.
  plot_->plotLayout()->insertRow(0);
  QFont titleFont = font();
  titleFont.setPointSizeF(titleFont.pointSizeF() * 1.25);
  titleFont.setBold(true);
  title_ = new QCPTextElement(plot_, QString(), titleFont);
  plot_->plotLayout()->addElement(0, 0, title_);
  plot_->plotLayout()->insertRow(1);
  caption_ = new QCPTextElement(plot_, QString(), font());
  caption_->setMargins(QMargins(0, 0, 0, 0));
  plot_->plotLayout()->addElement(1, 0, caption_);
  plot_->plotLayout()->setRowStretchFactor(1, 0.001);
  placeLegendBelow(*plot_, 3, 5);
  plot_->legend->setRowSpacing(0);
  plot_->xAxis->setLabel(tr("KV footprint ratio (live entries summed over steps / full's)"));

  plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  plot_->setMouseTracking(true);
  connect(plot_, &QCustomPlot::mouseMove, this, &EvictionChart::onMouseMove);
  connect(plot_, &QCustomPlot::mousePress, this, [this] {
    dragged_ = false;
    QToolTip::hideText();
  });
  connect(plot_->xAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this,
          [this] { dragged_ = true; });
  connect(plot_, &QCustomPlot::mouseRelease, this, [this](QMouseEvent* event) {
    if (dragged_) return;
    if (const auto hit = rowAt(event->position())) emit rowClicked(hit->first, hit->second);
  });
  connect(plot_, &QCustomPlot::mouseDoubleClick, this, [this] { resetView(); });
  rebuild();
}

void EvictionChart::setSeries(const QList<EvictionSeries>& series) {
  series_ = series;
  rebuild();
}

void EvictionChart::setMetric(EvictionMetric metric) {
  metric_ = metric;
  rebuild();
}

void EvictionChart::setPublicationMode(bool on) {
  publication_ = on;
  rebuild();
}

QString EvictionChart::title() const {
  return title_->text();
}

QString EvictionChart::caption() const {
  QStringList lines;
  for (const EvictionSeries& s : series_) {
    lines << (s.description.isEmpty() ? s.label
                                      : QStringLiteral("%1 — %2").arg(s.label, s.description));
  }
  return lines.join(QLatin1Char('\n'));
}

int EvictionChart::pointCount(int run, kvr::EvictionMethod method) const {
  int n = 0;
  for (const Curve& c : curves_) {
    if (c.run != run || c.rows.empty()) continue;
    const auto& row = series_[run].rows[static_cast<size_t>(c.rows.front())];
    if (row.method == method) n += c.graph->dataCount();
  }
  return n;
}

std::optional<QPointF> EvictionChart::pointOf(int run, int index) const {
  if (run < 0 || run >= series_.size() || index < 0 ||
      index >= static_cast<int>(series_[run].rows.size()))
    return std::nullopt;
  const auto& row = series_[run].rows[static_cast<size_t>(index)];
  const double y = evictionMetricValue(metric_, row);
  if (!std::isfinite(y)) return std::nullopt;
  return QPointF(row.footprintRatio, y);
}

void EvictionChart::highlightRow(int run, int index) {
  highlightRun_ = index >= 0 ? run : -1;
  highlightIndex_ = index;
  highlight_->data()->clear();
  if (const auto at = pointOf(highlightRun_, highlightIndex_))
    highlight_->addData(at->x(), at->y());
  plot_->replot(QCustomPlot::rpQueuedReplot);
}

void EvictionChart::applyColors() {
  const QColor text = publication_ ? QColor(Qt::black) : palette().color(QPalette::WindowText);
  applyPlotPalette(*plot_, text,
                   publication_ ? QColor(Qt::white) : palette().color(QPalette::Base));
  title_->setTextColor(text);
  caption_->setTextColor(text);
}

void EvictionChart::rebuild() {
  QToolTip::hideText();
  plot_->clearPlottables();
  curves_.clear();
  applyColors();
  title_->setText(metric_ == EvictionMetric::PeakEntries ? tr("Peak live entries vs KV footprint")
                                                         : tr("Fidelity vs KV footprint"));
  caption_->setText(publication_ ? caption() : QString());
  plot_->yAxis->setLabel(evictionMetricName(metric_));
  const bool overlay = series_.size() > 1;
  double xMin = 1.0;
  double xMax = 1.0;
  double yMin = 0.0;
  double yMax = metric_ == EvictionMetric::TokenAgreement ? 1.0 : 0.0;
  for (int run = 0; run < series_.size(); ++run) {
    // One curve per method, its budgets in footprint order.
    std::map<int, std::vector<int>> byMethod;
    const auto& rows = series_[run].rows;
    for (int i = 0; i < static_cast<int>(rows.size()); ++i) {
      byMethod[methodIndex(rows[static_cast<size_t>(i)].method)].push_back(i);
    }
    for (auto& [method, indices] : byMethod) {
      std::stable_sort(indices.begin(), indices.end(), [&rows](int a, int b) {
        return rows[static_cast<size_t>(a)].footprintRatio <
               rows[static_cast<size_t>(b)].footprintRatio;
      });
      QCPGraph* graph = plot_->addGraph();
      const QColor color = ResultChart::seriesColor(method);
      const bool full = method == methodIndex(kvr::EvictionMethod::Full);
      graph->setPen(QPen(color, 2, runDash(run)));
      graph->setLineStyle(full ? QCPGraph::lsNone : QCPGraph::lsLine);
      // Overlaid: the first run's big hollow markers under the later runs' smaller
      // filled ones, so equal points show both.
      const bool hollow = full || (overlay && run == 0);
      const double size = full ? 14 : overlay ? runMarkerSize(run) : 8;
      graph->setScatterStyle(QCPScatterStyle(full ? QCPScatterStyle::ssStar : runShape(run),
                                             QPen(color, 1.8),
                                             hollow ? QBrush(Qt::NoBrush) : QBrush(color), size));
      const QString name =
          QString::fromUtf8(kvr::evictionMethodName(static_cast<kvr::EvictionMethod>(method)));
      graph->setName(overlay
                         ? QStringLiteral("%1 %2").arg(series_[run].label.section(' ', 0, 0), name)
                         : name);
      Curve curve{run, graph, {}};
      for (int i : indices) {
        const auto at = pointOf(run, i);
        if (!at) continue;
        graph->addData(at->x(), at->y());
        curve.rows.push_back(i);
        xMin = std::min(xMin, at->x());
        xMax = std::max(xMax, at->x());
        yMin = std::min(yMin, at->y());
        yMax = std::max(yMax, at->y());
      }
      curves_.append(curve);
    }
  }
  highlight_ = plot_->addGraph();
  highlight_->removeFromLegend();
  highlight_->setLineStyle(QCPGraph::lsNone);
  const QColor ring = publication_ ? QColor(Qt::black) : palette().color(QPalette::WindowText);
  highlight_->setScatterStyle(
      QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(ring, 2.5), Qt::NoBrush, 18));
  if (const auto at = pointOf(highlightRun_, highlightIndex_))
    highlight_->addData(at->x(), at->y());
  plot_->legend->setVisible(!curves_.isEmpty());
  // The span of the data, not 0..1: budgets often keep most of a short generation.
  const double xPad = std::max(0.02, (xMax - xMin) * 0.06);
  plot_->xAxis->setRange(std::max(0.0, xMin - xPad), xMax + xPad);
  const double pad = std::max(1e-3, (yMax - yMin) * 0.08);
  plot_->yAxis->setRange(yMin - pad, yMax + pad);
  plot_->replot(QCustomPlot::rpQueuedReplot);
}

void EvictionChart::resetView() {
  rebuild();
}

std::optional<std::pair<int, int>> EvictionChart::rowAt(const QPointF& pos) const {
  double best = plot_->selectionTolerance();
  std::optional<std::pair<int, int>> hit;
  for (const Curve& c : curves_) {
    QVariant details;
    const double distance = c.graph->selectTest(pos, false, &details);
    if (distance < 0 || distance >= best) continue;
    const auto selection = details.value<QCPDataSelection>();
    if (selection.isEmpty()) continue;
    const int i = selection.dataRange().begin();
    if (i < 0 || i >= static_cast<int>(c.rows.size())) continue;
    best = distance;
    hit = std::make_pair(c.run, c.rows[static_cast<size_t>(i)]);
  }
  return hit;
}

void EvictionChart::onMouseMove(QMouseEvent* event) {
  if (event->buttons() != Qt::NoButton) return;
  const auto hit = rowAt(event->position());
  if (!hit) {
    QToolTip::hideText();
    return;
  }
  QToolTip::showText(event->globalPosition().toPoint(), tooltipFor(hit->first, hit->second), plot_);
}

QString EvictionChart::tooltipFor(int run, int index) const {
  const auto& r = series_[run].rows[static_cast<size_t>(index)];
  QStringList lines;
  lines << QStringLiteral("<b>%1</b>%2")
               .arg(
                   methodText(r).toHtmlEscaped(),
                   series_.size() > 1
                       ? QStringLiteral(" &nbsp;&ndash; %1").arg(series_[run].label.toHtmlEscaped())
                       : QString());
  lines << tr("Footprint ratio %1 over %2 prompts")
               .arg(formatFraction(r.footprintRatio))
               .arg(r.prompts);
  lines << tr("Token agreement %1, first divergence (median) %2")
               .arg(formatFraction(r.tokenAgreement))
               .arg(r.firstDivergenceMedian);
  lines << tr("|Δlogit| mean %1, max %2; NLL delta %3")
               .arg(formatFraction(r.meanLogitDiff), formatFraction(r.maxLogitDiff),
                    formatFraction(r.nllDelta));
  lines << tr("Peak live entries %1 (%2 bytes)")
               .arg(quantityText(QuantityKind::Count, static_cast<double>(r.peakEntries)),
                    quantityText(QuantityKind::Count, static_cast<double>(r.peakBytes)));
  return QStringLiteral("<qt><nobr>") + lines.join(QStringLiteral("</nobr><br><nobr>")) +
         QStringLiteral("</nobr></qt>");
}

}  // namespace kvr::ui
