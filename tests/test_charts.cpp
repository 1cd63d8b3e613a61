// The result charts and their export: live appends, the compare overlay, the
// fitted speedup line, hover tooltips, palette colours, and PNG/PDF/SVG files
// that carry title, legend and axis titles. No model needed: the results are
// made here.
#include <qcustomplot.h>
#include <QApplication>
#include <QFile>
#include <QImage>
#include <QMouseEvent>
#include <QTemporaryDir>
#include <QToolTip>
#include <QXmlStreamReader>
#include <QtTest>

#include <cmath>
#include <functional>
#include <memory>
#include <stdexcept>

#include "charts/chart_export.h"
#include "charts/cost_model_chart.h"
#include "charts/latency_chart.h"
#include "charts/similarity_chart.h"
#include "charts/speedup_chart.h"

using kvr::PromptResult;
using kvr::ui::ChartFormat;
using kvr::ui::ResultChart;
using kvr::ui::RunSeries;

namespace {

// A plausible result: prompt i of m tokens reusing k, speedup roughly 60 k/m.
PromptResult makeResult(int index, bool exact, int seed = 0) {
  PromptResult r;
  r.index = index;
  r.promptId = "q" + std::to_string(index + 1);
  r.promptText = "Prompt number " + std::to_string(index + 1) +
                 " with a long tail of words that should be elided in the tooltip because "
                 "nobody wants a tooltip as wide as the screen";
  r.promptTokens = 40;
  r.reusedTokens = (index * 7 + seed * 3) % 40;
  const double x = static_cast<double>(r.reusedTokens) / r.promptTokens;
  r.baselineTtftSeconds = 0.20 + 0.01 * index;
  r.baselineDecodeSeconds = 0.30;
  r.baselineTotalSeconds = r.baselineTtftSeconds + r.baselineDecodeSeconds;
  r.kvLoadSeconds = 0.005;
  r.recycledPrefillSeconds = r.baselineTtftSeconds * (1 - x);
  r.recycledTtftSeconds = r.kvLoadSeconds + r.recycledPrefillSeconds;
  r.recycledDecodeSeconds = 0.30;
  r.recycledTotalSeconds = r.recycledTtftSeconds + r.recycledDecodeSeconds;
  r.speedupPct =
      (r.baselineTotalSeconds - r.recycledTotalSeconds) / r.baselineTotalSeconds * 100.0 +
      (index % 3 - 1) * 1.5;
  r.ttftSpeedup = r.baselineTtftSeconds / r.recycledTtftSeconds;
  r.exactMatch = exact;
  r.firstDivergence = exact ? -1 : 3;
  r.maxLogitDiff = exact ? 1e-6 : 0.4;
  r.outputSimilarity = exact ? 1.0 : 0.55 + 0.03 * index;
  return r;
}

std::vector<PromptResult> makeRun(int count, int seed = 0) {
  std::vector<PromptResult> results;
  for (int i = 0; i < count; ++i) results.push_back(makeResult(i, (i + seed) % 4 != 2, seed));
  return results;
}

std::unique_ptr<ResultChart> makeChart(const QString& kind) {
  if (kind == "latency") return std::make_unique<kvr::ui::LatencyChart>();
  if (kind == "speedup") return std::make_unique<kvr::ui::SpeedupChart>();
  if (kind == "similarity") return std::make_unique<kvr::ui::SimilarityChart>();
  return nullptr;
}

QStringList legendTexts(const QCustomPlot* plot) {
  QStringList texts;
  for (int i = 0; i < plot->legend->itemCount(); ++i) {
    if (auto* item = qobject_cast<QCPPlottableLegendItem*>(plot->legend->item(i)))
      texts << item->plottable()->name();
  }
  return texts;
}

bool anyContains(const QStringList& texts, const QString& needle) {
  for (const auto& t : texts)
    if (t.contains(needle)) return true;
  return false;
}

// All character data of an SVG document; fails the XML parse loudly.
QString svgText(const QString& path, QString* error) {
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly)) {
    *error = "cannot open " + path;
    return QString();
  }
  QXmlStreamReader xml(&file);
  QString text;
  bool sawSvg = false;
  while (!xml.atEnd()) {
    xml.readNext();
    if (xml.isStartElement() && xml.name() == QLatin1String("svg")) sawSvg = true;
    if (xml.isCharacters()) text += xml.text().toString() + QLatin1Char('\n');
  }
  if (xml.hasError())
    *error = xml.errorString() + " at line " + QString::number(xml.lineNumber());
  else if (!sawSvg)
    *error = "no <svg> element";
  return text;
}

