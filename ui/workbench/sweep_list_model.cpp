#include "workbench/sweep_list_model.h"

#include <QStringList>

namespace kvr::ui {

QString sweepAxesText(const kvr::SweepStatus& sweep) {
  QStringList axes;
  for (const std::string& a : sweep.axes) axes << QString::fromStdString(a);
  return axes.isEmpty() ? SweepListModel::tr("(no axes)") : axes.join(QStringLiteral(" × "));
}

QString sweepOthersText(const kvr::SweepStatus& sweep) {
  using State = kvr::SweepCellState;
  QStringList parts;
  const auto add = [&parts](int n, const QString& what) {
    if (n > 0) parts << QStringLiteral("%1 %2").arg(n).arg(what);
  };
  add(sweep.unfinished(), SweepListModel::tr("failed"));
  add(sweep.count(State::Running), SweepListModel::tr("running"));
  add(sweep.count(State::Pending), SweepListModel::tr("pending"));
  add(sweep.count(State::InShard), SweepListModel::tr("in shards"));
  if (!sweep.fromSpec) parts << SweepListModel::tr("grid unknown (no spec)");
  return parts.join(QStringLiteral(" · "));
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
  if (role == Qt::TextAlignmentRole && index.column() == Done) {
    return int(Qt::AlignRight | Qt::AlignVCenter);
  }
  if (role != Qt::DisplayRole) return {};
  switch (index.column()) {
    case Sweep:
      return QString::fromStdString(s->id);
    case Axes:
      return sweepAxesText(*s);
    case Done:
      // Without the spec only the cells with a run are known.
      return QStringLiteral("%1/%2%3")
          .arg(s->count(State::Completed))
          .arg(s->totalCells)
          .arg(s->fromSpec ? QString() : QStringLiteral("+"));
    case Others:
      return sweepOthersText(*s);
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
  if (role == Qt::ToolTipRole && section == Others) {
    return tr(
        "Failed (also cancelled or interrupted: running the sweep again reruns them), "
        "running, pending, and completed in a Slurm shard but not merged yet "
        "(Import shards… merges them)");
  }
  if (role != Qt::DisplayRole) return {};
  static const char* names[] = {"Sweep", "Axes", "Done", "Not done", "Spec"};
  return section >= 0 && section < ColumnCount ? tr(names[section]) : QVariant();
}

}  // namespace kvr::ui
