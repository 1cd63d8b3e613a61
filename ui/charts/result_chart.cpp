#include "charts/result_chart.h"

#include "charts/quantity_format.h"

#include <qcustomplot.h>

#include <QEvent>
#include <QMouseEvent>
#include <QToolTip>
#include <QVBoxLayout>
#include "charts/plot_palette.h"

#include <algorithm>
#include <cmath>

namespace kvr::ui {

// Integer ticks at the prompt numbers 1..n, labelled with the prompt ids; the
// step (1, 2, 5, 10, ...) grows when the labels would not fit the width of the
// plot being drawn (on screen or an export), so they never pile up.
class PromptTicker : public QCPAxisTicker {
 public:
  QCustomPlot* plot = nullptr;
  QStringList ids;
  int count = 0;
  int labelPixels = 32;  // horizontal room one label needs

 protected:
  double getTickStep(const QCPRange& range) override {
    const double width = plot != nullptr ? plot->viewport().width() - 100.0 : 500.0;
    const double maxTicks = std::max(2.0, width / labelPixels);
    const double raw = range.size() / maxTicks;
    if (raw <= 1.0) return 1.0;
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    const double mantissa = raw / magnitude;
    return (mantissa <= 1.0   ? 1.0
            : mantissa <= 2.0 ? 2.0
            : mantissa <= 5.0 ? 5.0
                              : 10.0) *
           magnitude;
  }
  int getSubTickCount(double /*tickStep*/) override { return 0; }
  QString getTickLabel(double tick, const QLocale& /*locale*/, QChar /*formatChar*/,
                       int /*precision*/) override {
    const int n = static_cast<int>(std::lround(tick));
    if (std::abs(tick - n) > 1e-6 || n < 1 || n > count) return QString();
    if (n <= ids.size() && !ids[n - 1].isEmpty()) return ids[n - 1];
    return QString::number(n);
  }
};

ResultChart::ResultChart(const QString& title, QWidget* parent)
    : QWidget(parent), plot_(new QCustomPlot(this)), promptTicker_(new PromptTicker) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(plot_);
  setMinimumSize(260, 160);  // small enough that every page fits a 1280x720 screen

  // On screen: the axis rect over the legend, below the data so it never
  // hides a point. Exports put the title and the caption naming the runs on
  // top (setCaptionShown); on screen the tab names the chart, the page the run.
  QFont titleFont = font();
  titleFont.setPointSizeF(titleFont.pointSizeF() * 1.25);
  titleFont.setBold(true);
  title_ = new QCPTextElement(plot_, title, titleFont);
  caption_ = new QCPTextElement(plot_, QString(), font());
  caption_->setMargins(QMargins(0, 0, 0, 0));
  title_->setVisible(false);
  caption_->setVisible(false);

  placeLegendBelow(*plot_, 1, 2);
  plot_->legend->setRowSpacing(0);

  highlightLabel_ = new QCPItemText(plot_);
  highlightLabel_->setPositionAlignment(Qt::AlignHCenter | Qt::AlignBottom);
  highlightLabel_->setPadding(QMargins(3, 1, 3, 1));
  highlightLabel_->setSelectable(false);
  highlightLabel_->setVisible(false);

  plot_->xAxis2->setVisible(true);
  plot_->yAxis2->setVisible(true);
  plot_->xAxis2->setTickLabels(false);
  plot_->yAxis2->setTickLabels(false);
  connect(plot_->xAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), plot_->xAxis2,
          qOverload<const QCPRange&>(&QCPAxis::setRange));
  connect(plot_->yAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), plot_->yAxis2,
          qOverload<const QCPRange&>(&QCPAxis::setRange));

  plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  plot_->setMouseTracking(true);
  connect(plot_, &QCustomPlot::mouseMove, this, &ResultChart::onMouseMove);
  connect(plot_, &QCustomPlot::mousePress, this, &ResultChart::onMousePress);
  connect(plot_, &QCustomPlot::mouseRelease, this, &ResultChart::onMouseRelease);
  connect(plot_, &QCustomPlot::mouseWheel, this, [this] { userMovedView_ = true; });
  connect(plot_, &QCustomPlot::mouseDoubleClick, this, [this] {
    resetView();
    QToolTip::hideText();
  });
  applyPalette();
}

