#include "workbench/sweeps_page.h"

#include <QComboBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSet>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include "charts/sweep_chart.h"
#include "workbench/run_store_service.h"
#include "workbench/splitter_memory.h"
#include "workbench/sweep_cell_model.h"
#include "workbench/sweep_list_model.h"
#include "workbench/sweep_worker.h"
#include "workbench/table_fit.h"

namespace kvr::ui {
namespace {

QTableView* makeTable(QAbstractItemModel* model, QWidget* parent) {
  auto* table = new QTableView(parent);
  table->setModel(model);
  table->setSelectionBehavior(QAbstractItemView::SelectRows);
  table->verticalHeader()->hide();
  table->setWordWrap(false);
  compactRows(table);
  return table;
}

QString duration(double seconds) {
  if (seconds < 0) return SweepsPage::tr("?");
  const qint64 s = qRound64(seconds);
  if (s < 60) return SweepsPage::tr("%1 s").arg(s);
  if (s < 3600) return SweepsPage::tr("%1 min %2 s").arg(s / 60).arg(s % 60);
  return SweepsPage::tr("%1 h %2 min").arg(s / 3600).arg(s % 3600 / 60);
}

int axisValueCount(const kvr::SweepStatus& sweep, int axis) {
  QSet<QString> values;
  for (const kvr::SweepCellStatus& cell : sweep.cells) {
    if (axis < static_cast<int>(cell.axisValues.size())) {
      values.insert(QString::fromStdString(cell.axisValues[static_cast<size_t>(axis)].value));
    }
  }
  return values.size();
}

}  // namespace

SweepsPage::SweepsPage(RunStoreService* store, QWidget* parent)
    : QWidget(parent),
      store_(store),
      sweeps_(new SweepListModel(this)),
      cells_(new SweepCellModel(this)),
      worker_(new SweepWorker(this)) {
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(buildToolbar());

  sweepTable_ = makeTable(sweeps_, this);
  sweepTable_->setSelectionMode(QAbstractItemView::SingleSelection);
  cellTable_ = makeTable(cells_, this);
  cellTable_->setSelectionMode(QAbstractItemView::ExtendedSelection);
  auto* tables = new QSplitter(Qt::Vertical, this);
  tables->addWidget(sweepTable_);
  tables->addWidget(cellTable_);
  tables->setStretchFactor(0, 1);
  tables->setStretchFactor(1, 2);
  tables->setSizes({140, 300});
  tables->setObjectName(QStringLiteral("sweepsAndCells"));
  rememberSplitter(tables, QStringLiteral("sweeps/sweepsAndCells"));

  auto* split = new QSplitter(Qt::Horizontal, this);
  split->addWidget(tables);
  split->addWidget(buildChartPane());
  split->setStretchFactor(0, 4);
  split->setStretchFactor(1, 5);
  split->setSizes({560, 700});  // the list's counts readable at 1280 px; the chart the rest
  split->setObjectName(QStringLiteral("tablesAndChart"));
  rememberSplitter(split, QStringLiteral("sweeps/tablesAndChart"));
  layout->addWidget(split, 1);

  connect(sweepTable_->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
          &SweepsPage::showSelectedSweep);
  connect(
      cellTable_->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
      [this](const QModelIndex& current) { chart_->highlightCell(cells_->cellAt(current.row())); });
  connect(chart_, &SweepChart::cellsClicked, this, &SweepsPage::selectCells);
  connect(store_, &RunStoreService::runsChanged, this, &SweepsPage::refresh);

  connect(worker_, &SweepWorker::started, this, [this](const QString& id, int cells) {
    cellsTotal_ = cells;
    emit logLine(tr("Sweep %1: %2 cells").arg(id).arg(cells));
    refresh();
    selectSweep(id);
  });
  connect(
      worker_, &SweepWorker::cellSkipped, this, [this](int cell, const QString& label, qint64 run) {
        emit logLine(
            tr("Sweep cell %1 [%2] already completed (run %3)").arg(cell + 1).arg(label).arg(run));
      });
  connect(worker_, &SweepWorker::cellStarting, this, [this](const SweepTick& tick) {
    promptDone_ = promptTotal_ = 0;
    showTick(tick, tr("running"));
    refresh();
  });
  connect(worker_, &SweepWorker::promptProgress, this, [this](int done, int total) {
    promptDone_ = done;
    promptTotal_ = total;
    if (cellsTotal_ > 0 && total > 0) {
      progress_->setValue(cellsFinished_ * 100 + 100 * done / total);
    }
  });
  connect(worker_, &SweepWorker::cellFinished, this,
          [this](const SweepTick& tick, const QString& status, const QString& error) {
            showTick(tick, status);
            emit logLine(tr("Sweep cell %1/%2 [%3] %4%5")
                             .arg(tick.cell + 1)
                             .arg(tick.total)
                             .arg(tick.label, status,
                                  error.isEmpty() ? QString() : QStringLiteral(": ") + error));
            store_->announceRunsChanged();
          });
  connect(worker_, &SweepWorker::logLine, this, &SweepsPage::logLine);
  connect(worker_, &SweepWorker::finished, this,
          [this](int completed, int skipped, int failed, bool cancelled) {
            const QString text = tr("Sweep %1: %2 run now, %3 completed before, %4 failed")
                                     .arg(cancelled ? tr("cancelled") : tr("ended"))
                                     .arg(completed)
                                     .arg(skipped)
                                     .arg(failed);
            progressLabel_->setText(
                text + (failed > 0 || cancelled ? tr("; run it again to resume") : QString()));
            emit logLine(text);
          });
  connect(worker_, &SweepWorker::failed, this, [this](const QString& error) {
    progressLabel_->setText(tr("Sweep did not start: %1").arg(error));
    progressLabel_->setToolTip(error);
    emit logLine(tr("Sweep did not start: %1").arg(error));
  });
  connect(worker_, &SweepWorker::stopped, this, [this] {
    updateButtons();
    store_->announceRunsChanged();
    emit sweepEnded();
  });
  updateButtons();
  refresh();
}

SweepsPage::~SweepsPage() = default;

QWidget* SweepsPage::buildToolbar() {
  auto* bar = new QWidget(this);
  auto* row = new QHBoxLayout(bar);
  row->setContentsMargins(0, 0, 0, 0);
  runButton_ = new QPushButton(tr("Run sweep…"), bar);
  runButton_->setToolTip(
      tr("Run a sweep spec (resources/sweeps) here, cell after cell, into this database. "
         "Running it again resumes: completed cells are skipped"));
  cancelButton_ = new QPushButton(tr("Cancel"), bar);
  auto* import = new QPushButton(tr("Import shards…"), bar);
  import->setToolTip(
      tr("Merge shard databases of a Slurm sweep into this database "
         "(as kvrecycle-cli merge; importing twice adds nothing)"));
  auto* exportChart = new QPushButton(tr("Export chart…"), bar);
  auto* exportCells = new QPushButton(tr("Export cells…"), bar);
  progress_ = new QProgressBar(bar);
  progress_->setMaximumWidth(160);
  progress_->setRange(0, 100);
  progress_->setValue(0);
  progress_->hide();  // shown while a sweep runs
  progressLabel_ = new QLabel(bar);
  progressLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  progressLabel_->setMinimumWidth(80);
  progressLabel_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
  for (QWidget* w : std::initializer_list<QWidget*>{runButton_, cancelButton_, import, exportChart,
                                                    exportCells, progress_}) {
    row->addWidget(w);
  }
  row->addWidget(progressLabel_, 1);
  connect(runButton_, &QPushButton::clicked, this, &SweepsPage::runSweepDialog);
  connect(cancelButton_, &QPushButton::clicked, this, &SweepsPage::cancelSweep);
  connect(import, &QPushButton::clicked, this, &SweepsPage::importShardsDialog);
  connect(exportChart, &QPushButton::clicked, this, &SweepsPage::exportChartDialog);
  connect(exportCells, &QPushButton::clicked, this, &SweepsPage::exportCellsDialog);
  return bar;
}

QWidget* SweepsPage::buildChartPane() {
  auto* pane = new QWidget(this);
  auto* column = new QVBoxLayout(pane);
  column->setContentsMargins(0, 0, 0, 0);
  auto* choices = new QHBoxLayout;
  metric_ = new QComboBox(pane);
  for (const SweepMetric& m : sweepMetrics()) metric_->addItem(m.label, m.key);
  metric_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  metric_->setMinimumContentsLength(14);
  xAxis_ = new QComboBox(pane);
  lineAxis_ = new QComboBox(pane);
  for (QComboBox* axis : {xAxis_, lineAxis_}) {
    axis->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    axis->setMinimumContentsLength(8);
  }
  choices->addWidget(new QLabel(tr("Metric"), pane));
  choices->addWidget(metric_, 2);
  choices->addWidget(new QLabel(tr("x"), pane));
  choices->addWidget(xAxis_, 1);
  choices->addWidget(new QLabel(tr("one line per"), pane));
  choices->addWidget(lineAxis_, 1);
  column->addLayout(choices);
  chart_ = new SweepChart(pane);
  column->addWidget(chart_, 1);
  connect(metric_, &QComboBox::currentIndexChanged, this, [this] {
    cells_->setMetric(sweepMetric(metric_->currentData().toString()));
    updateChart();
  });
  connect(xAxis_, &QComboBox::currentIndexChanged, this, &SweepsPage::updateChart);
  connect(lineAxis_, &QComboBox::currentIndexChanged, this, &SweepsPage::updateChart);
  return pane;
}

void SweepsPage::refresh() {
  const QString selected = selectedSweepId();
  std::vector<kvr::SweepStatus> sweeps;
  try {
    sweeps = store_->listSweeps();
  } catch (const std::exception& e) {
    emit logLine(tr("Sweeps: %1").arg(QString::fromUtf8(e.what())));
  }
  sweeps_->setSweeps(std::move(sweeps));
  fitColumns(sweepTable_, SweepListModel::Axes);
  const int row = sweeps_->rowOfSweep(selected);
  if (sweeps_->rowCount() > 0) {
    sweepTable_->selectRow(row >= 0 ? row : sweeps_->rowCount() - 1);  // else the newest
  } else {
    showSelectedSweep();
  }
}

bool SweepsPage::selectSweep(const QString& id) {
  const int row = sweeps_->rowOfSweep(id);
  if (row < 0) return false;
  sweepTable_->selectRow(row);
  return true;
}

QString SweepsPage::selectedSweepId() const {
  const kvr::SweepStatus* s = sweeps_->sweepAt(sweepTable_->currentIndex().row());
  return s != nullptr ? QString::fromStdString(s->id) : QString();
}

void SweepsPage::showSelectedSweep() {
  const kvr::SweepStatus* s = sweeps_->sweepAt(sweepTable_->currentIndex().row());
  const int currentCell = cells_->cellAt(cellTable_->currentIndex().row());
  cells_->setSweep(s != nullptr ? *s : kvr::SweepStatus{});
  fitColumns(cellTable_, -1);
  const int row = cells_->rowOfCell(currentCell);
  if (row >= 0) cellTable_->selectRow(row);
  fillAxisChoices();
  updateChart();
}

// The axes of the shown sweep; a choice the new sweep also has is kept.
// Default: x = the axis with the most values (the last of equals), one line
// per value of the first other one.
void SweepsPage::fillAxisChoices() {
  QStringList axes;
  for (const std::string& a : cells_->sweep().axes) axes << QString::fromStdString(a);
  const QString x = xAxis_->currentText(), line = lineAxis_->currentData().toString();
  const QSignalBlocker blockX(xAxis_), blockLine(lineAxis_);
  xAxis_->clear();
  xAxis_->addItems(axes);
  lineAxis_->clear();
  lineAxis_->addItem(tr("(one line)"), QString());
  for (const QString& a : axes) lineAxis_->addItem(a, a);
  if (axes.isEmpty()) return;
  int widest = 0;
  for (int a = 0; a < axes.size(); ++a) {
    if (axisValueCount(cells_->sweep(), a) >= axisValueCount(cells_->sweep(), widest)) widest = a;
  }
  xAxis_->setCurrentIndex(axes.contains(x) ? axes.indexOf(x) : widest);
  const QString chosenX = xAxis_->currentText();
  QString chosenLine = axes.contains(line) && line != chosenX ? line : QString();
  if (chosenLine.isEmpty() && !axes.contains(line)) {
    for (const QString& a : axes) {
      if (a != chosenX) {
        chosenLine = a;
        break;
      }
    }
  }
  lineAxis_->setCurrentIndex(qMax(0, lineAxis_->findData(chosenLine)));
}

void SweepsPage::setChartAxes(const QString& metricKey, const QString& xAxis,
                              const QString& lineAxis) {
  const QSignalBlocker blockMetric(metric_), blockX(xAxis_), blockLine(lineAxis_);
  if (const int i = metric_->findData(metricKey); i >= 0) metric_->setCurrentIndex(i);
  if (const int i = xAxis_->findText(xAxis); i >= 0) xAxis_->setCurrentIndex(i);
  if (const int i = lineAxis_->findData(lineAxis); i >= 0) lineAxis_->setCurrentIndex(i);
  cells_->setMetric(sweepMetric(metric_->currentData().toString()));
  updateChart();
}

void SweepsPage::updateChart() {
  const kvr::SweepStatus& sweep = cells_->sweep();
  QString line = lineAxis_->currentData().toString();
  if (line == xAxis_->currentText()) line.clear();  // one line per x value says nothing
  chart_->setData(sweepChartData(sweep, sweepMetric(metric_->currentData().toString()),
                                 xAxis_->currentText(), line),
                  QString::fromStdString(sweep.id));
  chart_->highlightCell(cells_->cellAt(cellTable_->currentIndex().row()));
}

void SweepsPage::selectCells(const QList<int>& cells) {
  cellTable_->clearSelection();
  for (int cell : cells) {
    const int row = cells_->rowOfCell(cell);
    if (row < 0) continue;
    cellTable_->selectionModel()->select(cells_->index(row, 0),
                                         QItemSelectionModel::Select | QItemSelectionModel::Rows);
  }
  if (!cells.isEmpty()) cellTable_->scrollTo(cells_->index(cells_->rowOfCell(cells.first()), 0));
}

void SweepsPage::showTick(const SweepTick& tick, const QString& what) {
  cellsFinished_ = tick.finished;
  cellsTotal_ = tick.total;
  progress_->setRange(0, qMax(1, tick.total) * 100);
  progress_->setValue(tick.finished * 100);
  progressLabel_->setText(tr("Cell %1/%2 [%3] %4 · %5 of %2 done · elapsed %6 · ETA %7")
                              .arg(tick.cell + 1)
                              .arg(tick.total)
                              .arg(tick.label, what)
                              .arg(tick.finished)
                              .arg(duration(tick.elapsedSeconds), duration(tick.etaSeconds)));
  progressLabel_->setToolTip(progressLabel_->text());
}

QString SweepsPage::progressText() const {
  return progressLabel_->text();
}

void SweepsPage::updateButtons() {
  const bool running = worker_->running();
  runButton_->setEnabled(!running);
  cancelButton_->setEnabled(running);
  progress_->setVisible(running);
}

}  // namespace kvr::ui
