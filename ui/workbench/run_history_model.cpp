#include "workbench/run_history_model.h"

#include <QDateTime>
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <limits>

#include "charts/quantity_format.h"
#include "kvrecycle/experiment.h"

namespace kvr::ui {

QString configValue(const kvr::RunRecord& run, const char* key) {
  const QJsonObject config =
      QJsonDocument::fromJson(QByteArray::fromStdString(run.configJson)).object();
  const QJsonValue v = config.value(QLatin1String(key));
  if (v.isString()) return v.toString();
  if (v.isBool()) return v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
  if (v.isDouble()) return QString::number(v.toDouble());
  return {};
}

int64_t storeBudgetOf(const kvr::RunRecord& run) {
  const QJsonObject config =
      QJsonDocument::fromJson(QByteArray::fromStdString(run.configJson)).object();
  // A double holds every budget a disk could hold exactly (below 2^53 bytes).
  const double bytes = config.value(QLatin1String("store_budget_bytes")).toDouble();
  return bytes > 0 ? static_cast<int64_t>(bytes) : 0;
}

QString storeSummary(const kvr::RunRecord& run) {
  const QString mode = configValue(run, "mode");
  if (mode.isEmpty()) return QStringLiteral("-");
  const int64_t budget = storeBudgetOf(run);
  QStringList parts{mode};
  if (configValue(run, "conversation") == QStringLiteral("true")) {
    parts.front() += RunHistoryModel::tr(" chat");
  }
  // Without a budget the policy never acts: not worth the room.
  parts << (budget > 0 ? formatBytes(static_cast<double>(budget)) + QStringLiteral(" ") +
                             configValue(run, "eviction")
                       : RunHistoryModel::tr("no budget"));
  parts << configValue(run, "kv_dtype");
  return parts.join(QStringLiteral(", "));
}

namespace {

QString modelName(const kvr::RunRecord& run) {
  return QDir(QString::fromStdString(run.modelPath)).dirName() +
         (run.synthetic ? RunHistoryModel::tr(" (synthetic)") : QString());
}

QString shortDate(const kvr::RunRecord& run) {
  const QString iso = QString::fromStdString(run.createdAt);
  const QDateTime when = QDateTime::fromString(iso, Qt::ISODate);
  return when.isValid() ? when.toString(QStringLiteral("yyyy-MM-dd HH:mm")) : iso;
}

}  // namespace

QString runDescription(const kvr::RunRecord& run) {
  if (run.kind == kvr::RunKind::Eviction) {
    // {"methods": [...], "budgets": [...], "max_new_tokens": N}: what the curves are made of.
    const QJsonObject config =
        QJsonDocument::fromJson(QByteArray::fromStdString(run.configJson)).object();
    QStringList methods;
    QStringList budgets;
    for (const QJsonValue& m : config.value(QLatin1String("methods")).toArray())
      methods << m.toString();
    for (const QJsonValue& b : config.value(QLatin1String("budgets")).toArray())
      budgets << QString::number(b.toInt());
    return RunHistoryModel::tr("%1, eviction %2 at budgets %3, %4 new tokens, %5 UTC")
        .arg(modelName(run), methods.join(QLatin1Char(',')), budgets.join(QLatin1Char(',')),
             configValue(run, "max_new_tokens"), shortDate(run));
  }
  return RunHistoryModel::tr("%1, policy %2, %3 UTC")
      .arg(modelName(run), configValue(run, "policy"), shortDate(run));
}

RunHistoryModel::RunHistoryModel(QObject* parent) : QAbstractTableModel(parent) {}

void RunHistoryModel::setRuns(std::vector<kvr::RunRecord> runs) {
  beginResetModel();
  runs_ = std::move(runs);
  endResetModel();
}

const kvr::RunRecord* RunHistoryModel::runAt(int row) const {
  return row >= 0 && row < rowCount() ? &runs_[static_cast<size_t>(row)] : nullptr;
}

int RunHistoryModel::rowOfRun(qint64 id) const {
  for (size_t i = 0; i < runs_.size(); ++i) {
    if (runs_[i].id == id) return static_cast<int>(i);
  }
  return -1;
}

int RunHistoryModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(runs_.size());
}

int RunHistoryModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : ColumnCount;
}

// An eviction run (kvrecycle-cli evict) has no recycling readings: its
// columns say what it is instead of showing zeros.
QVariant RunHistoryModel::evictionRunData(const kvr::RunRecord& run, int column, int role) const {
  switch (column) {
    case Policy:
      return tr("eviction run");
    case Prompts:
      return role == Qt::UserRole ? QVariant(run.plannedPrompts)
                                  : QVariant(QString::number(run.plannedPrompts));
    case ExactRate:
    case Speedup:
    case TtftSpeedup:
      return role == Qt::UserRole ? QVariant(std::numeric_limits<double>::quiet_NaN())
                                  : QVariant(QStringLiteral("-"));
    default:
      return {};  // the columns both kinds share
  }
}

QVariant RunHistoryModel::data(const QModelIndex& index, int role) const {
  const kvr::RunRecord* run = runAt(index.row());
  if (run == nullptr ||
      (role != Qt::DisplayRole && role != Qt::ToolTipRole && role != Qt::UserRole)) {
    return {};
  }
  if (run->kind == kvr::RunKind::Eviction) {
    const QVariant own = evictionRunData(*run, index.column(), role);
    if (own.isValid()) return own;
  }
  const kvr::RunSummary s = kvr::summaryFromJson(run->summaryJson);
  switch (index.column()) {
    case Id:
      return static_cast<qlonglong>(run->id);
    case Name:
      return QString::fromStdString(run->name);
    case Created:  // minutes are enough in the list; the tooltip has it all
      return role == Qt::DisplayRole ? shortDate(*run) : QString::fromStdString(run->createdAt);
    case Model: {
      const QString path = QString::fromStdString(run->modelPath);
      if (role == Qt::ToolTipRole) return path;
      return modelName(*run);
    }
    case Policy:
      return configValue(*run, "policy");
    case Status:
      return QString::fromUtf8(kvr::runStatusName(run->status));
    case Prompts:  // "2 of 7" when a run stopped early
      if (role == Qt::UserRole) return s.prompts;
      return run->plannedPrompts > s.prompts
                 ? tr("%1 of %2").arg(s.prompts).arg(run->plannedPrompts)
                 : QString::number(s.prompts);
    case ExactRate:
      return role == Qt::UserRole ? QVariant(s.exactMatchRate)
                                  : QVariant(formatFraction(s.exactMatchRate));
    case Speedup:
      return role == Qt::UserRole ? QVariant(s.avgSpeedupPct)
                                  : QVariant(formatPercent(s.avgSpeedupPct));
    case TtftSpeedup:
      return role == Qt::UserRole ? QVariant(s.avgTtftSpeedup)
                                  : QVariant(formatRatio(s.avgTtftSpeedup));
    case Store:
      if (role == Qt::ToolTipRole) {
        return tr("mode %1%2, store budget %3, eviction %4, K/V precision %5")
            .arg(configValue(*run, "mode"),
                 configValue(*run, "conversation") == QStringLiteral("true")
                     ? tr(" (conversation turns)")
                     : QString(),
                 formatBytes(static_cast<double>(storeBudgetOf(*run))),
                 configValue(*run, "eviction"), configValue(*run, "kv_dtype"));
      }
      return storeSummary(*run);
    case Tags: {
      QStringList tags;
      for (const auto& t : run->tags) tags << QString::fromStdString(t);
      return tags.join(QStringLiteral(", "));
    }
  }
  return {};
}

QVariant RunHistoryModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || (role != Qt::DisplayRole && role != Qt::ToolTipRole)) {
    return {};
  }
  static const char* const names[ColumnCount] = {"id",      "name",         "created", "model",
                                                 "policy",  "status",       "prompts", "exact rate",
                                                 "speedup", "TTFT speedup", "store",   "tags"};
  return section >= 0 && section < ColumnCount ? tr(names[section]) : QVariant();
}

}  // namespace kvr::ui