ResultChart::~ResultChart() = default;

void ResultChart::setRuns(const QList<RunSeries>& runs) {
  runs_ = runs;
  userMovedView_ = false;
  rebuild();
}

void ResultChart::appendResult(const kvr::PromptResult& r) {
  if (runs_.isEmpty()) runs_.append(RunSeries{});
  runs_[0].results.push_back(r);
  if (runs_.size() == 1 && runs_[0].results.size() > 1 && appendToView(r)) {
    updatePromptTicks();
    if (!userMovedView_) fitRanges();
    refreshOverlays();
    scheduleReplot();
    return;
  }
  rebuild();
}

void ResultChart::clear() {
  runs_.clear();
  userMovedView_ = false;
  rebuild();
}

int ResultChart::pointCount(int run) const {
  int n = 0;
  for (const auto& p : primary_) {
    if (p.run != run) continue;
    if (auto* points = p.plottable->interface1D()) n += points->dataCount();
  }
  return n;
}

QString ResultChart::title() const {
  return title_->text();
}

void ResultChart::resetView() {
  userMovedView_ = false;
  fitRanges();
  scheduleReplot();
}

void ResultChart::setPublicationColors(bool on) {
  if (publicationColors_ == on) return;
  publicationColors_ = on;
  rebuild();
}

QColor ResultChart::seriesColor(int index) {
  // Tableau 10: mid-luminance hues that read on white and on dark grey.
  static const QColor colors[] = {QColor(0x4e, 0x79, 0xa7), QColor(0xf2, 0x8e, 0x2b),
                                  QColor(0xe1, 0x57, 0x59), QColor(0x76, 0xb7, 0xb2),
                                  QColor(0x59, 0xa1, 0x4f), QColor(0xed, 0xc9, 0x48),
                                  QColor(0xb0, 0x7a, 0xa1), QColor(0xff, 0x9d, 0xa7),
                                  QColor(0x9c, 0x75, 0x5f), QColor(0xba, 0xb0, 0xac)};
  const int n = static_cast<int>(sizeof(colors) / sizeof(colors[0]));
  return colors[((index % n) + n) % n];
}

QColor ResultChart::exactColor() {
  return QColor(0x2c, 0xa0, 0x2c);
}
QColor ResultChart::divergedColor() {
  return QColor(0xd6, 0x27, 0x28);
}

int ResultChart::resultIndexAt(int /*run*/, const QCPAbstractPlottable* /*plottable*/, double key,
                               double /*value*/) const {
  return static_cast<int>(std::lround(key)) - 1;
}

void ResultChart::addPrimary(int run, QCPAbstractPlottable* plottable) {
  primary_.append({run, plottable});
}

void ResultChart::addHover(int run, QCPAbstractPlottable* plottable) {
  hover_.append({run, plottable});
}

QColor ResultChart::textColor() const {
  return publicationColors_ ? QColor(Qt::black) : palette().color(QPalette::WindowText);
}

QColor ResultChart::backgroundColor() const {
  return publicationColors_ ? QColor(Qt::white) : palette().color(QPalette::Base);
}

bool ResultChart::darkPalette() const {
  return backgroundColor().lightnessF() < 0.5;
}

void ResultChart::setPromptTicker(QCPAxis* axis) {
  axis->setTicker(promptTicker_);
}

