#pragma once
// All runs of the run store as a table: name, date, model, policy, status and key metrics.
#include <QAbstractTableModel>
#include <cstdint>
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
    Store,
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
// The resident K/V bytes the run's store was allowed (0: no budget, or not recorded).
int64_t storeBudgetOf(const kvr::RunRecord& run);
// The run's K/V store settings in a few words: "online chat, 64.0 MiB lru, fp16";
// "-" for runs recorded before they existed.
QString storeSummary(const kvr::RunRecord& run);
// What a figure or a tooltip says about a run besides its name: model,
// policy and date ("dialogpt-small (synthetic), policy paper, 2026-11-23 08:45 UTC").
QString runDescription(const kvr::RunRecord& run);

}  // namespace kvr::ui
