#pragma once
// (c) Output similarity and exactness per prompt: bars of the embedding
// cosine of baseline vs recycled output (0..1), and a marker row above them
// (green disc: token-identical output, red cross: diverged). Compare view:
// output similarity per run as line + points.
#include "charts/result_chart.h"

class QCPBars;
class QCPGraph;

namespace kvr::ui {

class SimilarityChart : public ResultChart {
  Q_OBJECT

 public:
  explicit SimilarityChart(QWidget* parent = nullptr);

  static constexpr double kMarkerRow = 1.05;  // y of the exact-match markers
  std::optional<QPointF> pointOf(int run, int index) const override;

 protected:
  void build() override;
  bool appendToView(const kvr::PromptResult& r) override;
  void fitRanges() override;

 private:
  void addPoint(double key, const kvr::PromptResult& r);

  QCPBars* bars_ = nullptr;
  QCPGraph* exact_ = nullptr;
  QCPGraph* diverged_ = nullptr;
};

}  // namespace kvr::ui
