#include "workbench/results_model.h"

#include <QBrush>
#include <QColor>

#include "charts/quantity_format.h"

namespace kvr::ui {
ResultsModel::ResultsModel(QObject* parent) : QAbstractTableModel(parent) {}

void ResultsModel::setResults(std::vector<kvr::PromptResult> results) {
  beginResetModel();
  results_ = std::move(results);
  endResetModel();
}

void ResultsModel::appendResult(const kvr::PromptResult& result) {
  const int row = static_cast<int>(results_.size());
  beginInsertRows({}, row, row);
  results_.push_back(result);
  endInsertRows();
}

const kvr::PromptResult* ResultsModel::resultAt(int row) const {
  return row >= 0 && row < rowCount() ? &results_[static_cast<size_t>(row)] : nullptr;
}

int ResultsModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(results_.size());
}

int ResultsModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : ColumnCount;
}

QVariant ResultsModel::data(const QModelIndex& index, int role) const {
  const kvr::PromptResult* r = resultAt(index.row());
  if (r == nullptr) return {};
  // Qt::UserRole gives raw numbers so the proxy sorts numerically.
  if (role == Qt::UserRole) {
    switch (index.column()) {
      case Reused:
        return r->reusedTokens;
      case Length:
        return r->promptTokens;
      case Load:
        return r->kvLoadSeconds;
      case BaselineTtft:
        return r->baselineTtftSeconds;
      case RecycledTtft:
        return r->recycledTtftSeconds;
      case BaselineDecode:
        return r->baselineDecodeSeconds;
      case RecycledDecode:
        return r->recycledDecodeSeconds;
      case BaselineTotal:
        return r->baselineTotalSeconds;
      case RecycledTotal:
        return r->recycledTotalSeconds;
      case Speedup:
        return r->speedupPct;
      case TtftSpeedup:
        return r->ttftSpeedup;
      case Exact:
        return r->exactnessTested() ? (r->exactMatch ? 1 : 0) : -1;
      case Noise:
        return r->noisy ? 1 : 0;
      case FirstDivergence:
        return r->firstDivergence;
      case MaxLogitDiff:
        return r->maxLogitDiff;
      case OutputSimilarity:
        return r->outputSimilarity;
      case PromptSimilarity:
        return r->promptSimilarity;
      default:
        return data(index, Qt::DisplayRole);
    }
  }
  if (role == Qt::DisplayRole) {
    switch (index.column()) {
      case PromptId:
        return QString::fromStdString(r->promptId);
      case Prompt:
        return QString::fromStdString(r->promptText);
      case CachedPrompt:
        return QString::fromStdString(r->cachedPromptId);
      case Reused:
        return r->reusedTokens;
      case Length:
        return r->promptTokens;
      case Load:
        return formatSeconds(r->kvLoadSeconds);
      case BaselineTtft:
        return formatSeconds(r->baselineTtftSeconds);
      case RecycledTtft:
        return formatSeconds(r->recycledTtftSeconds);
      case BaselineDecode:
        return formatSeconds(r->baselineDecodeSeconds);
      case RecycledDecode:
        return formatSeconds(r->recycledDecodeSeconds);
      case BaselineTotal:
        return formatSeconds(r->baselineTotalSeconds);
      case RecycledTotal:
        return formatSeconds(r->recycledTotalSeconds);
      case Speedup:
        return formatPercent(r->speedupPct);
      case TtftSpeedup:
        return formatRatio(r->ttftSpeedup);
      case Exact:
        return !r->exactnessTested() ? QStringLiteral("-") : r->exactMatch ? tr("yes") : tr("NO");
      case Noise:
        return r->noisy ? tr("noisy") : QString();
      case FirstDivergence:
        return r->firstDivergence < 0 ? QStringLiteral("-") : QString::number(r->firstDivergence);
      case MaxLogitDiff:
        return QString::number(r->maxLogitDiff, 'g', 3);
      case OutputSimilarity:
        return formatFraction(r->outputSimilarity);
      case PromptSimilarity:
        return formatFraction(r->promptSimilarity);
      case Fallback:
        return QString::fromStdString(r->fallbackReason);
    }
  }
  if (role == Qt::ToolTipRole) {
    if (index.column() == Prompt) return QString::fromStdString(r->promptText);
    if (index.column() == CachedPrompt) return QString::fromStdString(r->cachedPromptText);
    if (index.column() == Fallback) return QString::fromStdString(r->fallbackReason);
    if (index.column() == Noise && r->noisy) return QString::fromStdString(r->noiseReason);
    if (index.column() == Exact && !r->exactnessTested()) {
      return tr("Nothing was reused (k = 0): both arms ran the same full prefill");
    }
  }
  if (role == Qt::ForegroundRole && index.column() == Exact && r->exactnessTested() &&
      !r->exactMatch) {
    return QBrush(QColor(0xd0, 0x30, 0x30));
  }
  if (role == Qt::ForegroundRole && index.column() == Noise && r->noisy) {
    return QBrush(QColor(0xc0, 0x70, 0x00));
  }
  if (role == Qt::TextAlignmentRole && index.column() >= Reused &&
      index.column() <= PromptSimilarity) {
    return QVariant(Qt::AlignRight | Qt::AlignVCenter);
  }
  return {};
}

QVariant ResultsModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal) return {};
  static const char* const names[ColumnCount] = {"prompt id",
                                                 "prompt",
                                                 "cached entry",
                                                 "k",
                                                 "m",
                                                 "load",
                                                 "TTFT base",
                                                 "TTFT rec",
                                                 "decode base",
                                                 "decode rec",
                                                 "total base",
                                                 "total rec",
                                                 "e2e speedup",
                                                 "TTFT speedup",
                                                 "exact",
                                                 "first div.",
                                                 "max |dlogit|",
                                                 "output sim.",
                                                 "prompt sim.",
                                                 "noise",
                                                 "fallback"};
  static const char* const tips[ColumnCount] = {
      "Test prompt id",
      "Test prompt text",
      "Cached prompt whose K/V were used",
      "Reused tokens (K/V loaded, not computed)",
      "Prompt tokens",
      "K/V load time (median)",
      "Baseline time to first token",
      "Recycled time to first token (load + prefill)",
      "Baseline decode time",
      "Recycled decode time",
      "Baseline total latency",
      "Recycled total latency",
      "End-to-end: median over repeats of (L_base - L_rec) / L_base x 100",
      "Time-to-first-token speedup: baseline TTFT / recycled TTFT",
      "Recycled output tokens identical to baseline (tested where K/V were reused)",
      "First differing output position",
      "Max |logit difference| on the first generated step",
      "Cosine similarity of the output texts",
      "Cosine similarity of test and cached prompt",
      "Noisy: a reading the instrument cannot back (hover for the reason)",
      "Why recycling fell back to a full prefill"};
  if (section < 0 || section >= ColumnCount) return {};
  if (role == Qt::DisplayRole) return tr(names[section]);
  if (role == Qt::ToolTipRole) return tr(tips[section]);
  return {};
}

}  // namespace kvr::ui