void ResultChart::updatePromptTicks() {
  // Label ticks with the prompt ids of the first run; a compare view of runs
  // over different prompt sets falls back to prompt numbers.
  QStringList ids;
  int count = 0;
  for (const auto& run : runs_) count = std::max(count, static_cast<int>(run.results.size()));
  if (!runs_.isEmpty()) {
    for (const auto& r : runs_.front().results) ids << elidedText(r.promptId, 16);
    for (const auto& run : runs_) {
      for (size_t i = 0; i < run.results.size() && static_cast<int>(i) < ids.size(); ++i) {
        if (elidedText(run.results[i].promptId, 16) != ids[static_cast<int>(i)]) {
          ids.clear();
          break;
        }
      }
    }
  }
  int longest = 0;
  for (const auto& id : ids) longest = std::max(longest, static_cast<int>(id.size()));
  const bool rotate = longest > 5;
  const int charPixels = QFontMetrics(plot_->xAxis->tickLabelFont()).averageCharWidth();
  promptTicker_->plot = plot_;
  promptTicker_->ids = ids;
  promptTicker_->count = count;
  promptTicker_->labelPixels =
      rotate ? 4 * charPixels + 8 : std::max(longest, 2) * charPixels + 3 * charPixels;
  if (plot_->xAxis->ticker() == promptTicker_) plot_->xAxis->setTickLabelRotation(rotate ? -35 : 0);
}

void ResultChart::setLegendColumns(int columns) {
  plot_->legend->setWrap(std::max(1, columns));
}

void ResultChart::changeEvent(QEvent* event) {
  QWidget::changeEvent(event);
  if (event->type() == QEvent::PaletteChange || event->type() == QEvent::StyleChange) {
    if (built_ && !publicationColors_) rebuild();
  }
}

void ResultChart::rebuild() {
  QToolTip::hideText();
  plot_->clearPlottables();  // also removes their legend items
  primary_.clear();
  hover_.clear();
  hoverRun_ = hoverIndex_ = -1;
  applyPalette();
  updatePromptTicks();
  highlight_ = nullptr;  // cleared with the plottables
  build();
  built_ = true;
  if (!userMovedView_) fitRanges();
  refreshOverlays();
  scheduleReplot();
}

void ResultChart::applyPalette() {
  const QColor text = textColor();
  applyPlotPalette(*plot_, text, backgroundColor());
  QColor zero = text;
  zero.setAlphaF(0.45);
  for (QCPAxis* axis : plot_->axisRect()->axes()) axis->grid()->setZeroLinePen(QPen(zero, 1));
  title_->setTextColor(text);
}

void ResultChart::scheduleReplot() {
  plot_->replot(QCustomPlot::rpQueuedReplot);
}

void ResultChart::onMousePress(QMouseEvent* /*event*/) {
  QToolTip::hideText();
  pressXRange_ = {plot_->xAxis->range().lower, plot_->xAxis->range().upper};
  pressYRange_ = {plot_->yAxis->range().lower, plot_->yAxis->range().upper};
}

void ResultChart::onMouseRelease(QMouseEvent* /*event*/) {
  const QPair<double, double> x{plot_->xAxis->range().lower, plot_->xAxis->range().upper};
  const QPair<double, double> y{plot_->yAxis->range().lower, plot_->yAxis->range().upper};
  if (x != pressXRange_ || y != pressYRange_) {
    userMovedView_ = true;
  } else if (hoverRun_ >= 0 && hoverIndex_ >= 0) {
    emit resultClicked(hoverRun_, hoverIndex_);
  }
}

