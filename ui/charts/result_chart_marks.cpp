// The marks ResultChart draws over the data: the highlighted result (the
// table's selected row), prompt ids beside few points, the caption naming
// the runs in exports, and the per-run styles that keep overlaid runs apart.
#include <qcustomplot.h>

#include "charts/quantity_format.h"
#include "charts/result_chart.h"

namespace kvr::ui {

void ResultChart::highlightResult(int run, int index) {
  highlightRun_ = index >= 0 ? run : -1;
  highlightIndex_ = index >= 0 ? index : -1;
  refreshOverlays();
  scheduleReplot();
}

void ResultChart::setCaptionShown(bool shown) {
  if (shown != captionShown_) {
    QCPLayoutGrid* grid = plot_->plotLayout();
    if (shown) {
      grid->insertRow(0);
      grid->addElement(0, 0, title_);
      grid->insertRow(1);
      grid->addElement(1, 0, caption_);
      grid->setRowStretchFactor(1, 0.001);
    } else {
      grid->take(title_);
      grid->take(caption_);
      grid->simplify();
    }
    title_->setVisible(shown);
    caption_->setVisible(shown);
  }
  captionShown_ = shown;
  refreshOverlays();
}

QString ResultChart::caption() const {
  QStringList lines;
  for (const RunSeries& run : runs_) {
    if (run.label.isEmpty() && run.description.isEmpty()) continue;
    lines << (run.description.isEmpty()
                  ? run.label
                  : QStringLiteral("%1 — %2").arg(run.label, run.description));
  }
  return lines.join(QLatin1Char('\n'));
}

void ResultChart::refreshOverlays() {
  caption_->setText(captionShown_ ? caption() : QString());
  caption_->setTextColor(textColor());

  for (QCPItemText* label : pointLabels_) plot_->removeItem(label);
  pointLabels_.clear();
  QFont small = font();
  small.setPointSizeF(small.pointSizeF() * 0.85);
  constexpr int kMaxLabelledPoints = 15;  // more would pile up; the tooltip names them
  if (labelsPoints_ && runs_.size() == 1 &&
      static_cast<int>(runs_[0].results.size()) <= kMaxLabelledPoints) {
    for (int i = 0; i < static_cast<int>(runs_[0].results.size()); ++i) {
      if (!pointOf(0, i)) continue;
      const QPointF at = pointOf(0, i).value_or(QPointF());
      auto* label = new QCPItemText(plot_);
      label->setSelectable(false);
      label->setFont(small);
      label->setColor(textColor());
      label->setPositionAlignment(Qt::AlignLeft | Qt::AlignBottom);
      label->position->setCoords(at.x(), at.y());
      label->setPadding(QMargins(5, 0, 0, 3));
      label->setText(elidedText(runs_[0].results[static_cast<size_t>(i)].promptId, 12));
      pointLabels_ << label;
    }
  }

  const bool highlighted =
      highlightRun_ >= 0 && highlightRun_ < runs_.size() &&
      highlightIndex_ < static_cast<int>(runs_[highlightRun_].results.size()) &&
      pointOf(highlightRun_, highlightIndex_).has_value();
  const QPointF at =
      highlighted ? pointOf(highlightRun_, highlightIndex_).value_or(QPointF()) : QPointF();
  if (highlight_ == nullptr) {
    highlight_ = plot_->addGraph();
    highlight_->removeFromLegend();
    highlight_->setLineStyle(QCPGraph::lsNone);
    highlight_->setSelectable(QCP::stNone);
  }
  highlight_->setScatterStyle(
      QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(textColor(), 2.5), Qt::NoBrush, 16));
  highlight_->data()->clear();
  highlightLabel_->setVisible(highlighted);
  if (highlighted) {
    highlight_->addData(at.x(), at.y());
    const auto& r = runs_[highlightRun_].results[static_cast<size_t>(highlightIndex_)];
    highlightLabel_->setText(elidedText(r.promptId, 24));
    highlightLabel_->setFont(font());
    highlightLabel_->setColor(textColor());
    highlightLabel_->setBrush(QBrush(backgroundColor()));
    highlightLabel_->position->setCoords(at.x(), at.y());
    highlightLabel_->setPadding(QMargins(3, 1, 3, 1));
    highlightLabel_->setClipToAxisRect(false);
  }
}

const kvr::PromptResult* ResultChart::resultAt(int run, int index) const {
  if (run < 0 || run >= runs_.size() || index < 0 ||
      index >= static_cast<int>(runs_[run].results.size()))
    return nullptr;
  return &runs_[run].results[static_cast<size_t>(index)];
}

QCPItemText* ResultChart::addCentreNote(const QString& text) {
  auto* note = new QCPItemText(plot_);
  note->setSelectable(false);
  note->position->setType(QCPItemPosition::ptAxisRectRatio);
  note->position->setCoords(0.5, 0.5);
  note->setText(text);
  note->setVisible(false);
  return note;
}

QString ResultChart::plotLibraryVersion() {
  return QStringLiteral(QCUSTOMPLOT_VERSION_STR);
}

Qt::PenStyle ResultChart::seriesDash(int run) {
  static const Qt::PenStyle dashes[] = {Qt::SolidLine, Qt::DashLine, Qt::DotLine, Qt::DashDotLine,
                                        Qt::DashDotDotLine};
  return dashes[run % 5];
}

void ResultChart::styleOverlayGraph(QCPGraph* graph, int run, double lineWidth, bool hollow) const {
  // Big hollow markers first, smaller filled ones on top: equal points show both.
  static const QCPScatterStyle::ScatterShape shapes[] = {
      QCPScatterStyle::ssCircle, QCPScatterStyle::ssSquare, QCPScatterStyle::ssTriangle,
      QCPScatterStyle::ssDiamond, QCPScatterStyle::ssTriangleInverted};
  static const double sizes[] = {12, 7, 9, 8, 9};
  const QColor color = seriesColor(run);
  graph->setPen(QPen(color, lineWidth, seriesDash(run)));
  const bool filled = run > 0 && !hollow;
  graph->setScatterStyle(QCPScatterStyle(shapes[run % 5], QPen(color, 1.8),
                                         filled ? QBrush(color) : QBrush(Qt::NoBrush),
                                         sizes[run % 5] - (hollow ? 2 : 0)));
}

}  // namespace kvr::ui
