#pragma once
// The Sweeps tab: the sweeps of the open database with their cells' states
// (the same status as `kvrecycle-cli sweep status`), the selected sweep's
// cells, and the sweep chart (a metric vs one axis, one line per value of
// another). Launches a local sweep from a spec on a background thread
// (resumable like the CLI), imports Slurm shards, and exports chart and cells.
#include <QSize>
#include <QString>
#include <QStringList>
#include <QWidget>

#include "kvrecycle/run_merge.h"

class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QTableView;

namespace kvr::ui {

class RunStoreService;
class SweepCellModel;
class SweepChart;
class SweepListModel;
class SweepWorker;
struct SweepTick;

class SweepsPage : public QWidget {
  Q_OBJECT
 public:
  SweepsPage(RunStoreService* store, QWidget* parent = nullptr);
  ~SweepsPage() override;

  // Reads the sweeps of the database again, keeping the selected one.
  void refresh();
  bool selectSweep(const QString& id);
  QString selectedSweepId() const;
  // Chart choices: a metric key (sweep_chart_data.h), the x axis and the
  // line axis ("" = one line); unknown names keep the current choice.
  void setChartAxes(const QString& metricKey, const QString& xAxis, const QString& lineAxis);

  // The code paths of the buttons, for tests: false (and a message) on failure.
  bool startSweep(const QString& specPath);
  void cancelSweep();
  bool sweepRunning() const;
  kvr::MergeReport importShards(const QStringList& paths);
  // The selected sweep's cells in "csv", "md", "tex" or "json"; throws kvr::Error.
  QString cellTableText(const QString& format) const;
  // The chart, or the cell table, written where the path says (format by suffix).
  void exportChart(const QString& path, QSize size = QSize());
  void exportCells(const QString& path);
  // Chart as PNG, PDF and SVG into `directory`; returns the paths.
  QStringList exportAllCharts(const QString& directory, QSize size);

  SweepListModel* sweepList() const { return sweeps_; }
  SweepCellModel* cells() const { return cells_; }
  SweepChart* chart() const { return chart_; }
  SweepWorker* worker() const { return worker_; }
  QString progressText() const;

 public slots:
  void runSweepDialog();
  void importShardsDialog();
  void exportChartDialog();
  void exportCellsDialog();

 signals:
  void logLine(const QString& line);
  void sweepEnded();

 private:
  QWidget* buildToolbar();
  QWidget* buildChartPane();
  void showSelectedSweep();
  void fillAxisChoices();
  void updateChart();
  void selectCells(const QList<int>& cells);
  void showTick(const SweepTick& tick, const QString& what);
  void updateButtons();
  QString defaultShardFolder() const;

  RunStoreService* store_;
  SweepListModel* sweeps_;
  SweepCellModel* cells_;
  SweepWorker* worker_;
  QTableView* sweepTable_;
  QTableView* cellTable_;
  SweepChart* chart_;
  QComboBox* metric_;
  QComboBox* xAxis_;
  QComboBox* lineAxis_;
  QPushButton* runButton_;
  QPushButton* cancelButton_;
  QProgressBar* progress_;
  QLabel* progressLabel_;
  int promptDone_ = 0, promptTotal_ = 0;
  int cellsFinished_ = 0, cellsTotal_ = 0;
};

}  // namespace kvr::ui
