#pragma once
// The Compare tab: two or more runs side by side: summary metrics with deltas,
// configuration differences (or all of it), per-prompt results joined on the
// prompt text, and the charts overlaid with a legend entry per run.
#include <QWidget>

#include "charts/run_series.h"
#include "workbench/run_comparison.h"

class QCheckBox;
class QLabel;
class QStackedWidget;
class QTableWidget;

namespace kvr::ui {

class EvictionView;
class ResultChart;
class RunStoreService;
class LatencyChart;
class SpeedupChart;
class SimilarityChart;
class TurnTtftChart;
class ResidentBytesChart;
class ParetoChart;

class ComparePage : public QWidget {
  Q_OBJECT
 public:
  explicit ComparePage(RunStoreService* store, QWidget* parent = nullptr);
  // Reads the runs through the store and shows them; on failure logs why and keeps what is shown.
  void showRuns(const QList<qint64>& ids);
  void setRuns(const QList<ComparedRun>& runs);
  const RunComparison& comparison() const { return comparison_; }
  QList<ResultChart*> charts() const;
  // TTFT per turn and resident bytes overlaid, and the Pareto view (one point per run).
  QList<ResultChart*> storeCharts() const;
  QTableWidget* metricsTable() const { return metrics_; }
  QTableWidget* configTable() const { return config_; }
  QTableWidget* promptTable() const { return prompts_; }
  QString label() const;
  const QList<RunSeries>& series() const { return series_; }
  EvictionView* evictionView() const { return eviction_; }
  // What is shown: recycling runs, eviction runs overlaid, or runs of both
  // kinds (nothing compared, the title says why).
  enum class Shown { Recycling, Eviction, MixedKinds };
  Shown shown() const;

 signals:
  void runsShown();  // after showRuns succeeded: the window brings this page to the front
  void logLine(const QString& line);

 private:
  void fillConfig();
  void showMixedKinds(const QList<ComparedRun>& runs);
  void showEvictionRuns(const QList<ComparedRun>& runs);
  void highlightPrompt(int row);  // row of the per-prompt table, -1: none

  RunStoreService* store_;
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
  QWidget* recycling_;
  EvictionView* eviction_;
  QLabel* mixedKinds_;
  QStackedWidget* content_;
  TurnTtftChart* turns_;
  ResidentBytesChart* resident_;
  ParetoChart* pareto_;
};

}  // namespace kvr::ui
