// The K/V store charts on results made here (no model): TTFT per turn is the
// median with min-max over the sessions, one point per turn; resident bytes is
// one step per store sample with the budget drawn and the footprint stated;
// the Pareto view is one point per run, one legend entry per policy.
#include <qcustomplot.h>
#include <QtTest>

#include <cmath>

#include "charts/pareto_chart.h"
#include "charts/resident_bytes_chart.h"
#include "charts/store_series.h"
#include "charts/turn_ttft_chart.h"

using kvr::PromptResult;
using kvr::ui::RunSeries;

namespace {

// Session s (1..sessions), turn t: baseline TTFT grows with the turn, recycled stays near 0.1 s.
std::vector<PromptResult> conversation(int sessions, int turns) {
  std::vector<PromptResult> results;
  for (int t = 1; t <= turns; ++t) {
    for (int s = 1; s <= sessions; ++s) {
      PromptResult r;
      r.index = static_cast<int>(results.size());
      r.promptId = "s" + std::to_string(s) + "-t" + std::to_string(t);
      r.session = "s" + std::to_string(s);
      r.turn = t;
      r.baselineTtftSeconds = 0.1 * t + 0.01 * s;
      r.recycledTtftSeconds = 0.1 + 0.001 * s;
      results.push_back(r);
    }
  }
  return results;
}

// Prompts each carrying two samples: the store grows by `step` bytes per prompt.
std::vector<PromptResult> sampled(int prompts, int64_t step) {
  std::vector<PromptResult> results;
  for (int i = 0; i < prompts; ++i) {
    PromptResult r;
    r.index = i;
    r.promptId = "p" + std::to_string(i);
    r.baselineTtftSeconds = 0.3;
    r.recycledTtftSeconds = 0.1;
    r.reusedTokens = i > 0 ? 10 : 0;
    r.promptTokens = 20;
    r.storeSamples.push_back({1.0 * i, step * i, step * i, "prompt"});
    r.storeSamples.push_back({1.0 * i + 0.5, step * (i + 1), step * (i + 1), "admit"});
    results.push_back(r);
  }
  return results;
}

QStringList legendTexts(const QCustomPlot* plot) {
  QStringList texts;
  for (int i = 0; i < plot->legend->itemCount(); ++i) {
    if (auto* item = qobject_cast<QCPPlottableLegendItem*>(plot->legend->item(i)))
      texts << item->plottable()->name();
  }
  return texts;
}

}  // namespace

class TestStoreCharts : public QObject {
  Q_OBJECT

 private slots:
  void turnsAreMediansOverSessions() {
    const auto turns = kvr::ui::ttftByTurn(conversation(3, 4));
    QCOMPARE(static_cast<int>(turns.size()), 4);
    for (const auto& t : turns) {
      QCOMPARE(t.sessions, 3);
      QVERIFY(std::abs(t.baselineMedian - (0.1 * t.turn + 0.02)) < 1e-12);
      QVERIFY(std::abs(t.baselineMin - (0.1 * t.turn + 0.01)) < 1e-12);
      QVERIFY(std::abs(t.baselineMax - (0.1 * t.turn + 0.03)) < 1e-12);
      QVERIFY(std::abs(t.recycledMedian - 0.102) < 1e-12);
    }
    PromptResult notATurn;  // turn 0: not a conversation
    QVERIFY(kvr::ui::ttftByTurn({notATurn}).empty());
  }

  void turnChartHasOnePointPerTurnLive() {
    kvr::ui::TurnTtftChart chart;
    chart.setRuns({RunSeries{"run", {}}});
    const auto results = conversation(2, 5);
    for (const auto& r : results) chart.appendResult(r);
    QCOMPARE(chart.pointCount(), 5);
    // The mark of a prompt sits at its turn.
    QCOMPARE(chart.pointOf(0, 3)->x(), 2.0);  // s2-t2
    chart.setRuns({RunSeries{"a", conversation(2, 5)}, RunSeries{"b", conversation(3, 3)}});
    QCOMPARE(chart.pointCount(0), 5);
    QCOMPARE(chart.pointCount(1), 3);
    chart.setRuns({RunSeries{"not a conversation", sampled(3, 100)}});
    QCOMPARE(chart.pointCount(), 0);
  }

