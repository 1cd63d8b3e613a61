#pragma once
// (b) End-to-end speedup versus reuse depth: x = k/m, y = speedup % with its
// interquartile range as error bars; points green where the recycled output is
// token-identical, red crosses where it diverged, hollow circles where the
// reading is noisy (left out of the fit; the tooltip says why); the fitted
// line S = alpha * k/m (alpha from kvr::summarizeResults) and the ideal
// prefill-skip line S = 100 * k/m * mean(baseline TTFT / baseline total).
// Compare view: one point set (diverged points as crosses) and fit per run.
#include <QVector>

#include "charts/result_chart.h"

class QCPErrorBars;
class QCPGraph;

namespace kvr::ui {

class SpeedupChart : public ResultChart {
  Q_OBJECT

 public:
  explicit SpeedupChart(QWidget* parent = nullptr);
  std::optional<QPointF> pointOf(int run, int index) const override;

  // The fitted line of a run: two points, (0, 0) and (1, alpha).
  QCPGraph* fitLine(int run = 0) const;
  // The ideal prefill-skip line of the single-run view (nullptr in compare view).
  QCPGraph* idealLine() const { return ideal_; }
  double alpha(int run = 0) const;

  // k/m of a cache hit, 0 for a miss or a fallback (the x of the fit).
  static double reuseDepth(const kvr::PromptResult& r);
  // mean(baselineTtftSeconds / baselineTotalSeconds) over prompts with a baseline total.
  static double prefillShare(const std::vector<kvr::PromptResult>& results);

 protected:
  void build() override;
  bool appendToView(const kvr::PromptResult& r) override;
  void fitRanges() override;
  int resultIndexAt(int run, const QCPAbstractPlottable* plottable, double key,
                    double value) const override;

 private:
  enum class Kind { Exact, Diverged, Noisy };
  static Kind kindOf(const kvr::PromptResult& r);
  struct RunGraphs {
    QCPGraph* exact = nullptr;
    QCPGraph* diverged = nullptr;
    QCPGraph* noisy = nullptr;
    QVector<QCPErrorBars*> spreads;  // one per point graph, in that order
    QCPGraph* fit = nullptr;
    double alpha = 0;
    QCPGraph* graphFor(Kind kind) const;
  };
  // Refills the run's point graphs and their error bars from its results.
  void updatePoints(int run);
  void updateLines(int run);

  QVector<RunGraphs> graphs_;
  QCPGraph* ideal_ = nullptr;
};

}  // namespace kvr::ui