void ResultChart::onMouseMove(QMouseEvent* event) {
  if (event->buttons() != Qt::NoButton) return;  // dragging
  const QPointF pos = event->position();
  double best = plot_->selectionTolerance();
  int bestRun = -1;
  int bestIndex = -1;
  for (const auto& h : hover_) {
    if (!h.plottable->realVisibility()) continue;
    QVariant details;
    const double distance = h.plottable->selectTest(pos, false, &details);
    if (distance < 0 || distance >= best) continue;
    const auto selection = details.value<QCPDataSelection>();
    auto* points = h.plottable->interface1D();
    if (selection.isEmpty() || points == nullptr) continue;
    const int i = selection.dataRange().begin();
    if (i < 0 || i >= points->dataCount()) continue;
    const int index =
        resultIndexAt(h.run, h.plottable, points->dataMainKey(i), points->dataMainValue(i));
    if (h.run < 0 || h.run >= runs_.size() || index < 0 ||
        index >= static_cast<int>(runs_[h.run].results.size()))
      continue;
    best = distance;
    bestRun = h.run;
    bestIndex = index;
  }
  if (bestRun < 0) {
    if (hoverRun_ >= 0) QToolTip::hideText();
    hoverRun_ = hoverIndex_ = -1;
    return;
  }
  if (bestRun == hoverRun_ && bestIndex == hoverIndex_ && QToolTip::isVisible()) return;
  hoverRun_ = bestRun;
  hoverIndex_ = bestIndex;
  QToolTip::showText(event->globalPosition().toPoint(), tooltipFor(bestRun, bestIndex), plot_);
}

QString ResultChart::tooltipFor(int run, int index) const {
  const auto& r = runs_[run].results[static_cast<size_t>(index)];
  const double depth =
      r.promptTokens > 0 ? static_cast<double>(r.reusedTokens) / r.promptTokens : 0.0;
  QStringList lines;
  QString head = QStringLiteral("<b>%1</b> &nbsp;(prompt %2)")
                     .arg(QString::fromStdString(r.promptId).toHtmlEscaped())
                     .arg(index + 1);
  if (isOverlay() && !runs_[run].label.isEmpty())
    head += QStringLiteral(" &nbsp;&ndash; %1").arg(runs_[run].label.toHtmlEscaped());
  lines << head;
  lines << QStringLiteral("<i>%1</i>").arg(elidedText(r.promptText, 80).toHtmlEscaped());
  lines << QStringLiteral("Reuse depth k/m: %1/%2 (%3)")
               .arg(r.reusedTokens)
               .arg(r.promptTokens)
               .arg(depth, 0, 'f', 2);
  lines << QStringLiteral("Baseline: %1 (TTFT %2 + decode %3)")
               .arg(formatSeconds(r.baselineTotalSeconds), formatSeconds(r.baselineTtftSeconds),
                    formatSeconds(r.baselineDecodeSeconds));
  lines << QStringLiteral("Recycled: %1 (TTFT %2 incl. KV load %3 + decode %4)")
               .arg(formatSeconds(r.recycledTotalSeconds), formatSeconds(r.recycledTtftSeconds),
                    formatSeconds(r.kvLoadSeconds), formatSeconds(r.recycledDecodeSeconds));
  lines << QStringLiteral("End-to-end speedup: %1 (IQR %2) &nbsp;&middot; TTFT speedup %3")
               .arg(formatPercent(r.speedupPct), formatPercent(r.speedupIqrPct),
                    formatRatio(r.ttftSpeedup));
  if (r.noisy) {
    lines << QStringLiteral("<span style=\"color:#c07000\"><b>Noisy reading</b>: %1</span>")
                 .arg(QString::fromStdString(r.noiseReason).toHtmlEscaped());
  }
  const QString exactness =
      !r.exactnessTested() ? QStringLiteral("exactness not tested: nothing was reused")
      : r.exactMatch       ? QStringLiteral("exact match")
                           : QStringLiteral("diverged at token %1, max |&Delta;logit| %2")
                           .arg(r.firstDivergence)
                           .arg(r.maxLogitDiff, 0, 'g', 3);
  lines << QStringLiteral("Output similarity: %1 &nbsp;(%2)")
               .arg(formatFraction(r.outputSimilarity), exactness);
  if (!r.fallbackReason.empty())
    lines << QStringLiteral("Fallback: %1")
                 .arg(QString::fromStdString(r.fallbackReason).toHtmlEscaped());
  return QStringLiteral("<qt><nobr>") + lines.join(QStringLiteral("</nobr><br><nobr>")) +
         QStringLiteral("</nobr></qt>");
}

}  // namespace kvr::ui
