#include "workbench/sweep_list_model.h"

#include <QStringList>

namespace kvr::ui {

QString sweepAxesText(const kvr::SweepStatus& sweep) {
  QStringList axes;
  for (const std::string& a : sweep.axes) axes << QString::fromStdString(a);
  return axes.isEmpty() ? SweepListModel::tr("(no axes)") : axes.join(QStringLiteral(" × "));
}

SweepListModel::SweepListModel(QObject* parent) : QAbstractTableModel(parent) {}

void SweepListModel::setSweeps(std::vector<kvr::SweepStatus> sweeps) {
  beginResetModel();
  sweeps_ = std::move(sweeps);
  endResetModel();
}

const kvr::SweepStatus* SweepListModel::sweepAt(int row) const {
  if (row < 0 || row >= static_cast<int>(sweeps_.size())) return nullptr;
  return &sweeps_[static_cast<size_t>(row)];
}

int SweepListModel::rowOfSweep(const QString& id) const {
  for (size_t i = 0; i < sweeps_.size(); ++i) {
    if (QString::fromStdString(sweeps_[i].id) == id) return static_cast<int>(i);
  }
  return -1;
}

int SweepListModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(sweeps_.size());
}

int SweepListModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : ColumnCount;
}

QVariant SweepListModel::data(const QModelIndex& index, int role) const {
  const kvr::SweepStatus* s = sweepAt(index.row());
  if (s == nullptr) return {};
  using State = kvr::SweepCellState;
  if (role == Qt::ToolTipRole) {
    if (!s->specError.empty()) {
      return tr("Spec not readable, so only the cells with a run are listed: %1")
          .arg(QString::fromStdString(s->specError));
    }
    if (s->spec.empty())
      return tr("The runs do not name their spec: only cells with a run are listed");
    QString tip = QString::fromStdString(s->spec.string());
    if (!s->jobId.empty()) tip += tr("\nSlurm job %1").arg(QString::fromStdString(s->jobId));
    for (const std::string& note : s->notes)
      tip += QLatin1Char('\n') + QString::fromStdString(note);
    return tip;
  }
  if (role == Qt::TextAlignmentRole && index.column() >= Cells && index.column() <= InShards) {
    return int(Qt::AlignRight | Qt::AlignVCenter);
  }
  if (role != Qt::DisplayRole) return {};
  switch (index.column()) {
    case Sweep:
      return QString::fromStdString(s->id);
    case Axes:
      return sweepAxesText(*s);
    case Cells:
      return s->fromSpec ? QString::number(s->totalCells)
                         : tr("≥%1").arg(s->totalCells);  // the grid is not known without the spec
    case Done:
      return s->count(State::Completed);
    case Failed:
      return s->unfinished();
    case Running:
      return s->count(State::Running);
    case Pending:
      return s->fromSpec ? QVariant(s->count(State::Pending)) : QVariant(QStringLiteral("?"));
    case InShards:
      return s->count(State::InShard);
    case Spec:
      if (s->spec.empty()) return tr("(not recorded)");
      return QString::fromStdString(s->spec.filename().string()) +
             (s->specError.empty() ? QString() : tr(" (unreadable)"));
    default:
      return {};
  }
}

QVariant SweepListModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal) return {};
  if (role == Qt::ToolTipRole && section == InShards) {
    return tr("Completed in their Slurm shard, not merged yet: Import shards… merges them");
  }
  if (role == Qt::ToolTipRole && section == Failed) {
    return tr("Failed, cancelled or interrupted: running the sweep again reruns them");
  }
  if (role != Qt::DisplayRole) return {};
  static const char* names[] = {"Sweep",   "Axes",    "Cells",     "Done", "Failed",
                                "Running", "Pending", "In shards", "Spec"};
  return section >= 0 && section < ColumnCount ? tr(names[section]) : QVariant();
}

}  // namespace kvr::ui