void addKinds() {
  QTest::addColumn<QString>("kind");
  QTest::newRow("latency") << "latency";
  QTest::newRow("speedup") << "speedup";
  QTest::newRow("similarity") << "similarity";
}

}  // namespace

class TestCharts : public QObject {
  Q_OBJECT

 private slots:
  void appendOneByOne_data() { addKinds(); }
  void appendOneByOne() {
    QFETCH(QString, kind);
    auto chart = makeChart(kind);
    QCOMPARE(chart->pointCount(), 0);
    QVERIFY(!chart->title().isEmpty());
    const auto results = makeRun(9);
    const QCPAbstractPlottable* first = nullptr;
    for (size_t i = 0; i < results.size(); ++i) {
      chart->appendResult(results[i]);
      QCOMPARE(chart->pointCount(), static_cast<int>(i + 1));
      QCOMPARE(chart->runs().size(), 1);
      // Live points extend the existing plottables, they do not rebuild them.
      if (i == 0) first = chart->plot()->plottable(0);
      QCOMPARE(chart->plot()->plottable(0), first);
    }
    QCOMPARE(chart->pointCount(1), 0);
    QCoreApplication::processEvents();  // the queued replot runs without complaint

    chart->clear();
    QCOMPARE(chart->pointCount(), 0);
    QCOMPARE(chart->runs().size(), 0);
  }

  void setRunsOverlay_data() { addKinds(); }
  void setRunsOverlay() {
    QFETCH(QString, kind);
    auto chart = makeChart(kind);
    chart->setRuns({RunSeries{"run alpha", makeRun(8, 0)}, RunSeries{"run beta", makeRun(5, 1)}});
    QVERIFY(chart->isOverlay());
    QCOMPARE(chart->pointCount(0), 8);
    QCOMPARE(chart->pointCount(1), 5);
    const QStringList legend = legendTexts(chart->plot());
    QVERIFY2(anyContains(legend, "run alpha"), qPrintable(legend.join(" | ")));
    QVERIFY2(anyContains(legend, "run beta"), qPrintable(legend.join(" | ")));
    QVERIFY(chart->plot()->legend->visible());

    // Back to a single run: the per-run entries go away.
    chart->setRuns({RunSeries{"run alpha", makeRun(8, 0)}});
    QVERIFY(!chart->isOverlay());
    QCOMPARE(chart->pointCount(0), 8);
    QVERIFY(!anyContains(legendTexts(chart->plot()), "run beta"));

    // A live point in the compare view goes to the first run.
    chart->setRuns({RunSeries{"a", makeRun(3, 0)}, RunSeries{"b", makeRun(4, 1)}});
    chart->appendResult(makeResult(3, true));
    QCOMPARE(chart->pointCount(0), 4);
    QCOMPARE(chart->pointCount(1), 4);
  }

  // A noisy reading is drawn hollow, with its spread, and left out of the fit;
  // its reason is in the tooltip.
  void speedupShowsNoiseAndSpread() {
    kvr::ui::SpeedupChart chart;
    auto results = makeRun(8);
    for (auto& r : results) r.speedupIqrPct = 2.0;
    const double cleanAlpha = kvr::summarizeResults(results).alpha;
    results[3].reusedTokens = 30;
    results[3].exactMatch = true;
    results[3].speedupPct = 95;  // a busy second on the baseline arm
    results[3].noisy = true;
    results[3].noiseReason = "decode times of the two arms differed by up to 40 %";
    chart.setRuns({RunSeries{"run", results}});
    QCOMPARE(chart.pointCount(0), 8);
    // The fit is the one without the outlier.
    std::vector<PromptResult> withoutOutlier = results;
    withoutOutlier.erase(withoutOutlier.begin() + 3);
    QVERIFY(qFuzzyCompare(chart.alpha(), kvr::summarizeResults(withoutOutlier).alpha));
    QVERIFY(std::fabs(chart.alpha() - cleanAlpha) < std::fabs(cleanAlpha));
    QCPGraph* hollow = nullptr;
    for (int i = 0; i < chart.plot()->graphCount(); ++i) {
      QCPGraph* g = chart.plot()->graph(i);
      if (g->name().contains("Noisy")) hollow = g;
    }
    QVERIFY(hollow != nullptr);
    QCOMPARE(hollow->dataCount(), 1);
    QCOMPARE(hollow->data()->constBegin()->value, 95.0);
    QCOMPARE(hollow->scatterStyle().brush().style(), Qt::NoBrush);
    // Error bars: one per point, half the IQR each way.
    int errorPoints = 0;
    for (int i = 0; i < chart.plot()->plottableCount(); ++i) {
      if (auto* bars = qobject_cast<QCPErrorBars*>(chart.plot()->plottable(i))) {
        errorPoints += bars->dataCount();
        if (bars->dataCount() > 0) QCOMPARE(bars->data()->at(0).errorPlus, 1.0);
      }
    }
    QCOMPARE(errorPoints, 8);
  }

