#pragma once
// A prompt set as a table (id, prompt, tokens). Loading goes through
// loadPromptSet, which either replaces the whole set or throws and leaves it.
#include <QAbstractTableModel>
#include <vector>

#include "kvrecycle/prompt_set.h"

namespace kvr {
class Gpt2Tokenizer;
}

namespace kvr::ui {

class PromptSetModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  enum Column { IdColumn, PromptColumn, TokensColumn, ColumnCount };
  explicit PromptSetModel(QObject* parent = nullptr);

  // Reads the CSV and counts tokens (when a tokenizer is given); on any error
  // throws kvr::Error ("file:line:column: ...") and keeps the current set.
  void loadPromptSet(const QString& path, const kvr::Gpt2Tokenizer* tokenizer);
  void setPromptSet(kvr::PromptSet set, std::vector<int> tokenCounts);
  const kvr::PromptSet& promptSet() const { return set_; }
  QString source() const { return QString::fromStdString(set_.source); }
  int totalTokens() const;

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

 private:
  kvr::PromptSet set_;
  std::vector<int> tokenCounts_;  // -1 when unknown
};

}  // namespace kvr::ui
