#include "workbench/sweep_cell_model.h"

#include <QBrush>
#include <QColor>
#include <QJsonDocument>
#include <QJsonObject>

#include <cmath>

namespace kvr::ui {
namespace {

// The run a cell shows: the database's, else its shard's (not merged yet).
const std::optional<kvr::RunRecord>& shownRun(const kvr::SweepCellStatus& cell) {
  return cell.run ? cell.run : cell.shardRun;
}

QString axisValue(const kvr::SweepCellStatus& cell, size_t axis) {
  return axis < cell.axisValues.size() ? QString::fromStdString(cell.axisValues[axis].value)
                                       : QString();
}

double metricOf(const kvr::SweepCellStatus& cell, const SweepMetric& metric) {
  const auto& run = shownRun(cell);
  if (!run || run->status != kvr::RunStatus::Completed || run->summaryJson.empty()) return NAN;
  return metric.value(kvr::summaryFromJson(run->summaryJson));
}

QColor stateColor(kvr::SweepCellState state) {
  switch (state) {
    case kvr::SweepCellState::Completed:
      return QColor(0x2c, 0xa0, 0x2c);
    case kvr::SweepCellState::Failed:
    case kvr::SweepCellState::Cancelled:
    case kvr::SweepCellState::Interrupted:
      return QColor(0xd6, 0x27, 0x28);
    case kvr::SweepCellState::Running:
    case kvr::SweepCellState::InShard:
      return QColor(0x1f, 0x77, 0xb4);
    case kvr::SweepCellState::Pending:
      break;
  }
  return QColor();
}

}  // namespace

RunProvenance runProvenance(const kvr::RunRecord& run) {
  const QJsonObject machine =
      QJsonDocument::fromJson(QByteArray::fromStdString(run.machineJson)).object();
  RunProvenance p;
  const QJsonObject merged = machine.value(QStringLiteral("merged_from")).toObject();
  p.host = merged.isEmpty() ? machine.value(QStringLiteral("hostname")).toString()
                            : merged.value(QStringLiteral("hostname")).toString();
  const QJsonObject slurm = machine.value(QStringLiteral("slurm")).toObject();
  const QString array = slurm.value(QStringLiteral("array_job_id")).toString();
  const QString task = slurm.value(QStringLiteral("array_task_id")).toString();
  p.slurmJob = !array.isEmpty() && !task.isEmpty()
                   ? array + QLatin1Char('_') + task
                   : slurm.value(QStringLiteral("job_id")).toString();
  return p;
}

SweepCellModel::SweepCellModel(QObject* parent)
    : QAbstractTableModel(parent), metric_(sweepMetrics().front()) {}

void SweepCellModel::setSweep(const kvr::SweepStatus& sweep) {
  beginResetModel();
  sweep_ = sweep;
  endResetModel();
}

void SweepCellModel::setMetric(const SweepMetric& metric) {
  metric_ = metric;
  const int column = stateColumn() + 2;
  emit headerDataChanged(Qt::Horizontal, column, column);
  if (rowCount() > 0) emit dataChanged(index(0, column), index(rowCount() - 1, column));
}

int SweepCellModel::cellAt(int row) const {
  if (row < 0 || row >= rowCount()) return -1;
  return sweep_.cells[static_cast<size_t>(row)].cell;
}

int SweepCellModel::rowOfCell(int cell) const {
  for (size_t i = 0; i < sweep_.cells.size(); ++i) {
    if (sweep_.cells[i].cell == cell) return static_cast<int>(i);
  }
  return -1;
}

int SweepCellModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(sweep_.cells.size());
}

int SweepCellModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : stateColumn() + 5;  // state, run, metric, host, Slurm job
}