  void residentChartStepsThroughEverySample() {
    kvr::ui::ResidentBytesChart chart;
    RunSeries run{"budgeted", sampled(6, 4096)};
    run.storeBudgetBytes = 64 * 1024;
    run.eviction = "lfu";
    chart.setRuns({run});
    QCOMPARE(chart.pointCount(), 12);
    QCOMPARE(chart.byteScale(), 1024.0);  // 24 KiB of data, 64 KiB budget: KiB
    QVERIFY(chart.plot()->yAxis->label().contains(QStringLiteral("KiB")));
    const QStringList legend = legendTexts(chart.plot());
    QVERIFY2(legend.filter(QStringLiteral("budget 64.0 KiB")).size() == 1,
             qPrintable(legend.join('|')));
    QVERIFY2(legend.filter(QStringLiteral("footprint")).size() == 1, qPrintable(legend.join('|')));
    const QString caption = chart.caption();
    QVERIFY2(caption.contains(QStringLiteral("footprint")) &&
                 caption.contains(QStringLiteral("budget 64.0 KiB")) &&
                 caption.contains(QStringLiteral("eviction lfu")),
             qPrintable(caption));
    // A prompt's mark is its last sample: after its admission.
    QCOMPARE(*chart.pointOf(0, 2), QPointF(2.5, 12.0));
    chart.setRuns({RunSeries{"no samples", conversation(1, 2)}});
    QCOMPARE(chart.pointCount(), 0);
  }

  // The compare view draws no unbounded stores, so they do not set its scale.
  void residentOverlayScalesToWhatItDraws() {
    auto unboundedMuchLarger = sampled(4, 1000);
    for (auto& r : unboundedMuchLarger) {
      for (auto& sample : r.storeSamples) sample.unboundedBytes = 100 * 1024 * 1024;
    }
    kvr::ui::ResidentBytesChart chart;
    chart.setRuns({RunSeries{"a", unboundedMuchLarger}, RunSeries{"b", sampled(2, 500)}});
    QCOMPARE(chart.pointCount(0), 8);
    QCOMPARE(chart.pointCount(1), 4);
    QCOMPARE(chart.byteScale(), 1024.0);  // 4000 bytes at most: KiB, not MiB
    QVERIFY(chart.plot()->yAxis->range().upper < 5);
    QCOMPARE(legendTexts(chart.plot()).size(), 2);  // one entry per run
  }

  void paretoHasOnePointPerRunColouredByPolicy() {
    QList<RunSeries> runs;
    const QString policies[] = {"lru", "lfu", "lru", ""};
    for (int i = 0; i < 4; ++i) {
      RunSeries run{"#" + QString::number(i + 1), sampled(3 + i, 1000 * (i + 1))};
      run.eviction = policies[i].isEmpty() ? QStringLiteral("lru") : policies[i];
      run.storeBudgetBytes = policies[i].isEmpty() ? 0 : 1 << 20;
      runs << run;
    }
    kvr::ui::ParetoChart chart;
    chart.setRuns(runs);
    for (int i = 0; i < 4; ++i) QCOMPARE(chart.pointCount(i), 1);
    // One legend entry per policy; a run without a budget is "no budget", whatever its policy.
    QCOMPARE(legendTexts(chart.plot()), (QStringList{QStringLiteral("lru"), QStringLiteral("lfu"),
                                                     QStringLiteral("no budget")}));
    const kvr::RunSummary s = kvr::summarizeResults(runs[3].results);
    QVERIFY(std::abs(chart.pointOf(3, 0)->y() - s.ttftSavedSeconds) < 1e-12);
    QVERIFY(chart.pointOf(3, 0)->x() > chart.pointOf(0, 0)->x());  // larger store, larger footprint
    QVERIFY(kvr::ui::ParetoChart::policyColor("lru") != kvr::ui::ParetoChart::policyColor("lfu"));
  }
};

QTEST_MAIN(TestStoreCharts)
#include "test_store_charts.moc"
