#pragma once
// Pareto view across runs: one point per run at (K/V footprint, TTFT saved),
// coloured by the run's eviction policy (grey: no budget, nothing evicted) and
// labelled with the run. Better runs sit up and to the left. Meant for the
// runs selected in History / Compare; a single run is one point.
#include "charts/result_chart.h"

class QCPItemText;

namespace kvr::ui {

class ParetoChart : public ResultChart {
  Q_OBJECT

 public:
  explicit ParetoChart(QWidget* parent = nullptr);
  // The point of a run (not of a prompt): index is ignored.
  std::optional<QPointF> pointOf(int run, int index) const override;
  // The colour a policy name is drawn in ("" or "none": no budget).
  static QColor policyColor(const QString& policy);

 protected:
  void build() override;
  bool appendToView(const kvr::PromptResult& r) override;
  void fitRanges() override;

 private:
  QString policyOf(const RunSeries& run) const;
  double scale_ = 1;  // byte-seconds per unit of the x axis
  QList<QPointF> points_;
  QList<QCPItemText*> labels_;  // run names beside the points
};

}  // namespace kvr::ui