  void speedupFitLine() {
    kvr::ui::SpeedupChart chart;
    auto results = makeRun(12);
    results[5].fallbackReason = "cached entry unreadable";  // counts as k = 0 in the fit
    chart.setRuns({RunSeries{"run", results}});

    // Independent least squares through the origin on x = k/m of the cache hits.
    double xy = 0, xx = 0, shareSum = 0;
    for (const auto& r : results) {
      const bool hit = r.reusedTokens > 0 && r.fallbackReason.empty();
      const double x = hit ? static_cast<double>(r.reusedTokens) / r.promptTokens : 0.0;
      xy += x * r.speedupPct;
      xx += x * x;
      shareSum += r.baselineTtftSeconds / r.baselineTotalSeconds;
    }
    const double alpha = xy / xx;
    QVERIFY(alpha > 1.0);
    QVERIFY(qFuzzyCompare(kvr::summarizeResults(results).alpha, alpha));
    QVERIFY(qFuzzyCompare(chart.alpha(), alpha));

    QCPGraph* fit = chart.fitLine();
    QVERIFY(fit != nullptr);
    bool throughOrigin = false, throughAlpha = false;
    for (auto it = fit->data()->constBegin(); it != fit->data()->constEnd(); ++it) {
      if (it->key == 0.0 && it->value == 0.0) throughOrigin = true;
      if (it->key == 1.0 && qFuzzyCompare(it->value, alpha)) throughAlpha = true;
    }
    QVERIFY(throughOrigin);
    QVERIFY2(throughAlpha, qPrintable(QString("alpha %1").arg(alpha)));

    QCPGraph* ideal = chart.idealLine();
    QVERIFY(ideal != nullptr);
    const double idealAtOne = (ideal->data()->constEnd() - 1)->value;
    QVERIFY(qFuzzyCompare(idealAtOne, 100.0 * shareSum / static_cast<double>(results.size())));

    // Exact and diverged points are separate sets, so the legend explains the colours.
    const QStringList legend = legendTexts(chart.plot());
    QVERIFY(anyContains(legend, "Exact"));
    QVERIFY(anyContains(legend, "Diverged"));

    // The fit follows live points.
    kvr::ui::SpeedupChart live;
    for (const auto& r : results) live.appendResult(r);
    QVERIFY(qFuzzyCompare(live.alpha(), alpha));
    QVERIFY(live.plot()->xAxis->range().contains(0.0));
    QVERIFY(live.plot()->xAxis->range().contains(1.0));
  }

