#pragma once
// The seed's figure for eviction (arXiv 2506.17121): fidelity against KV
// footprint ratio, one curve per method, one point per budget; full is the
// reference point at ratio 1. The fidelity reading can be token agreement,
// NLL delta or max |dlogit|; peak live entries shows what chunked prefill
// lowers. Several runs overlay with a dash and marker per run. Publication
// colours and a caption for exports, as the result charts have.
#include <QList>
#include <QPointF>
#include <QString>
#include <QWidget>
#include <optional>

#include "charts/eviction_series.h"

class QCustomPlot;
class QCPGraph;
class QCPTextElement;
class QMouseEvent;

namespace kvr::ui {

enum class EvictionMetric { TokenAgreement, NllDelta, MaxLogitDiff, PeakEntries };
QString evictionMetricName(EvictionMetric metric);  // the y axis title
double evictionMetricValue(EvictionMetric metric, const kvr::EvictionSummaryRow& row);

class EvictionChart : public QWidget {
  Q_OBJECT
 public:
  explicit EvictionChart(QWidget* parent = nullptr);

  void setSeries(const QList<EvictionSeries>& series);
  const QList<EvictionSeries>& series() const { return series_; }
  void setMetric(EvictionMetric metric);
  EvictionMetric metric() const { return metric_; }

  // Points drawn for one method of one run (counted from the plot data).
  int pointCount(int run, kvr::EvictionMethod method) const;
  int curveCount() const { return static_cast<int>(curves_.size()); }
  // Where row `index` of run `run` is drawn; nullopt when it is not.
  std::optional<QPointF> pointOf(int run, int index) const;
  // Rings row `index` of run `run` (the table's selected row); index < 0 clears it.
  void highlightRow(int run, int index);

  QString title() const;
  QString caption() const;  // the runs: label and description
  QCustomPlot* plot() const { return plot_; }
  // Black on white with the caption shown: the exporter switches it on while it writes.
  void setPublicationMode(bool on);
  bool publicationMode() const { return publication_; }
  void resetView();

 signals:
  void rowClicked(int run, int index);  // a click on the point of that summary row

 private:
  struct Curve {
    int run;
    QCPGraph* graph;
    std::vector<int> rows;  // summary row of each data point, in data order
  };
  void rebuild();
  void applyColors();
  void onMouseMove(QMouseEvent* event);
  std::optional<std::pair<int, int>> rowAt(const QPointF& pos) const;
  QString tooltipFor(int run, int index) const;

  QCustomPlot* plot_;
  QCPTextElement* title_;
  QCPTextElement* caption_;
  QCPGraph* highlight_ = nullptr;
  QList<EvictionSeries> series_;
  QList<Curve> curves_;
  EvictionMetric metric_ = EvictionMetric::TokenAgreement;
  bool publication_ = false;
  int highlightRun_ = -1;
  int highlightIndex_ = -1;
  bool dragged_ = false;
};

}  // namespace kvr::ui
