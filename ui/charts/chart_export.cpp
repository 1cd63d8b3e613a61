#include "charts/chart_export.h"

#include <qcustomplot.h>
#include <QBuffer>
#include <QDir>
#include <QFileInfo>
#include <QPageLayout>
#include <QPdfWriter>
#include <QRegularExpression>
#include <QSaveFile>
#include <QSvgGenerator>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "charts/cost_model_chart.h"
#include "charts/eviction_chart.h"
#include "charts/latency_chart.h"
#include "charts/pareto_chart.h"
#include "charts/resident_bytes_chart.h"
#include "charts/result_chart.h"
#include "charts/similarity_chart.h"
#include "charts/speedup_chart.h"
#include "charts/turn_ttft_chart.h"

namespace kvr::ui {

namespace {

[[noreturn]] void fail(const QString& what, const QString& path) {
  throw std::runtime_error(
      QStringLiteral("cannot %1 '%2'").arg(what, QDir::toNativeSeparators(path)).toStdString());
}

// Switches the chart to black-on-white, with the caption that names the
// runs, for the duration of an export.
class PublicationColors {
 public:
  explicit PublicationColors(ResultChart& chart)
      : chart_(chart), previous_(chart.publicationColors()) {
    chart_.setPublicationColors(true);
    chart_.setCaptionShown(true);
  }
  ~PublicationColors() {
    chart_.setCaptionShown(false);
    chart_.setPublicationColors(previous_);
  }
  PublicationColors(const PublicationColors&) = delete;
  PublicationColors& operator=(const PublicationColors&) = delete;

