#pragma once
// (a) Latency per prompt, baseline vs recycled: grouped bars, each stacked
// TTFT (prefill) + decode, x = prompt number labelled with the prompt id,
// y = seconds. Compare view: recycled total per run as line + points, and
// the run's baseline total as a dashed line.
#include "charts/result_chart.h"

class QCPBars;
class QCPErrorBars;
class QCPBarsGroup;

namespace kvr::ui {

class LatencyChart : public ResultChart {
  Q_OBJECT

 public:
  explicit LatencyChart(QWidget* parent = nullptr);
  std::optional<QPointF> pointOf(int run, int index) const override;

 protected:
  void build() override;
  bool appendToView(const kvr::PromptResult& r) override;
  void fitRanges() override;

 private:
  void addBars(double key, const kvr::PromptResult& r);

  QCPBarsGroup* group_ = nullptr;
  QCPBars* baselineTtft_ = nullptr;
  QCPBars* baselineDecode_ = nullptr;
  QCPBars* recycledTtft_ = nullptr;
  QCPBars* recycledDecode_ = nullptr;
  // Interquartile range of each arm\'s total, drawn on top of its stack.
  QCPErrorBars* baselineSpread_ = nullptr;
  QCPErrorBars* recycledSpread_ = nullptr;
};

}  // namespace kvr::ui