  void hoverTooltip_data() { addKinds(); }
  void hoverTooltip() {
    QFETCH(QString, kind);
    auto chart = makeChart(kind);
    chart->resize(800, 500);
    const auto results = makeRun(6);
    chart->setRuns({RunSeries{"run", results}});
    chart->show();
    QVERIFY(QTest::qWaitForWindowExposed(chart.get()));
    QCustomPlot* plot = chart->plot();
    plot->replot();
    // A point of prompt 3 (index 2): inside its bar, or on its marker.
    const PromptResult& r = results[2];
    QPointF pos;
    if (kind == "latency")  // the baseline stack sits left of the key
      pos = QPointF(plot->xAxis->coordToPixel(3.0) - 12, plot->yAxis->coordToPixel(0.1));
    else if (kind == "speedup")
      pos = QPointF(plot->xAxis->coordToPixel(kvr::ui::SpeedupChart::reuseDepth(r)) + 2,
                    plot->yAxis->coordToPixel(r.speedupPct) - 1);
    else
      pos = QPointF(plot->xAxis->coordToPixel(3.0), plot->yAxis->coordToPixel(0.3));
    QMouseEvent move(QEvent::MouseMove, pos, plot->mapToGlobal(pos), Qt::NoButton, Qt::NoButton,
                     Qt::NoModifier);
    QApplication::sendEvent(plot, &move);
    QTRY_VERIFY(QToolTip::isVisible());
    const QString text = QToolTip::text();
    QVERIFY2(text.contains("q3"), qPrintable(text));
    QVERIFY2(text.contains("Prompt number 3"), qPrintable(text));
    QVERIFY2(!text.contains("as wide as the screen"), qPrintable(text));  // elided
    QVERIFY2(text.contains("End-to-end speedup"), qPrintable(text));
    QVERIFY2(text.contains("TTFT speedup"), qPrintable(text));

    // Away from every point, the tooltip goes.
    const QPointF empty(plot->axisRect()->left() + 3, plot->axisRect()->top() + 3);
    QMouseEvent away(QEvent::MouseMove, empty, plot->mapToGlobal(empty), Qt::NoButton, Qt::NoButton,
                     Qt::NoModifier);
    QApplication::sendEvent(plot, &away);
    QTRY_VERIFY(!QToolTip::isVisible());
  }

  void paletteColours() {
    kvr::ui::LatencyChart chart;
    QPalette dark;
    dark.setColor(QPalette::Window, QColor(30, 30, 30));
    dark.setColor(QPalette::Base, QColor(20, 20, 20));
    dark.setColor(QPalette::WindowText, QColor(235, 235, 235));
    chart.setPalette(dark);
    QCOMPARE(chart.plot()->xAxis->labelColor(), QColor(235, 235, 235));
    QCOMPARE(chart.plot()->legend->textColor(), QColor(235, 235, 235));
    QCOMPARE(chart.plot()->toPixmap(200, 150).toImage().pixelColor(1, 1), QColor(20, 20, 20));
    // Exports are black on white whatever the palette, and the widget keeps its colours.
    QTemporaryDir dir;
    kvr::ui::exportChart(chart, dir.filePath("dark.png"), ChartFormat::Png, QSize(400, 300));
    const QImage image(dir.filePath("dark.png"));
    QCOMPARE(image.pixelColor(2, 2), QColor(Qt::white));
    QCOMPARE(chart.plot()->xAxis->labelColor(), QColor(235, 235, 235));
  }

  void exportAll_data() {
    QTest::addColumn<int>("runCount");
    QTest::newRow("one run") << 1;
    QTest::newRow("compare") << 2;
  }
  void exportAll() {
    QFETCH(int, runCount);
    QList<RunSeries> runs{RunSeries{"baseline sweep", makeRun(10, 0)}};
    if (runCount > 1) runs.append(RunSeries{"second sweep", makeRun(7, 1)});
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const QString directory = tmp.filePath("figures/nested");  // created by the export
    const QSize size(900, 600);
    const QStringList paths = kvr::ui::exportAllCharts(runs, directory, size);
    QCOMPARE(paths.size(), 9);

    const std::pair<QString, std::function<std::unique_ptr<ResultChart>()>> kinds[] = {
        {"latency", [] { return makeChart("latency"); }},
        {"speedup", [] { return makeChart("speedup"); }},
        {"similarity", [] { return makeChart("similarity"); }}};
    for (const auto& [name, make] : kinds) {
      auto chart = make();
      chart->setRuns(runs);
      const QString base = QDir(directory).filePath(name);
      for (const char* suffix : {".png", ".pdf", ".svg"})
        QVERIFY2(paths.contains(base + suffix), qPrintable(base + suffix));

      const QImage image(base + ".png");
      QVERIFY2(!image.isNull(), qPrintable(base + ".png"));
      QCOMPARE(image.size(), size);

      QFile pdf(base + ".pdf");
      QVERIFY(pdf.open(QIODevice::ReadOnly));
      QVERIFY(pdf.read(4) == "%PDF");
      QVERIFY(pdf.size() > 1000);

      QString error;
      const QString text = svgText(base + ".svg", &error);
      QVERIFY2(error.isEmpty(), qPrintable(base + ".svg: " + error));
      QVERIFY2(text.contains(chart->title()), qPrintable(chart->title()));
      QVERIFY2(text.contains(chart->plot()->xAxis->label()),
               qPrintable(chart->plot()->xAxis->label()));
      QVERIFY2(text.contains(chart->plot()->yAxis->label()),
               qPrintable(chart->plot()->yAxis->label()));
      const QStringList legend = legendTexts(chart->plot());
      QVERIFY(!legend.isEmpty());
      for (const auto& entry : legend) QVERIFY2(text.contains(entry), qPrintable(entry));
      if (runCount > 1) QVERIFY(text.contains("second sweep"));
    }

    // To look at the figures: KVR_TEST_KEEP_CHARTS=/some/dir ./test_charts exportAll
    const QString keep = qEnvironmentVariable("KVR_TEST_KEEP_CHARTS");
    if (!keep.isEmpty())
      kvr::ui::exportAllCharts(runs, QDir(keep).filePath(QTest::currentDataTag()), size);
  }

