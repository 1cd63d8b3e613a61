// The workbench's eviction parts without a model: the settings panel gives
// the settings the user set (and keeps them), the figure draws a curve per
// method with a point per budget, table and chart select together, the
// synthetic note shows for synthetic models only, and Compare overlays
// eviction runs but refuses to compare runs of different kinds.
#include <qcustomplot.h>
#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QSettings>
#include <QSpinBox>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include "charts/chart_export.h"
#include "charts/eviction_chart.h"
#include "charts/result_chart.h"
#include "kvrecycle/error.h"
#include "workbench/compare_page.h"
#include "workbench/eviction_settings_panel.h"
#include "workbench/eviction_view.h"
#include "workbench/run_store_service.h"
#include "workbench_fixtures.h"

using kvr::EvictionMethod;
using kvr::test::record;
using kvr::test::result;

namespace {

// One prompt's row: the smaller the budget, the smaller the footprint and agreement.
kvr::EvictionResultRow row(int prompt, EvictionMethod method, int budget) {
  kvr::EvictionResultRow r;
  r.promptIndex = prompt;
  r.promptId = "p" + std::to_string(prompt);
  r.method = method;
  r.budget = budget;
  r.promptTokens = 30;
  r.newTokens = 8;
  const double share = method == EvictionMethod::Full ? 1.0 : budget / 40.0;
  r.fidelity.footprintRatio = share;
  r.fidelity.tokenAgreement = share;
  r.fidelity.peakEntries = method == EvictionMethod::Full ? 38 * 4 : budget * 4;
  r.fidelity.nllDelta = 1 - share;
  r.fidelity.maxLogitDiff = 2 * (1 - share);
  return r;
}

std::vector<kvr::EvictionResultRow> rows(const std::vector<int>& budgets, int prompts = 2) {
  std::vector<kvr::EvictionResultRow> all;
  for (int p = 0; p < prompts; ++p) {
    all.push_back(row(p, EvictionMethod::Full, 0));
    for (EvictionMethod m : {EvictionMethod::Window, EvictionMethod::Heavy}) {
      for (int b : budgets) all.push_back(row(p, m, b));
    }
  }
  return all;
}

kvr::RunRecord evictionRecord(int64_t id, bool synthetic) {
  kvr::RunRecord run = record(id, "evict");
  run.kind = kvr::RunKind::Eviction;
  run.synthetic = synthetic;
  run.configJson = R"({"kind":"eviction","methods":["full","window","heavy"],"budgets":[8,16,24],
                       "max_new_tokens":8})";
  return run;
}

}  // namespace

