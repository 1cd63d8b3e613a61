#pragma once
// The cells of one sweep as a table: index, one column per axis value, state,
// run id, the charted metric, and where the run was made (host, Slurm job and
// task). The same rows, with every metric, are the exported cell table.
#include <QAbstractTableModel>
#include <QString>

#include "charts/sweep_chart_data.h"
#include "kvrecycle/sweep_status.h"
#include "kvrecycle/table_writer.h"

namespace kvr::ui {

// Where a cell's run was made: the original host and Slurm job of a merged run.
struct RunProvenance {
  QString host;
  QString slurmJob;  // "1234_5" (array job and task), or the job id; "" outside Slurm
};
RunProvenance runProvenance(const kvr::RunRecord& run);

class SweepCellModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  explicit SweepCellModel(QObject* parent = nullptr);

  void setSweep(const kvr::SweepStatus& sweep);
  void setMetric(const SweepMetric& metric);
  const kvr::SweepStatus& sweep() const { return sweep_; }
  int cellAt(int row) const;      // the cell index shown in `row`, -1 when none
  int rowOfCell(int cell) const;  // -1 when absent
  // The axes' columns start here.
  static constexpr int kFirstAxisColumn = 1;
  int stateColumn() const { return kFirstAxisColumn + axisCount(); }

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

 private:
  int axisCount() const { return static_cast<int>(sweep_.axes.size()); }

  kvr::SweepStatus sweep_;
  SweepMetric metric_;
};

// Every cell with its axis values, state, run, provenance and every metric:
// the table File → Export table writes for the Sweeps view.
kvr::Table sweepCellsTable(const kvr::SweepStatus& sweep);

}  // namespace kvr::ui
