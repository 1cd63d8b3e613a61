// The Sweeps tab's actions: run a spec, import shards, export chart and cells.
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QTableView>

#include "charts/sweep_chart.h"
#include "kvrecycle/error.h"
#include "kvrecycle/slurm.h"
#include "kvrecycle/table_writer.h"
#include "workbench/run_store_service.h"
#include "workbench/sweep_cell_model.h"
#include "workbench/sweep_list_model.h"
#include "workbench/sweep_worker.h"
#include "workbench/sweeps_page.h"

namespace kvr::ui {
namespace {

const QString kSpecFolderKey = QStringLiteral("sweeps/specFolder");
const QString kShardFolderKey = QStringLiteral("sweeps/shardFolder");
const QString kExportFolderKey = QStringLiteral("exportDir");  // shared with File → Export

// The example specs: beside an installed binary, else in the source tree.
QString bundledSpecFolder() {
  const QString installed = QDir(QCoreApplication::applicationDirPath())
                                .filePath(QStringLiteral("../share/kvrecycle/sweeps"));
  if (QFileInfo(installed).isDir()) return QDir::cleanPath(installed);
#ifdef KVR_SWEEP_SPECS_DIR
  if (QFileInfo(QStringLiteral(KVR_SWEEP_SPECS_DIR)).isDir())
    return QStringLiteral(KVR_SWEEP_SPECS_DIR);
#endif
  return QDir::homePath();
}

void writeText(const QString& path, const QString& text) {
  QFile out(path);
  if (!out.open(QIODevice::WriteOnly | QIODevice::Truncate) || out.write(text.toUtf8()) < 0) {
    throw kvr::Error(path.toStdString() + ": cannot write");
  }
}

}  // namespace

bool SweepsPage::startSweep(const QString& specPath) {
  if (!worker_->start(specPath, store_->databasePath())) return false;
  progress_->setValue(0);
  progressLabel_->setText(tr("Starting %1 …").arg(QFileInfo(specPath).fileName()));
  emit logLine(tr("Sweep from %1 into %2").arg(specPath, store_->databasePath()));
  updateButtons();
  return true;
}

void SweepsPage::cancelSweep() {
  worker_->cancel();
  progressLabel_->setText(tr("Cancelling: the cell in progress stops at its next step…"));
}

bool SweepsPage::sweepRunning() const {
  return worker_->running();
}

void SweepsPage::runSweepDialog() {
  const QString path = QFileDialog::getOpenFileName(
      this, tr("Run a sweep spec"),
      QSettings().value(kSpecFolderKey, bundledSpecFolder()).toString(),
      tr("Sweep spec (*.json);;All files (*)"));
  if (path.isEmpty()) return;
  QSettings().setValue(kSpecFolderKey, QFileInfo(path).absolutePath());
  startSweep(path);
}

kvr::MergeReport SweepsPage::importShards(const QStringList& paths) {
  const kvr::MergeReport r = store_->importShards(paths);
  const QString text =
      tr("Imported %1 shard(s): %2 runs merged, %3 already present, %4 not completed")
          .arg(paths.size())
          .arg(r.copied)
          .arg(r.alreadyPresent)
          .arg(r.notCompleted);
  progressLabel_->setText(text);
  emit logLine(text);
  for (const std::string& note : r.notes)
    emit logLine(QStringLiteral("  ") + QString::fromStdString(note));
  return r;
}

// The selected sweep's shards folder when it went to Slurm, else the last folder used.
QString SweepsPage::defaultShardFolder() const {
  const QString id = selectedSweepId();
  if (!id.isEmpty()) {
    const kvr::SlurmSweepFolder folder =
        kvr::defaultSlurmSweepFolder(store_->databasePath().toStdString(), id.toStdString());
    const QString shards = QString::fromStdString(folder.shards().string());
    if (QFileInfo(shards).isDir()) return shards;
  }
  return QSettings()
      .value(kShardFolderKey, QFileInfo(store_->databasePath()).absolutePath())
      .toString();
}

void SweepsPage::importShardsDialog() {
  const QStringList paths =
      QFileDialog::getOpenFileNames(this, tr("Import sweep shards"), defaultShardFolder(),
                                    tr("Run databases (*.sqlite *.db);;All files (*)"));
  if (paths.isEmpty()) return;
  QSettings().setValue(kShardFolderKey, QFileInfo(paths.first()).absolutePath());
  try {
    const kvr::MergeReport r = importShards(paths);
    QMessageBox::information(
        this, tr("Shards imported"),
        tr("%1 runs merged, %2 already present, %3 not completed (not copied).")
            .arg(r.copied)
            .arg(r.alreadyPresent)
            .arg(r.notCompleted));
  } catch (const std::exception& e) {
    QMessageBox::warning(this, tr("Import failed"), QString::fromUtf8(e.what()));
  }
}

QString SweepsPage::cellTableText(const QString& format) const {
  if (cells_->sweep().id.empty()) throw kvr::Error("no sweep selected");
  return QString::fromStdString(kvr::writeTable(sweepCellsTable(cells_->sweep()),
                                                kvr::parseTableFormat(format.toStdString())));
}

void SweepsPage::exportChart(const QString& path, QSize size) {
  chart_->exportTo(path, size.isEmpty() ? kDefaultChartSize : size);
  emit logLine(tr("Exported %1").arg(path));
}

void SweepsPage::exportCells(const QString& path) {
  writeText(path, cellTableText(QFileInfo(path).suffix().toLower()));
  emit logLine(tr("Exported %1").arg(path));
}

QStringList SweepsPage::exportAllCharts(const QString& directory, QSize size) {
  if (!QDir().mkpath(directory)) throw kvr::Error(directory.toStdString() + ": cannot create");
  const QString base = QStringLiteral("sweep-%1-%2")
                           .arg(QString::fromStdString(cells_->sweep().id), chart_->data().xAxis);
  QStringList paths;
  for (const char* suffix : {"png", "pdf", "svg"}) {
    paths << QDir(directory).filePath(base + QLatin1Char('.') + QLatin1String(suffix));
    chart_->exportTo(paths.last(), size);
  }
  return paths;
}

void SweepsPage::exportChartDialog() {
  const QString folder = QSettings().value(kExportFolderKey, QDir::homePath()).toString();
  const QString path = QFileDialog::getSaveFileName(
      this, tr("Export sweep chart"),
      folder + QStringLiteral("/sweep-%1.pdf").arg(QString::fromStdString(cells_->sweep().id)),
      tr("PDF (*.pdf);;SVG (*.svg);;PNG (*.png)"));
  if (path.isEmpty()) return;
  QSettings().setValue(kExportFolderKey, QFileInfo(path).absolutePath());
  try {
    exportChart(path);
  } catch (const std::exception& e) {
    QMessageBox::warning(this, tr("Export failed"), QString::fromUtf8(e.what()));
  }
}

void SweepsPage::exportCellsDialog() {
  const QString folder = QSettings().value(kExportFolderKey, QDir::homePath()).toString();
  const QString path = QFileDialog::getSaveFileName(
      this, tr("Export sweep cells"),
      folder + QStringLiteral("/sweep-%1.csv").arg(QString::fromStdString(cells_->sweep().id)),
      tr("CSV (*.csv);;Markdown (*.md);;LaTeX (*.tex);;JSON (*.json)"));
  if (path.isEmpty()) return;
  QSettings().setValue(kExportFolderKey, QFileInfo(path).absolutePath());
  try {
    exportCells(path);
  } catch (const std::exception& e) {
    QMessageBox::warning(this, tr("Export failed"), QString::fromUtf8(e.what()));
  }
}

}  // namespace kvr::ui
