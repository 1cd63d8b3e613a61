#include "charts/similarity_chart.h"

#include <qcustomplot.h>

#include <algorithm>

namespace kvr::ui {

SimilarityChart::SimilarityChart(QWidget* parent)
    : ResultChart(tr("Output similarity and exactness per prompt"), parent) {
  plot()->xAxis->setLabel(tr("Prompt (id)"));
  plot()->yAxis->setLabel(tr("Similarity (cosine)"));
  setPromptTicker(plot()->xAxis);
  rebuild();
}

void SimilarityChart::build() {
  bars_ = nullptr;
  exact_ = diverged_ = nullptr;

  if (runs().size() <= 1) {
    setLegendColumns(3);
    const QColor color = seriesColor(0);
    bars_ = new QCPBars(plot()->xAxis, plot()->yAxis);
    bars_->setName(tr("Output similarity (baseline vs recycled)"));
    bars_->setWidth(0.7);
    bars_->setPen(QPen(color.darker(140), 0.8));
    bars_->setBrush(color);

    exact_ = plot()->addGraph();
    exact_->setLineStyle(QCPGraph::lsNone);
    exact_->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, exactColor(), 8));
    exact_->setPen(QPen(exactColor()));
    exact_->setName(tr("Exact match (token-identical)"));

    diverged_ = plot()->addGraph();
    diverged_->setLineStyle(QCPGraph::lsNone);
    diverged_->setScatterStyle(
        QCPScatterStyle(QCPScatterStyle::ssCross, QPen(divergedColor(), 2), Qt::NoBrush, 8));
    diverged_->setPen(QPen(divergedColor()));
    diverged_->setName(tr("Diverged"));

    addPrimary(0, bars_);
    addHover(0, bars_);
    addHover(0, exact_);
    addHover(0, diverged_);
    if (!runs().isEmpty()) {
      const auto& results = runs().front().results;
      for (size_t i = 0; i < results.size(); ++i) addPoint(static_cast<double>(i + 1), results[i]);
    }
    return;
  }

  setLegendColumns(std::min(3, static_cast<int>(runs().size())));
  for (int run = 0; run < runs().size(); ++run) {
    const QString label =
        runs()[run].label.isEmpty() ? tr("Run %1").arg(run + 1) : runs()[run].label;
    QCPGraph* graph = plot()->addGraph();
    graph->setName(label);
    styleOverlayGraph(graph, run, 2);
    const auto& results = runs()[run].results;
    QVector<double> keys, values;
    for (size_t i = 0; i < results.size(); ++i) {
      keys << static_cast<double>(i + 1);
      values << results[i].outputSimilarity;
    }
    graph->setData(keys, values, true);
    addPrimary(run, graph);
    addHover(run, graph);
  }
}

void SimilarityChart::addPoint(double key, const kvr::PromptResult& r) {
  bars_->addData(key, r.outputSimilarity);
  (r.exactMatch ? exact_ : diverged_)->addData(key, kMarkerRow);
}

bool SimilarityChart::appendToView(const kvr::PromptResult& r) {
  if (bars_ == nullptr) return false;
  addPoint(static_cast<double>(runs().front().results.size()), r);
  return true;
}

std::optional<QPointF> SimilarityChart::pointOf(int run, int index) const {
  if (run < 0 || run >= runs().size() || index < 0 ||
      index >= static_cast<int>(runs()[run].results.size()))
    return std::nullopt;
  return QPointF(index + 1, runs()[run].results[static_cast<size_t>(index)].outputSimilarity);
}

void SimilarityChart::fitRanges() {
  size_t n = 0;
  double low = 0;
  for (const auto& run : runs()) {
    n = std::max(n, run.results.size());
    for (const auto& r : run.results) low = std::min(low, r.outputSimilarity);
  }
  plot()->xAxis->setRange(0.5, static_cast<double>(std::max<size_t>(n, 1)) + 0.5);
  plot()->yAxis->setRange(low < 0 ? low - 0.05 : 0.0, kMarkerRow + 0.07);
}

}  // namespace kvr::ui
