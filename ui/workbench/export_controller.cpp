#include "workbench/export_controller.h"

#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QMessageBox>
#include <QSettings>
#include <QStandardPaths>
#include <QTabWidget>

#include "charts/chart_export.h"
#include "charts/eviction_chart.h"
#include "charts/result_chart.h"
#include "kvrecycle/error.h"
#include "kvrecycle/run_export.h"
#include "workbench/compare_page.h"
#include "workbench/eviction_view.h"
#include "workbench/history_page.h"
#include "workbench/results_model.h"
#include "workbench/run_page.h"
#include "workbench/run_store_service.h"
#include "workbench/run_view.h"
#include "workbench/sweeps_page.h"
#include "workbench/table_text.h"

namespace kvr::ui {
namespace {

const QString kExportDirKey = QStringLiteral("exportDir");

// Where export dialogs start: the last folder used, else the user's documents.
QString lastExportDirectory() {
  const QString fallback = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
  return QSettings()
      .value(kExportDirKey, fallback.isEmpty() ? QDir::homePath() : fallback)
      .toString();
}

void rememberExportDirectory(const QString& dir) {
  QSettings().setValue(kExportDirKey, dir);
}

}  // namespace

ExportController::ExportController(const Pages& pages, RunStoreService* store, QWidget* window)
    : QObject(window), pages_(pages), store_(store), window_(window) {}

QList<ResultChart*> ExportController::visibleCharts() const {
  const QWidget* current = pages_.tabs->currentWidget();
  if (current == pages_.compare) return pages_.compare->charts() + pages_.compare->storeCharts();
  const RunView* view =
      current == pages_.history ? pages_.history->runView() : pages_.run->runView();
  return view->charts() + view->storeCharts();
}

EvictionView* ExportController::visibleEvictionView() const {
  const QWidget* current = pages_.tabs->currentWidget();
  if (current == pages_.compare) {
    return pages_.compare->shown() == ComparePage::Shown::Eviction ? pages_.compare->evictionView()
                                                                   : nullptr;
  }
  if (current == pages_.history) {
    return pages_.history->showsEviction() ? pages_.history->evictionView() : nullptr;
  }
  return pages_.run->showsEviction() ? pages_.run->evictionView() : nullptr;
}

bool ExportController::comparingMixedKinds() const {
  return pages_.tabs->currentWidget() == pages_.compare &&
         pages_.compare->shown() == ComparePage::Shown::MixedKinds;
}

void ExportController::warnFailed(const std::exception& e) {
  QMessageBox::warning(window_, tr("Export failed"), QString::fromUtf8(e.what()));
}

void ExportController::exportCurrentChart() {
  if (auto* sweeps = qobject_cast<SweepsPage*>(pages_.tabs->currentWidget())) {
    sweeps->exportChartDialog();
    return;
  }
  if (comparingMixedKinds()) {
    warnFailed(kvr::Error("runs of different kinds are not compared: there is no chart to export"));
    return;
  }
  EvictionView* eviction = visibleEvictionView();
  const QList<ResultChart*> charts = visibleCharts();
  ResultChart* chart = charts.first();
  for (ResultChart* c : charts) {
    if (c->isVisible()) chart = c;
  }
  const QString path = QFileDialog::getSaveFileName(window_, tr("Export chart"),
                                                    lastExportDirectory() + "/chart.pdf",
                                                    tr("PDF (*.pdf);;SVG (*.svg);;PNG (*.png)"));
  if (path.isEmpty()) return;
  rememberExportDirectory(QFileInfo(path).absolutePath());
  const ChartFormat format = chartFormatForPath(path);
  QSize size = kDefaultChartSize;
  if (format != ChartFormat::Pdf) {  // a PDF is a 6.5 in page with its text at point size
    bool ok = false;
    const QString sizeText = QInputDialog::getText(
        window_, tr("Figure size"), tr("Width x height (px):"), QLineEdit::Normal,
        QStringLiteral("%1x%2").arg(kDefaultChartSize.width()).arg(kDefaultChartSize.height()),
        &ok);
    if (!ok) return;
    size = parseChartSize(sizeText).value_or(kDefaultChartSize);
  }
  try {
    if (eviction != nullptr) {
      exportEvictionChart(*eviction->chart(), path, format, size);
    } else {
      exportChart(*chart, path, format, size);
    }
    emit logLine(tr("Exported %1").arg(path));
  } catch (const std::exception& e) {
    warnFailed(e);
  }
}

QStringList ExportController::exportAllCharts(const QString& directory, QSize size) {
  if (auto* sweeps = qobject_cast<SweepsPage*>(pages_.tabs->currentWidget())) {
    return sweeps->exportAllCharts(directory, size);
  }
  if (comparingMixedKinds()) {
    throw kvr::Error("runs of different kinds are not compared: there are no charts to export");
  }
  if (const EvictionView* eviction = visibleEvictionView()) {
    return exportAllEvictionCharts(eviction->series(), directory, size);
  }
  QList<RunSeries> series;
  const QWidget* current = pages_.tabs->currentWidget();
  if (current == pages_.compare) {
    series = pages_.compare->series();
  } else {
    const RunView* view =
        current == pages_.history ? pages_.history->runView() : pages_.run->runView();
    series << view->series();
  }
  return kvr::ui::exportAllCharts(series, directory, size);
}

void ExportController::exportAllChartsDialog() {
  const QString dir = QFileDialog::getExistingDirectory(window_, tr("Export all charts into"),
                                                        lastExportDirectory());
  if (dir.isEmpty()) return;
  rememberExportDirectory(dir);
  try {
    const QStringList files = exportAllCharts(dir, kDefaultChartSize);
    emit logLine(tr("Exported %1 files to %2").arg(files.size()).arg(dir));
  } catch (const std::exception& e) {
    warnFailed(e);
  }
}

// The comparison's summary table, or the visible run's results through the engine's exporter.
QString ExportController::visibleTableText(const QString& format) const {
  const QWidget* current = pages_.tabs->currentWidget();
  if (current == pages_.compare) {
    if (comparingMixedKinds())
      throw kvr::Error("runs of different kinds are not compared: there is no table to export");
    if (const EvictionView* eviction = visibleEvictionView())
      return tableText(eviction->table(), format);
    return tableText(pages_.compare->metricsTable(), format);
  }
  const qint64 id =
      current == pages_.history ? pages_.history->shownRunId() : pages_.run->lastRunId();
  const std::optional<ComparedRun> stored = store_->loadRun(id);
  if (!stored) throw kvr::Error("no run to export yet");
  const kvr::TableFormat tableFormat = kvr::parseTableFormat(format.toStdString());
  if (stored->run.kind == kvr::RunKind::Eviction) {
    return QString::fromStdString(
        kvr::exportEvictionRun(stored->run, stored->evictionRows, tableFormat));
  }
  return QString::fromStdString(kvr::exportRun(stored->run, stored->results, tableFormat));
}

void ExportController::exportTable() {
  if (auto* sweeps = qobject_cast<SweepsPage*>(pages_.tabs->currentWidget())) {
    sweeps->exportCellsDialog();
    return;
  }
  const QString path = QFileDialog::getSaveFileName(
      window_, tr("Export table"), lastExportDirectory() + "/results.csv",
      tr("CSV (*.csv);;Markdown (*.md);;LaTeX (*.tex);;JSON (*.json)"));
  if (path.isEmpty()) return;
  try {
    const QString text = visibleTableText(QFileInfo(path).suffix().toLower());
    QFile out(path);
    if (!out.open(QIODevice::WriteOnly | QIODevice::Truncate) || out.write(text.toUtf8()) < 0) {
      throw kvr::Error(path.toStdString() + ": cannot write");
    }
    emit logLine(tr("Exported %1").arg(path));
  } catch (const std::exception& e) {
    warnFailed(e);
  }
}

}  // namespace kvr::ui
