#pragma once
// Per-prompt results of one run as a sortable table.
#include <QAbstractTableModel>
#include <vector>

#include "kvrecycle/results.h"

namespace kvr::ui {

class ResultsModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  enum Column {
    PromptId,
    Prompt,
    CachedPrompt,
    Reused,
    Length,
    Load,
    BaselineTtft,
    RecycledTtft,
    BaselineDecode,
    RecycledDecode,
    BaselineTotal,
    RecycledTotal,
    Speedup,
    TtftSpeedup,
    Exact,
    FirstDivergence,
    MaxLogitDiff,
    OutputSimilarity,
    PromptSimilarity,
    Noise,
    Fallback,
    ColumnCount
  };
  explicit ResultsModel(QObject* parent = nullptr);

  void setResults(std::vector<kvr::PromptResult> results);
  void appendResult(const kvr::PromptResult& result);
  const std::vector<kvr::PromptResult>& results() const { return results_; }
  const kvr::PromptResult* resultAt(int row) const;

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

 private:
  std::vector<kvr::PromptResult> results_;
};

}  // namespace kvr::ui
