#pragma once
// (d) The cost model, predicted vs measured TTFT per prompt (run --cost-model
// on): x = prompt number labelled with the prompt id, y = seconds. Measured
// baseline TTFT and the measured TTFT of the recycled path it weighed (the
// recycled arm, or for a declined prompt its separate timing) as points;
// their predictions as dashed lines through the same prompts; a cross marks
// each declined prompt on the measured recycled path. Prompts without a
// decision leave gaps. Compare view: predicted and measured recycled TTFT per run.
#include "charts/result_chart.h"

class QCPGraph;

namespace kvr::ui {

class CostModelChart : public ResultChart {
  Q_OBJECT

 public:
  explicit CostModelChart(QWidget* parent = nullptr);
  std::optional<QPointF> pointOf(int run, int index) const override;
  // Whether any result of the runs carries a cost model decision.
  static bool usedCostModel(const std::vector<kvr::PromptResult>& results);

 protected:
  void build() override;
  bool appendToView(const kvr::PromptResult& r) override;
  void fitRanges() override;

 private:
  struct Graphs {
    QCPGraph* measuredBaseline = nullptr;
    QCPGraph* predictedBaseline = nullptr;
    QCPGraph* measuredRecycled = nullptr;
    QCPGraph* predictedRecycled = nullptr;
    QCPGraph* declined = nullptr;
  };
  void addPoint(const Graphs& g, double key, const kvr::PromptResult& r);
  QList<Graphs> graphs_;
};

}  // namespace kvr::ui
