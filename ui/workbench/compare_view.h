#pragma once
// Two or more runs side by side: summary metrics with deltas, configuration
// differences (or all of it), per-prompt results joined on the prompt text,
// and the charts overlaid with a legend entry per run.
#include <QWidget>

#include "charts/run_series.h"
#include "workbench/run_comparison.h"

class QCheckBox;
class QLabel;
class QTableWidget;

namespace kvr::ui {

class ResultChart;
class LatencyChart;
class SpeedupChart;
class SimilarityChart;

class CompareView : public QWidget {
  Q_OBJECT
 public:
  explicit CompareView(QWidget* parent = nullptr);
  void setRuns(const QList<ComparedRun>& runs);
  const RunComparison& comparison() const { return comparison_; }
  QList<ResultChart*> charts() const;
  QTableWidget* metricsTable() const { return metrics_; }
  QTableWidget* configTable() const { return config_; }
  QTableWidget* promptTable() const { return prompts_; }
  QString label() const;
  const QList<RunSeries>& series() const { return series_; }

 private:
  void fillConfig();

  RunComparison comparison_;
  QList<RunSeries> series_;
  QLabel* title_;
  QTableWidget* metrics_;
  QTableWidget* config_;
  QCheckBox* showAllConfig_;
  QTableWidget* prompts_;
  LatencyChart* latency_;
  SpeedupChart* speedup_;
  SimilarityChart* similarity_;
};

}  // namespace kvr::ui