QVariant SweepCellModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= rowCount()) return {};
  const kvr::SweepCellStatus& cell = sweep_.cells[static_cast<size_t>(index.row())];
  const int column = index.column() - stateColumn();  // 0 state, 1 run, 2 metric, 3 host, 4 job
  const auto& run = shownRun(cell);
  if (role == Qt::ForegroundRole && column == 0) {
    const QColor c = stateColor(cell.state);
    return c.isValid() ? QVariant(QBrush(c)) : QVariant();
  }
  if (role == Qt::ToolTipRole && column == 0) {
    QStringList lines;
    if (cell.run)
      lines << tr("database: %1").arg(QString::fromUtf8(runStatusName(cell.run->status)));
    if (cell.shardRun)
      lines << tr("Slurm shard: %1").arg(QString::fromUtf8(runStatusName(cell.shardRun->status)));
    if (!cell.slurm.empty()) lines << tr("Slurm: %1").arg(QString::fromStdString(cell.slurm));
    if (run && !run->error.empty()) lines << QString::fromStdString(run->error);
    return lines.isEmpty() ? tr("never started") : lines.join(QLatin1Char('\n'));
  }
  if (role == Qt::TextAlignmentRole && (index.column() == 0 || column == 1 || column == 2)) {
    return int(Qt::AlignRight | Qt::AlignVCenter);
  }
  if (role != Qt::DisplayRole) return {};
  if (index.column() == 0) return cell.cell;
  if (column < 0) return axisValue(cell, static_cast<size_t>(index.column() - kFirstAxisColumn));
  switch (column) {
    case 0:
      return QString::fromUtf8(kvr::sweepCellStateName(cell.state));
    case 1:
      return run ? QVariant(static_cast<qlonglong>(run->id)) : QVariant(QStringLiteral("-"));
    case 2: {
      const double v = metricOf(cell, metric_);
      return std::isfinite(v) ? QString::number(v, 'g', 4) : QStringLiteral("-");
    }
    case 3:
      return run ? runProvenance(*run).host : QString();
    case 4:
      return run ? runProvenance(*run).slurmJob : QString();
    default:
      return {};
  }
}

QVariant SweepCellModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
  if (section == 0) return tr("Cell");
  if (section < stateColumn()) {
    return QString::fromStdString(sweep_.axes[static_cast<size_t>(section - kFirstAxisColumn)]);
  }
  switch (section - stateColumn()) {
    case 0:
      return tr("State");
    case 1:
      return tr("Run");
    case 2:
      return metric_.shortLabel;
    case 3:
      return tr("Host");
    case 4:
      return tr("Slurm job");
    default:
      return {};
  }
}

kvr::Table sweepCellsTable(const kvr::SweepStatus& sweep) {
  kvr::Table table;
  table.columns = {"sweep", "cell"};
  for (const std::string& axis : sweep.axes) table.columns.push_back(axis);
  for (const char* c : {"state", "run_id", "host", "slurm_job"}) table.columns.emplace_back(c);
  for (const SweepMetric& m : sweepMetrics()) table.columns.push_back(m.key.toStdString());
  for (const kvr::SweepCellStatus& cell : sweep.cells) {
    std::vector<kvr::TableCell> row;
    row.emplace_back(sweep.id);
    row.emplace_back(static_cast<int64_t>(cell.cell));
    for (size_t a = 0; a < sweep.axes.size(); ++a)
      row.emplace_back(axisValue(cell, a).toStdString());
    row.emplace_back(std::string(kvr::sweepCellStateName(cell.state)));
    const auto& run = shownRun(cell);
    if (run) {
      const RunProvenance p = runProvenance(*run);
      row.emplace_back(static_cast<int64_t>(run->id));
      row.emplace_back(p.host.toStdString());
      row.emplace_back(p.slurmJob.toStdString());
    } else {
      row.resize(row.size() + 3);  // no run: null id, host and job
    }
    for (const SweepMetric& m : sweepMetrics()) {
      const double v = metricOf(cell, m);
      if (std::isfinite(v)) {
        row.emplace_back(v);
      } else {
        row.emplace_back();  // null: not measured
      }
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

}  // namespace kvr::ui