class TestEvictionViews : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;

 private slots:
  void initTestCase() {
    QCoreApplication::setOrganizationName(QStringLiteral("kvrecycle-tests"));
    QCoreApplication::setApplicationName(QStringLiteral("eviction-views"));
    QSettings().clear();
  }

  // Issue 12 item 5: the settings the user sets are the settings the run gets.
  void panelProducesTheSettingsYouSet() {
    kvr::ui::EvictionSettingsPanel panel;
    panel.findChild<QCheckBox*>(QStringLiteral("method-snap"))->setChecked(false);
    panel.findChild<QCheckBox*>(QStringLiteral("method-chunked"))->setChecked(false);
    auto* budgets = panel.findChild<QLineEdit*>(QStringLiteral("budgets"));
    budgets->clear();
    QTest::keyClicks(budgets, QStringLiteral("12, 24,48"));
    panel.findChild<QSpinBox*>(QStringLiteral("sinks"))->setValue(2);
    panel.findChild<QSpinBox*>(QStringLiteral("recent"))->setValue(6);
    panel.findChild<QSpinBox*>(QStringLiteral("observation"))->setValue(5);
    panel.findChild<QSpinBox*>(QStringLiteral("chunk"))->setValue(7);
    panel.findChild<QCheckBox*>(QStringLiteral("perHead"))->setChecked(false);
    panel.findChild<QSpinBox*>(QStringLiteral("maxNewTokens"))->setValue(9);

    const kvr::EvictionRunConfig c = panel.config();
    QCOMPARE(c.methods, (std::vector<EvictionMethod>{EvictionMethod::Full, EvictionMethod::Window,
                                                     EvictionMethod::Heavy}));
    QCOMPARE(c.budgets, (std::vector<int>{12, 24, 48}));
    QCOMPARE(c.base.sinks, 2);
    QCOMPARE(c.base.recent, 6);
    QCOMPARE(c.base.observation, 5);
    QCOMPARE(c.base.chunk, 7);
    QVERIFY(c.base.scope == kvr::EvictionScope::PerLayer);
    QCOMPARE(c.maxNewTokens, 9);

    // Kept between sessions.
    panel.saveSettings();
    kvr::ui::EvictionSettingsPanel next;
    next.restoreSettings();
    const kvr::EvictionRunConfig again = next.config();
    QCOMPARE(again.methods, c.methods);
    QCOMPARE(again.budgets, c.budgets);
    QCOMPARE(again.base.observation, 5);
    QVERIFY(again.base.scope == kvr::EvictionScope::PerLayer);

    // A bad budget names itself instead of running something else.
    budgets->setText(QStringLiteral("12, x4"));
    try {
      panel.config();
      QFAIL("a bad budget list was accepted");
    } catch (const kvr::Error& e) {
      QVERIFY2(QString::fromUtf8(e.what()).contains(QStringLiteral("'x4'")), e.what());
    }
  }

  // Issue 12 item 5: one curve per method, one point per budget; full is one point.
  void chartDrawsACurvePerMethodAndAPointPerBudget() {
    kvr::ui::EvictionView view;
    view.showRun(evictionRecord(5, true), rows({8, 16, 24}));
    const kvr::ui::EvictionChart* chart = view.chart();
    QCOMPARE(chart->curveCount(), 3);
    QCOMPARE(chart->pointCount(0, EvictionMethod::Window), 3);
    QCOMPARE(chart->pointCount(0, EvictionMethod::Heavy), 3);
    QCOMPARE(chart->pointCount(0, EvictionMethod::Full), 1);
    QCOMPARE(chart->pointCount(0, EvictionMethod::Snap), 0);
    QCOMPARE(view.table()->rowCount(), 7);  // full + 2 methods x 3 budgets
    // The point of window@16 sits at its mean footprint ratio and agreement.
    const std::optional<QPointF> at = chart->pointOf(0, 2);
    QVERIFY(at.has_value());
    QCOMPARE(at->x(), 16 / 40.0);
    QCOMPARE(at->y(), 16 / 40.0);
    // Another reading on the y axis: the same points, other heights.
    view.metricChoice()->setCurrentIndex(3);
    QVERIFY(chart->metric() == kvr::ui::EvictionMetric::PeakEntries);
    QCOMPARE(chart->pointOf(0, 2)->y(), 64.0);
    QCOMPARE(chart->pointCount(0, EvictionMethod::Window), 3);
  }

  void tableAndChartSelectTogether() {
    kvr::ui::EvictionView view;
    view.showRun(evictionRecord(5, true), rows({8, 16}));
    QCustomPlot* plot = view.chart()->plot();
    view.table()->selectRow(2);  // window@16
    const QCPGraph* ring = plot->graph(plot->graphCount() - 1);
    QCOMPARE(ring->dataCount(), 1);
    QCOMPARE(ring->data()->at(0)->key, 16 / 40.0);
    emit view.chart()->rowClicked(0, 4);  // heavy@16
    QCOMPARE(view.table()->currentRow(), 4);
    QCOMPARE(view.table()->item(4, 1)->text(), QString("heavy"));
    QCOMPARE(view.table()->item(4, 2)->text(), QString("16"));
  }

  // Issue 12 item 6: synthetic weights say what the curves can show.
  void syntheticNoteShowsForSyntheticModelsOnly() {
    kvr::ui::EvictionView view;
    view.show();
    view.showRun(evictionRecord(5, true), rows({8}));
    QVERIFY(view.syntheticNote()->isVisible());
    QVERIFY(view.syntheticNote()->text().contains(QStringLiteral("attend almost uniformly")));
    QVERIFY(view.syntheticNote()->text().contains(QStringLiteral("DialoGPT")));
    view.showRun(evictionRecord(6, false), rows({8}));
    QVERIFY(!view.syntheticNote()->isVisible());
  }

  void compareOverlaysEvictionRuns() {
    kvr::ui::RunStoreService service(tmp_.filePath(QStringLiteral("a.db")));
    kvr::ui::ComparePage page(&service);
    page.setRuns({{evictionRecord(1, true), {}, rows({8, 16})},
                  {evictionRecord(2, true), {}, rows({8, 16, 24})}});
    QVERIFY(page.shown() == kvr::ui::ComparePage::Shown::Eviction);
    const kvr::ui::EvictionChart* chart = page.evictionView()->chart();
    QCOMPARE(chart->curveCount(), 6);
    QCOMPARE(chart->pointCount(0, EvictionMethod::Window), 2);
    QCOMPARE(chart->pointCount(1, EvictionMethod::Window), 3);
    QCOMPARE(page.evictionView()->table()->rowCount(), 5 + 7);
    QVERIFY(!page.evictionView()->table()->isColumnHidden(0));  // which run a row is
  }

  // Issue 12: runs of different kinds are not compared with empty or zero readings.
  void compareRefusesMixedKinds() {
    kvr::ui::RunStoreService service(tmp_.filePath(QStringLiteral("b.db")));
    kvr::ui::ComparePage page(&service);
    page.setRuns(
        {{record(1, "recycle"), {result(0), result(1)}}, {evictionRecord(2, true), {}, rows({8})}});
    QVERIFY(page.shown() == kvr::ui::ComparePage::Shown::MixedKinds);
    const auto* note = page.findChild<QLabel*>(QStringLiteral("mixedKinds"));
    QVERIFY(note->text().contains(QStringLiteral("#2 evict")));
    QVERIFY(note->text().contains(QStringLiteral("#1 recycle")));
    QVERIFY(page.series().isEmpty());
    for (kvr::ui::ResultChart* chart : page.charts()) QVERIFY(chart->runs().isEmpty());
    // Back to one kind: compared again.
    page.setRuns({{record(1, "a"), {result(0)}}, {record(3, "b"), {result(0)}}});
    QVERIFY(page.shown() == kvr::ui::ComparePage::Shown::Recycling);
    QCOMPARE(page.series().size(), 2);
  }

  // Exports go through the one export path, with the run in the caption.
  void exportsEveryReadingWithItsCaption() {
    kvr::ui::EvictionView view;
    view.showRun(evictionRecord(5, true), rows({8, 16}));
    const QString dir = tmp_.filePath(QStringLiteral("figures"));
    const QStringList files = kvr::ui::exportAllEvictionCharts(view.series(), dir, QSize(900, 600));
    QCOMPARE(files.size(), 12);
    for (const QString& f : files) QVERIFY2(QFileInfo(f).size() > 0, qPrintable(f));
    QFile svg(dir + QStringLiteral("/eviction-agreement.svg"));
    QVERIFY(svg.open(QIODevice::ReadOnly));
    const QByteArray text = svg.readAll();
    QVERIFY(text.contains("#5 evict"));
    QVERIFY(text.contains("window"));
    QVERIFY(!view.chart()->publicationMode());  // the view is back to the screen's colours
  }
};

QTEST_MAIN(TestEvictionViews)
#include "test_eviction_views.moc"
