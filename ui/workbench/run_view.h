#pragma once
// One run on screen: the three charts, the sortable and filterable results
// table, the summary (the study's table plus exactness) and the output diff
// of the selected prompt. Serves the live run and runs opened from history.
#include <QWidget>
#include <vector>

#include "charts/run_series.h"
#include "kvrecycle/results.h"

class QLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QTabWidget;
class QTableView;
class QTableWidget;

namespace kvr {
class Gpt2Tokenizer;
}

namespace kvr::ui {

class LatencyChart;
class SpeedupChart;
class SimilarityChart;
class CostModelChart;
class TurnTtftChart;
class ResidentBytesChart;
class ResultChart;
class ResultsModel;
class OutputDiffView;

class RunView : public QWidget {
  Q_OBJECT
 public:
  // How much height the view has: a page of its own (Run tab), or a page it
  // shares with a list above it (History), where the charts come first and
  // the results table starts with a few rows. Each keeps its own splitters.
  enum class Room { OwnPage, BelowAList };
  explicit RunView(QWidget* parent = nullptr, Room room = Room::OwnPage);

  void setTokenizer(const kvr::Gpt2Tokenizer* tokenizer);
  // A stored run, exactly as it was recorded.
  void showRun(const kvr::RunRecord& run, std::vector<kvr::PromptResult> results);
  // A run in progress: cleared now, filled by appendResult. `run` names it
  // (label, description, store budget and policy); its results are ignored.
  void beginLiveRun(qint64 runId, const RunSeries& run, bool synthetic);
  void appendResult(const kvr::PromptResult& result);
  void setStatus(const QString& status);
  void setPlaceholder(const QString& text);  // shown before any run

  qint64 runId() const { return runId_; }
  QString label() const { return run_.label; }
  // What is on screen as the charts and exports draw it.
  RunSeries series() const;
  // The three recycling charts, then the K/V store's (TTFT per turn, resident bytes).
  QList<ResultChart*> charts() const;
  QList<ResultChart*> storeCharts() const;
  ResultsModel* resultsModel() const { return results_; }
  QTableView* resultsTable() const { return table_; }
  OutputDiffView* diffView() const { return diff_; }
  QTableWidget* summaryTable() const { return summary_; }
  QLabel* noiseBanner() const { return noiseBanner_; }

 private:
  void refreshSummary();
  void showSelected();
  void selectResult(int index);  // a chart point was clicked

  qint64 runId_ = 0;
  RunSeries run_;  // label, description, budget and policy; results live in results_
  QLabel* title_;
  QLabel* noiseBanner_;  // shown when more than a fifth of the prompts are noisy
  LatencyChart* latency_;
  SpeedupChart* speedup_;
  SimilarityChart* similarity_;
  // Shown (and exported) only for a run that used the cost model.
  CostModelChart* costModel_;
  QTabWidget* chartTabs_;
  void showCostModelChart(bool shown);
  TurnTtftChart* turns_;
  ResidentBytesChart* resident_;
  ResultsModel* results_;
  QSortFilterProxyModel* proxy_;
  QLineEdit* filter_;
  QTableView* table_;
  QTableWidget* summary_;
  OutputDiffView* diff_;
};

}  // namespace kvr::ui