  // The cost model chart: measured and predicted TTFT per decided prompt,
  // gaps where nothing was decided, a cross per declined prompt; exported
  // only for runs that used the cost model.
  void costModelChartDrawsDecisions() {
    std::vector<PromptResult> results = makeRun(4);
    QVERIFY(!kvr::ui::CostModelChart::usedCostModel(results));
    results[1].costDecision = "recycle";
    results[1].predictedBaselineTtftSeconds = 0.05;
    results[1].predictedRecycledTtftSeconds = 0.01;
    results[2].costDecision = "decline";
    results[2].predictedBaselineTtftSeconds = 0.05;
    results[2].predictedRecycledTtftSeconds = 0.08;
    results[2].declinedRecycledTtftSeconds = 0.07;
    QVERIFY(kvr::ui::CostModelChart::usedCostModel(results));
    kvr::ui::CostModelChart chart;
    chart.setRuns({RunSeries{"run", results}});
    QCOMPARE(chart.pointCount(), 4);
    QCustomPlot* plot = chart.plot();
    QCPGraph* declined = nullptr;
    QCPGraph* measuredRecycled = nullptr;
    for (int i = 0; i < plot->graphCount(); ++i) {
      if (plot->graph(i)->name().startsWith("Declined")) declined = plot->graph(i);
      if (plot->graph(i)->name() == "Recycled path TTFT, measured")
        measuredRecycled = plot->graph(i);
    }
    QVERIFY(declined != nullptr && measuredRecycled != nullptr);
    QVERIFY(std::isnan(measuredRecycled->data()->at(0)->value));  // no decision: a gap
    QCOMPARE(measuredRecycled->data()->at(1)->value, results[1].recycledTtftSeconds);
    QCOMPARE(measuredRecycled->data()->at(2)->value, 0.07);
    QCOMPARE(declined->data()->at(2)->value, 0.07);
    QVERIFY(std::isnan(declined->data()->at(1)->value));
    QVERIFY(plot->yAxis->range().upper >= 0.08);

    QTemporaryDir tmp;
    const QStringList paths =
        kvr::ui::exportAllCharts({RunSeries{"run", results}}, tmp.path(), QSize(600, 400));
    QCOMPARE(paths.size(), 12);
    QVERIFY(paths.contains(QDir(tmp.path()).filePath("cost_model.svg")));
  }

  void exportUnwritableThrows() {
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    // A regular file where a directory should be: unwritable even for root.
    const QString blocker = tmp.filePath("blocker");
    {
      QFile f(blocker);
      QVERIFY(f.open(QIODevice::WriteOnly));
      f.write("x");
    }
    kvr::ui::SpeedupChart chart;
    chart.setRuns({RunSeries{"run", makeRun(4)}});
    for (ChartFormat format : {ChartFormat::Png, ChartFormat::Pdf, ChartFormat::Svg}) {
      const QString path = blocker + "/chart." + kvr::ui::chartFormatSuffix(format);
      try {
        kvr::ui::exportChart(chart, path, format, QSize(400, 300));
        QFAIL(qPrintable("no exception for " + path));
      } catch (const std::runtime_error& e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(path), e.what());
      }
      QVERIFY(!QFile::exists(path));
    }
    QVERIFY_THROWS_EXCEPTION(std::runtime_error,
                             kvr::ui::exportAllCharts({RunSeries{"run", makeRun(3)}},
                                                      blocker + "/figures", QSize(400, 300)));
  }
};

QTEST_MAIN(TestCharts)
#include "test_charts.moc"
