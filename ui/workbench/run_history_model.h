#pragma once
// All runs of the run store as a table: name, date, model, policy, status and key metrics.
#include <QAbstractTableModel>
#include <vector>

#include "kvrecycle/results.h"

namespace kvr::ui {

class RunHistoryModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  enum Column {
    Id,
    Name,
    Created,
    Model,
    Policy,
    Status,
    Prompts,
    ExactRate,
    Speedup,
    TtftSpeedup,
    Tags,
    ColumnCount
  };
  explicit RunHistoryModel(QObject* parent = nullptr);

  void setRuns(std::vector<kvr::RunRecord> runs);
  const kvr::RunRecord* runAt(int row) const;
  int rowOfRun(qint64 id) const;

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

 private:
  QVariant evictionRunData(const kvr::RunRecord& run, int column, int role) const;

  std::vector<kvr::RunRecord> runs_;
};

// A value from a run's configuration JSON, as text ("" when absent).
QString configValue(const kvr::RunRecord& run, const char* key);
// What a figure or a tooltip says about a run besides its name: model,
// policy and date ("dialogpt-small (synthetic), policy paper, 2026-11-23 08:45 UTC").
QString runDescription(const kvr::RunRecord& run);

}  // namespace kvr::ui
