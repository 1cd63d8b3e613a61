#include "workbench/prompt_set_model.h"

#include "kvrecycle/tokenizer.h"

namespace kvr::ui {

PromptSetModel::PromptSetModel(QObject* parent) : QAbstractTableModel(parent) {}

void PromptSetModel::loadPromptSet(const QString& path, const kvr::Gpt2Tokenizer* tokenizer) {
  kvr::PromptSet set = kvr::readPromptCsv(path.toStdString());  // throws before any change
  std::vector<int> counts;
  for (const kvr::Prompt& p : set.prompts) {
    counts.push_back(tokenizer != nullptr ? static_cast<int>(tokenizer->encode(p.text).size())
                                          : -1);
  }
  setPromptSet(std::move(set), std::move(counts));
}

void PromptSetModel::setPromptSet(kvr::PromptSet set, std::vector<int> tokenCounts) {
  beginResetModel();
  set_ = std::move(set);
  tokenCounts_ = std::move(tokenCounts);
  tokenCounts_.resize(set_.prompts.size(), -1);
  endResetModel();
}

int PromptSetModel::totalTokens() const {
  int total = 0;
  for (int c : tokenCounts_) total += c > 0 ? c : 0;
  return total;
}

int PromptSetModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(set_.prompts.size());
}

int PromptSetModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : ColumnCount;
}

QVariant PromptSetModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= rowCount()) return {};
  const kvr::Prompt& p = set_.prompts[static_cast<size_t>(index.row())];
  if (role == Qt::DisplayRole || role == Qt::ToolTipRole) {
    switch (index.column()) {
      case IdColumn:
        return QString::fromStdString(p.id);
      case PromptColumn:
        return QString::fromStdString(p.text);
      case TokensColumn: {
        const int n = tokenCounts_[static_cast<size_t>(index.row())];
        return n >= 0 ? QVariant(n) : QVariant(QStringLiteral("?"));
      }
    }
  }
  if (role == Qt::TextAlignmentRole && index.column() == TokensColumn) {
    return QVariant(Qt::AlignRight | Qt::AlignVCenter);
  }
  return {};
}

QVariant PromptSetModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (role != Qt::DisplayRole || orientation != Qt::Horizontal) return {};
  switch (section) {
    case IdColumn:
      return tr("id");
    case PromptColumn:
      return tr("prompt");
    case TokensColumn:
      return tr("tokens");
  }
  return {};
}

}  // namespace kvr::ui
