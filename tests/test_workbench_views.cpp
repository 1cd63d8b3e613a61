// The workbench's views without a model: one text per quantity, compare
// deltas that ignore rounding noise, the run view's summary and selection
// shared between table and charts, and overlaid runs that stay apart.
#include <qcustomplot.h>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>
#include <cmath>

#include "charts/quantity_format.h"
#include "charts/result_chart.h"
#include "charts/similarity_chart.h"
#include "kvrecycle/quantity_text.h"
#include "workbench/compare_page.h"
#include "workbench/results_model.h"
#include "workbench/run_store_service.h"
#include "workbench/run_view.h"
#include "workbench_fixtures.h"

using kvr::test::record;
using kvr::test::result;
using kvr::ui::RunStoreService;

class TestWorkbenchViews : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  int databases_ = 0;
  QString newDatabase() { return tmp_.filePath(QStringLiteral("runs%1.db").arg(++databases_)); }

 private slots:
  // ---- one text per kind of quantity ----------------------------------------

  void quantitiesPrintOneWay() {
    using K = kvr::QuantityKind;
    QCOMPARE(kvr::formatQuantity(K::Percent, 9.7712), std::string("9.8 %"));
    QCOMPARE(kvr::formatQuantity(K::Percent, -0.8391), std::string("-0.8 %"));
    QCOMPARE(kvr::formatQuantity(K::Percent, -0.04), std::string("0.0 %"));  // no "-0.0"
    QCOMPARE(kvr::formatQuantity(K::Ratio, 1.3629), std::string("1.36 x"));
    QCOMPARE(kvr::formatQuantity(K::Fraction, 1.0), std::string("1.000"));
    QCOMPARE(kvr::formatQuantity(K::Seconds, 0.08341), std::string("83.41 ms"));
    QCOMPARE(kvr::formatQuantity(K::Seconds, 1.3179), std::string("1.318 s"));
    QCOMPARE(kvr::formatQuantity(K::Count, 7), std::string("7"));
    QCOMPARE(kvr::formatQuantity(K::Fraction, std::nan("")), std::string("-"));
    // The views go through the same text.
    QCOMPARE(kvr::ui::formatPercent(9.7712), QString("9.8 %"));
    kvr::ui::ResultsModel results;
    kvr::PromptResult r = result(1);
    r.speedupPct = 9.7712;
    results.setResults({r});
    QCOMPARE(results.index(0, kvr::ui::ResultsModel::Speedup).data().toString(), QString("9.8 %"));
  }

  // Issue 14 point 4: rounding noise is no difference.
  void deltasBelowRoundingAreNoDifference() {
    using K = kvr::QuantityKind;
    QCOMPARE(kvr::formatDelta(K::Fraction, 0.642131, 0.642131 - 1.339e-8), std::string("same"));
    QCOMPARE(kvr::formatDelta(K::Percent, 8.3911, 8.3912), std::string("same"));
    QCOMPARE(kvr::formatDelta(K::Percent, 8.3911, 9.7712), std::string("+1.4 %"));
    QCOMPARE(kvr::formatDelta(K::Percent, 9.74, 9.76), std::string("+0.02 %"));  // 9.7 vs 9.8
    QCOMPARE(kvr::formatDelta(K::Seconds, 1.5, 1.25), std::string("-250 ms"));
    QCOMPARE(kvr::formatDelta(K::Count, 7, 2), std::string("-5"));

    // The Compare tab: two runs with the same prompt similarity up to 1e-8.
    kvr::ui::ComparedRun a{record(1, "a"), {result(0), result(1)}};
    kvr::ui::ComparedRun b{record(2, "b"), {result(0), result(1)}};
    a.results[0].promptSimilarity = 0.642131;
    b.results[0].promptSimilarity = 0.642131 - 1.339e-8;
    RunStoreService service(newDatabase());
    kvr::ui::ComparePage page(&service);
    page.setRuns({a, b});
    const QTableWidget* metrics = page.metricsTable();
    for (int row = 0; row < metrics->rowCount(); ++row) {
      if (metrics->item(row, 0)->text() != QStringLiteral("avg prompt similarity")) continue;
      QCOMPARE(metrics->item(row, 3)->text(), QString("same"));
      return;
    }
    QFAIL("no prompt similarity row");
  }

  // Compare: a prompt row marks its point; a clicked point selects the row.
  void compareRowsAndPointsSelectTogether() {
    kvr::ui::ComparedRun a{record(1, "a"), {result(0), result(1), result(2)}};
    kvr::ui::ComparedRun b{record(2, "b"), {result(2), result(0)}};  // other order
    RunStoreService service(newDatabase());
    kvr::ui::ComparePage page(&service);
    page.setRuns({a, b});
    QTableWidget* prompts = page.promptTable();
    QCOMPARE(prompts->item(1, 0)->text(), QString("prompt 1"));
    prompts->setCurrentCell(1, 0);
    for (kvr::ui::ResultChart* chart : page.charts()) {
      QCOMPARE(chart->highlightedRun(), 0);
      QCOMPARE(chart->highlightedIndex(), 1);
    }
    emit page.charts()[2]->resultClicked(1, 0);  // run b's first point: "prompt 2"
    QCOMPARE(prompts->currentRow(), 2);
  }

  // ---- the run view ------------------------------------------------------------

  void summaryShowsADashBeforeAnyRun() {
    kvr::ui::RunView view;
    const QTableWidget* summary = view.summaryTable();
    QVERIFY(summary->rowCount() >= 15);
    for (int row = 0; row < summary->rowCount(); ++row) {
      QCOMPARE(summary->item(row, 1)->text(), QString("–"));
    }
    view.showRun(record(3, "shown"), {result(0), result(1)});
    QCOMPARE(summary->item(0, 1)->text(), QString("2"));
  }

  // Issue 14 point 6: a table row marks its point in every chart, and a
  // clicked point selects its row.
  void tableAndChartsSelectTogether() {
    kvr::ui::RunView view;
    view.showRun(record(3, "shown"), {result(0), result(1, false), result(2)});
    view.resultsTable()->selectRow(1);
    for (kvr::ui::ResultChart* chart : view.charts()) {
      QCOMPARE(chart->highlightedIndex(), 1);
      QVERIFY(chart->pointOf(0, 1).has_value());
    }
    emit view.charts()[1]->resultClicked(0, 2);
    QCOMPARE(view.resultsTable()->currentIndex().row(), 2);
    QCOMPARE(view.charts()[0]->highlightedIndex(), 2);
    // The speedup chart (x = reuse depth) names its few points.
    QCOMPARE(view.charts()[1]->pointLabelCount(), 3);
    // Exported figures say which run they show.
    QVERIFY(view.charts()[0]->caption().contains(QStringLiteral("#3 shown")));
    QVERIFY(view.charts()[0]->caption().contains(QStringLiteral("policy paper")));
  }

  // The cost model's chart is shown (and exported) only for a run that used
  // it: at once for a stored run, from the first decision for a live one.
  void costModelChartOnlyForRunsThatUsedIt() {
    kvr::ui::RunView view;
    view.showRun(record(3, "shown"), {result(0), result(1)});
    QCOMPARE(view.charts().size(), 3);
    kvr::PromptResult decided = result(2);
    decided.costDecision = "decline";
    decided.predictedBaselineTtftSeconds = 0.02;
    decided.predictedRecycledTtftSeconds = 0.03;
    view.showRun(record(4, "cost"), {result(0), decided});
    QCOMPARE(view.charts().size(), 4);
    QCOMPARE(view.charts()[3]->pointCount(), 2);
    view.beginLiveRun(5, kvr::ui::RunSeries{QStringLiteral("live"), {}}, true);
    QCOMPARE(view.charts().size(), 3);
    view.appendResult(result(0));
    QCOMPARE(view.charts().size(), 3);
    view.appendResult(decided);
    QCOMPARE(view.charts().size(), 4);
    QCOMPARE(view.charts()[3]->pointCount(), 2);  // the earlier result too
  }

  // Issue 14 point 5: identical runs overlaid stay two visible series.
  void overlaidRunsLookDifferent() {
    kvr::ui::SimilarityChart chart;
    const std::vector<kvr::PromptResult> same{result(0), result(1)};
    chart.setRuns({{QStringLiteral("#1"), same}, {QStringLiteral("#2"), same}});
    QCustomPlot* plot = chart.plot();
    QCOMPARE(plot->graphCount(), 3);  // two runs and the (empty) selection mark
    const QCPGraph* first = plot->graph(0);
    const QCPGraph* second = plot->graph(1);
    QVERIFY(first->scatterStyle().shape() != second->scatterStyle().shape());
    QVERIFY(first->scatterStyle().size() != second->scatterStyle().size());
    QVERIFY(first->pen().style() != second->pen().style());
  }
};

QTEST_MAIN(TestWorkbenchViews)
#include "test_workbench_views.moc"
