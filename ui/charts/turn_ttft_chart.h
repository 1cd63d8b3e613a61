#pragma once
// TTFT per conversation turn, baseline vs recycled: x = turn index, y =
// seconds, the median over the sessions that reached the turn with a min-max
// whisker. Baseline grows with the history; recycled, which reuses the
// previous turn and its reply, stays flat. Compare view: both arms per run.
// Runs that are not conversations draw nothing and say so.
#include "charts/result_chart.h"

class QCPItemText;

namespace kvr::ui {

class TurnTtftChart : public ResultChart {
  Q_OBJECT

 public:
  explicit TurnTtftChart(QWidget* parent = nullptr);
  std::optional<QPointF> pointOf(int run, int index) const override;

 protected:
  void build() override;
  bool appendToView(const kvr::PromptResult& r) override;
  void fitRanges() override;
  int resultIndexAt(int run, const QCPAbstractPlottable* plottable, double key,
                    double value) const override;

 private:
  void addArm(int run, const QString& name, bool recycled, bool overlay);

  QCPItemText* emptyNote_ = nullptr;
};

}  // namespace kvr::ui