 private:
  ResultChart& chart_;
  bool previous_;
};

// A vector page of a physical size: the layout is computed for the page at
// 96 logical pixels per inch and fonts keep their point size, so 9-pt labels
// stay 9 pt when the figure is placed in a paper at 100 %.
void writePdf(QCustomPlot& plot, const QString& title, const QString& path, QSize size,
              double widthInches) {
  constexpr int kDpi = 96;
  const double heightInches = widthInches * size.height() / size.width();
  QPdfWriter writer(path);
  writer.setCreator(QStringLiteral("kvrecycle"));
  writer.setTitle(title);
  writer.setResolution(kDpi);
  writer.setPageLayout(QPageLayout(QPageSize(QSizeF(widthInches, heightInches), QPageSize::Inch),
                                   QPageLayout::Portrait, QMarginsF()));
  QCPPainter painter;
  if (!painter.begin(&writer)) fail(QStringLiteral("write chart to"), path);
  painter.setMode(QCPPainter::pmVectorized);
  painter.setMode(QCPPainter::pmNoCaching);
  painter.setMode(QCPPainter::pmNonCosmetic);
  plot.toPainter(&painter, static_cast<int>(std::lround(widthInches * kDpi)),
                 static_cast<int>(std::lround(heightInches * kDpi)));
  if (!painter.end()) fail(QStringLiteral("write chart to"), path);
}

void writeSvg(QCustomPlot& plot, const QString& title, const QString& path, QSize size) {
  QBuffer buffer;
  buffer.open(QIODevice::WriteOnly);
  QSvgGenerator generator;
  generator.setOutputDevice(&buffer);
  generator.setSize(size);
  generator.setViewBox(QRect(QPoint(0, 0), size));
  generator.setResolution(96);  // the screen's: same proportions of text to plot as the PNG
  generator.setTitle(title);
  generator.setDescription(QStringLiteral("kvrecycle chart: %1").arg(title));

  QCPPainter painter;
  if (!painter.begin(&generator)) fail(QStringLiteral("render SVG for"), path);
  // Vector output: no cached label pixmaps, so every label stays an SVG <text>.
  painter.setMode(QCPPainter::pmVectorized);
  painter.setMode(QCPPainter::pmNoCaching);
  painter.setMode(QCPPainter::pmNonCosmetic);
  plot.toPainter(&painter, size.width(), size.height());
  painter.end();

  QSaveFile file(path);
  if (!file.open(QIODevice::WriteOnly) || file.write(buffer.data()) != buffer.data().size() ||
      !file.commit())
    fail(QStringLiteral("write chart to"), path);
}

}  // namespace

QString chartFormatSuffix(ChartFormat format) {
  switch (format) {
    case ChartFormat::Png:
      return QStringLiteral("png");
    case ChartFormat::Pdf:
      return QStringLiteral("pdf");
    case ChartFormat::Svg:
      return QStringLiteral("svg");
  }
  return QString();
}

ChartFormat chartFormatForPath(const QString& path) {
  const QString suffix = QFileInfo(path).suffix().toLower();
  if (suffix == QStringLiteral("svg")) return ChartFormat::Svg;
  if (suffix == QStringLiteral("png")) return ChartFormat::Png;
  return ChartFormat::Pdf;
}

std::optional<QSize> parseChartSize(const QString& text) {
  static const QRegularExpression pattern(
      QStringLiteral("^\\s*(\\d{1,5})\\s*[xX]\\s*(\\d{1,5})\\s*$"));
  const QRegularExpressionMatch m = pattern.match(text);
  if (!m.hasMatch()) return std::nullopt;
  const QSize size(m.captured(1).toInt(), m.captured(2).toInt());
  constexpr int kMinSide = 50;  // smaller figures have no room for axis titles
  if (size.width() < kMinSide || size.height() < kMinSide) return std::nullopt;
  return size;
}

void exportPlot(QCustomPlot& plot, const QString& title, const QString& path, ChartFormat format,
                QSize size, double pdfWidthInches) {
  if (size.isEmpty()) size = kDefaultChartSize;
  bool ok = false;
  switch (format) {
    case ChartFormat::Png:
      ok = plot.savePng(path, size.width(), size.height());
      break;
    case ChartFormat::Pdf:
      writePdf(plot, title, path, size, pdfWidthInches);
      ok = QFileInfo(path).size() > 0;
      break;
    case ChartFormat::Svg:
      writeSvg(plot, title, path, size);
      ok = true;
      break;
  }
  if (!ok) fail(QStringLiteral("write chart to"), path);
}

void exportChart(ResultChart& chart, const QString& path, ChartFormat format, QSize size,
                 double pdfWidthInches) {
  PublicationColors colors(chart);
  exportPlot(*chart.plot(), chart.title(), path, format, size, pdfWidthInches);
}

void exportEvictionChart(EvictionChart& chart, const QString& path, ChartFormat format, QSize size,
                         double pdfWidthInches) {
  const bool previous = chart.publicationMode();
  chart.setPublicationMode(true);
  try {
    exportPlot(*chart.plot(), chart.title(), path, format, size, pdfWidthInches);
  } catch (...) {
    chart.setPublicationMode(previous);
    throw;
  }
  chart.setPublicationMode(previous);
}

QStringList exportAllCharts(const QList<RunSeries>& runs, const QString& directory, QSize size,
                            double pdfWidthInches) {
  if (!QDir().mkpath(directory)) fail(QStringLiteral("create directory"), directory);
  const QDir dir(directory);

  LatencyChart latency;
  SpeedupChart speedup;
  SimilarityChart similarity;
  CostModelChart costModel;
  TurnTtftChart turns;
  ResidentBytesChart resident;
  ParetoChart pareto;
  QList<std::pair<ResultChart*, QString>> charts = {{&latency, QStringLiteral("latency")},
                                                    {&speedup, QStringLiteral("speedup")},
                                                    {&similarity, QStringLiteral("similarity")}};
  // The cost model chart only for runs that used it; the K/V store's figures
  // where the runs have their data.
  const bool usedCostModel = std::any_of(runs.begin(), runs.end(), [](const RunSeries& r) {
    return CostModelChart::usedCostModel(r.results);
  });
  bool turnsMeasured = false;
  bool storeSampled = false;
  for (const RunSeries& run : runs) {
    for (const kvr::PromptResult& r : run.results) {
      turnsMeasured = turnsMeasured || r.turn > 0;
      storeSampled = storeSampled || !r.storeSamples.empty();
    }
  }
  if (usedCostModel) charts.append({&costModel, QStringLiteral("cost_model")});
  if (turnsMeasured) charts.append({&turns, QStringLiteral("ttft_per_turn")});
  if (storeSampled) charts.append({&resident, QStringLiteral("resident_bytes")});
  if (storeSampled && runs.size() > 1) charts.append({&pareto, QStringLiteral("pareto")});
  QStringList paths;
  for (const auto& [chart, name] : charts) {
    chart->setRuns(runs);
    if (!size.isEmpty()) chart->resize(size);
    for (ChartFormat format : {ChartFormat::Png, ChartFormat::Pdf, ChartFormat::Svg}) {
      const QString path = dir.filePath(name + QLatin1Char('.') + chartFormatSuffix(format));
      exportChart(*chart, path, format, size, pdfWidthInches);
      paths << path;
    }
  }
  return paths;
}

QStringList exportAllEvictionCharts(const QList<EvictionSeries>& runs, const QString& directory,
                                    QSize size, double pdfWidthInches) {
  if (!QDir().mkpath(directory)) fail(QStringLiteral("create directory"), directory);
  const QDir dir(directory);
  EvictionChart chart;
  chart.setSeries(runs);
  if (!size.isEmpty()) chart.resize(size);
  const std::pair<EvictionMetric, QString> metrics[] = {
      {EvictionMetric::TokenAgreement, QStringLiteral("eviction-agreement")},
      {EvictionMetric::NllDelta, QStringLiteral("eviction-nll-delta")},
      {EvictionMetric::MaxLogitDiff, QStringLiteral("eviction-max-logit-diff")},
      {EvictionMetric::PeakEntries, QStringLiteral("eviction-peak-entries")}};
  QStringList paths;
  for (const auto& [metric, name] : metrics) {
    chart.setMetric(metric);
    for (ChartFormat format : {ChartFormat::Png, ChartFormat::Pdf, ChartFormat::Svg}) {
      const QString path = dir.filePath(name + QLatin1Char('.') + chartFormatSuffix(format));
      exportEvictionChart(chart, path, format, size, pdfWidthInches);
      paths << path;
    }
  }
  return paths;
}

}  // namespace kvr::ui
