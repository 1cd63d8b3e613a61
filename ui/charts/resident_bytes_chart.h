#pragma once
// Resident K/V bytes over a run: a step line through the store samples taken
// at every admission, eviction and prompt (x = seconds since the run
// started), the unbounded store on the same timeline dashed, and the budget as
// a horizontal line. The footprint is the area under the step line; the legend
// and the exported caption state it in byte-seconds. Compare view: one step
// line and budget line per run, one legend entry each.
#include "charts/result_chart.h"

class QCPItemText;

namespace kvr::ui {

class ResidentBytesChart : public ResultChart {
  Q_OBJECT

 public:
  explicit ResidentBytesChart(QWidget* parent = nullptr);
  std::optional<QPointF> pointOf(int run, int index) const override;
  QString caption() const override;
  // Bytes per unit of the y axis (1, 1024, 1024^2, ...), chosen for the data.
  double byteScale() const { return scale_; }

 protected:
  void build() override;
  bool appendToView(const kvr::PromptResult& r) override;
  void fitRanges() override;
  int resultIndexAt(int run, const QCPAbstractPlottable* plottable, double key,
                    double value) const override;

 private:
  void chooseScale();
  double topBytes() const;  // the largest bytes drawn

  double scale_ = 1;
  QCPItemText* emptyNote_ = nullptr;
};

// "footprint 1.23 MiB·s (0.41 of unbounded), peak 3.00 MiB" for one run's results.
QString footprintText(const std::vector<kvr::PromptResult>& results);

}  // namespace kvr::ui
