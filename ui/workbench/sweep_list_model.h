#pragma once
// The sweeps of the open database as a table: id, axes, cells done of the
// grid, how many failed, run, wait or sit in a Slurm shard, and the spec.
#include <QAbstractTableModel>
#include <vector>

#include "kvrecycle/sweep_status.h"

namespace kvr::ui {

class SweepListModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  enum Column { Sweep, Axes, Done, Others, Spec, ColumnCount };
  explicit SweepListModel(QObject* parent = nullptr);

  void setSweeps(std::vector<kvr::SweepStatus> sweeps);
  const std::vector<kvr::SweepStatus>& sweeps() const { return sweeps_; }
  const kvr::SweepStatus* sweepAt(int row) const;
  int rowOfSweep(const QString& id) const;  // -1 when absent

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

 private:
  std::vector<kvr::SweepStatus> sweeps_;
};

// "policy × max-new-tokens"; "(no axes)" for a one-cell sweep.
QString sweepAxesText(const kvr::SweepStatus& sweep);
// The cells not done: "1 failed · 1 running · 3 pending · 2 in shards"; "" when all are.
QString sweepOthersText(const kvr::SweepStatus& sweep);

}  // namespace kvr::ui
