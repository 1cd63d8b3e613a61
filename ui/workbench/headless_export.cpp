#include "workbench/headless_export.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFileInfo>
#include <cstdio>

#include "charts/chart_export.h"
#include "workbench/eviction_view.h"
#include "workbench/run_history_model.h"
#include "workbench/run_store_service.h"

namespace kvr::ui {
namespace {

int fail(int status, const QString& message) {
  std::fprintf(stderr, "error: %s\n", message.toLocal8Bit().constData());
  return status;
}

}  // namespace

int runHeadlessChartExport(int argc, char** argv) {
  QStringList args;
  for (int i = 0; i < argc; ++i) args << QString::fromLocal8Bit(argv[i]);
  args.removeAt(1);  // "export-charts"
  QCommandLineParser parser;
  parser.setApplicationDescription(
      QStringLiteral("Write every chart of a run as PNG, PDF and SVG"));
  parser.addHelpOption();
  const QCommandLineOption db(QStringLiteral("db"), QStringLiteral("SQLite run store"),
                              QStringLiteral("FILE"));
  const QCommandLineOption run(QStringLiteral("run"), QStringLiteral("Run id"),
                               QStringLiteral("ID"));
  const QCommandLineOption out(QStringLiteral("out"), QStringLiteral("Output directory"),
                               QStringLiteral("DIR"));
  const QCommandLineOption size(QStringLiteral("size"), QStringLiteral("Figure size in pixels"),
                                QStringLiteral("WxH"), QStringLiteral("1170x720"));
  const QCommandLineOption pdfWidthOption(
      QStringLiteral("pdf-width"),
      QStringLiteral("PDF page width in inches (default 6.5, a paper's text width; at least "
                     "4.5); the height follows --size"),
      QStringLiteral("IN"), QStringLiteral("6.5"));
  parser.addOptions({db, run, out, size, pdfWidthOption});
  if (!parser.parse(args)) return fail(2, parser.errorText());
  if (parser.isSet(QStringLiteral("help"))) {
    std::printf("%s", parser.helpText().toLocal8Bit().constData());
    return 0;
  }
  if (!parser.isSet(db) || !parser.isSet(run) || !parser.isSet(out)) {
    return fail(2, QStringLiteral("export-charts needs --db FILE --run ID --out DIR"));
  }
  bool ok = false;
  const qint64 runId = parser.value(run).toLongLong(&ok);
  if (!ok) return fail(2, QStringLiteral("--run takes a run id, not '%1'").arg(parser.value(run)));
  const std::optional<QSize> figureSize = parseChartSize(parser.value(size));
  if (!figureSize) {
    return fail(2, QStringLiteral("--size takes WIDTHxHEIGHT in pixels, e.g. 1170x720"));
  }
  const double pdfWidth = parser.value(pdfWidthOption).toDouble(&ok);
  if (!ok || pdfWidth < kPdfMinWidthInches || pdfWidth > 40.0) {
    return fail(2, QStringLiteral("--pdf-width takes inches between 4.5 and 40, not '%1'")
                       .arg(parser.value(pdfWidthOption)));
  }
  try {
    if (!QFileInfo::exists(parser.value(db))) {
      return fail(1, QStringLiteral("%1: no such database").arg(parser.value(db)));
    }
    const std::optional<ComparedRun> stored = RunStoreService(parser.value(db)).loadRun(runId);
    if (!stored) {
      return fail(1, QStringLiteral("%1: run %2 does not exist").arg(parser.value(db)).arg(runId));
    }
    QStringList files;
    if (stored->run.kind == kvr::RunKind::Eviction) {
      const EvictionSeries series{runLabel(stored->run), evictionSummary(stored->evictionRows),
                                  runDescription(stored->run)};
      files = exportAllEvictionCharts({series}, parser.value(out), *figureSize, pdfWidth);
    } else {
      files = exportAllCharts({runSeries(*stored)}, parser.value(out), *figureSize, pdfWidth);
    }
    for (const QString& f : files) std::printf("%s\n", f.toLocal8Bit().constData());
    return 0;
  } catch (const std::exception& e) {
    return fail(1, QString::fromUtf8(e.what()));
  }
}

}  // namespace kvr::ui
