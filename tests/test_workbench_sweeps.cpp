// The Sweeps tab: a 2 x 2 sweep run from the page on the tiny model shows in
// the list with its cells and resumes like the CLI; the chart has one series
// per value of the line axis and one point per x value, with the right
// medians; importing a shard merges it once.
#include <QAbstractItemModelTester>
#include <QFile>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

#include "charts/sweep_chart.h"
#include "charts/sweep_chart_data.h"
#include "kvrecycle/run_store.h"
#include "kvrecycle/sweep.h"
#include "kvrecycle/sweep_status.h"
#include "test_support.h"
#include "workbench/run_store_service.h"
#include "workbench/sweep_cell_model.h"
#include "workbench/sweep_list_model.h"
#include "workbench/sweep_worker.h"
#include "workbench/sweeps_page.h"

namespace {

using kvr::SweepCellState;

// A completed cell whose run's summary has this end-to-end speedup.
kvr::SweepCellStatus cell(int index, const std::vector<kvr::SweepSetting>& axes, double speedup,
                          SweepCellState state = SweepCellState::Completed) {
  kvr::SweepCellStatus c;
  c.cell = index;
  c.axisValues = axes;
  c.state = state;
  kvr::RunRecord run;
  run.id = 100 + index;
  run.status =
      state == SweepCellState::Completed ? kvr::RunStatus::Completed : kvr::RunStatus::Failed;
  kvr::RunSummary s;
  s.avgSpeedupPct = speedup;
  run.summaryJson = kvr::summaryToJson(s);
  c.run = run;
  return c;
}

// policy (2) x budget (2) x min-reuse (3): each point is the median of three runs.
kvr::SweepStatus handMadeSweep() {
  kvr::SweepStatus s;
  s.id = "hand";
  s.fromSpec = true;
  s.axes = {"policy", "store-budget", "min-reuse"};
  const double speedups[2][2][3] = {{{1, 5, 3}, {10, 20, 60}}, {{-2, -4, -3}, {7, 7, 8}}};
  const char* policies[] = {"paper", "longest-prefix"};
  const char* budgets[] = {"64M", "1M"};  // listed out of order: x sorts by value
  int index = 0;
  for (int p = 0; p < 2; ++p) {
    for (int b = 0; b < 2; ++b) {
      for (int m = 0; m < 3; ++m, ++index) {
        s.cells.push_back(cell(index,
                               {{"policy", policies[p]},
                                {"store-budget", budgets[b]},
                                {"min-reuse", std::to_string(m + 1)}},
                               speedups[p][b][m]));
      }
    }
  }
  // A failed cell's run must not count.
  s.cells.push_back(cell(index++, {{"policy", "paper"}, {"store-budget", "1M"}, {"min-reuse", "9"}},
                         1000, SweepCellState::Failed));
  s.totalCells = static_cast<int>(s.cells.size());
  return s;
}

QString writeSpec(const QString& path, const QString& id, const QString& cache,
                  const QString& test) {
  const QString json =
      QStringLiteral(R"({"id": "%1",
    "fixed": {"model": "%2", "cache-prompts": "%3", "test-prompts": "%4",
              "repeats": 1, "warmup": 0, "ignore-eos": true},
    "axes": {"policy": ["paper", "longest-prefix"], "max-new-tokens": [2, 4]}})")
          .arg(id, QString::fromStdString(kvr::test::tinyModel().string()), cache, test);
  kvr::test::writeBytes(path.toStdString(), json.toUtf8());
  return path;
}

}  // namespace

class TestWorkbenchSweeps : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  QString path(const QString& name) const { return tmp_.filePath(name); }

 private slots:
  void initTestCase() {
    QCoreApplication::setOrganizationName(QStringLiteral("kvrecycle-sweeps-tests"));
    QSettings().clear();
    qputenv("KVRECYCLE_DATA_DIR", path(QStringLiteral("data")).toUtf8());
  }

  void chartGroupsByAxesWithMedians() {
    const kvr::SweepStatus sweep = handMadeSweep();
    const auto& metric = kvr::ui::sweepMetric(QStringLiteral("avg_speedup"));
    const kvr::ui::SweepChartData data = kvr::ui::sweepChartData(
        sweep, metric, QStringLiteral("store-budget"), QStringLiteral("policy"));
    QVERIFY(!data.categorical);  // "1M", "64M" are byte sizes
    QCOMPARE(data.lines.size(), 2);
    QCOMPARE(data.lines[0].label, QStringLiteral("policy=paper"));
    QCOMPARE(data.runs, 12);
    QCOMPARE(data.maxRunsPerPoint, 3);
    QCOMPARE(data.ticks.size(), 2);  // 64M and 1M, as the spec writes them
    const auto& paper = data.lines[0].points;
    QCOMPARE(paper.size(), 2);
    QCOMPARE(paper[0].xText, QStringLiteral("1M"));  // by value, not spec order
    QCOMPARE(paper[0].x, 1024.0 * 1024.0);
    QCOMPARE(paper[0].median, 20.0);
    QCOMPARE(paper[0].low, 10.0);
    QCOMPARE(paper[0].high, 60.0);
    QCOMPARE(paper[1].median, 3.0);
    QCOMPARE(paper[1].cells, (QList<int>{0, 1, 2}));
    const auto& longest = data.lines[1].points;
    QCOMPARE(longest[0].median, 7.0);
    QCOMPARE(longest[1].median, -3.0);
    QCOMPARE(longest[1].low, -4.0);

    // Policy names on x are categories in spec order; no line axis: one line.
    const kvr::ui::SweepChartData byPolicy =
        kvr::ui::sweepChartData(sweep, metric, QStringLiteral("policy"), QString());
    QVERIFY(byPolicy.categorical);
    QCOMPARE(byPolicy.categories, (QStringList{"paper", "longest-prefix"}));
    QCOMPARE(byPolicy.lines.size(), 1);
    QCOMPARE(byPolicy.lines[0].points[0].x, 1.0);
    QCOMPARE(byPolicy.lines[0].points[0].median, 7.5);  // median of 1 3 5 10 20 60
    QCOMPARE(byPolicy.lines[0].points[1].median, 2.5);  // of -4 -3 -2 7 7 8

    kvr::ui::SweepChart chart;
    chart.setData(data, QStringLiteral("hand"));
    QCOMPARE(chart.seriesCount(), 2);
    QCOMPARE(chart.pointCount(0), 2);
    QCOMPARE(chart.pointCount(1), 2);
    QVERIFY(chart.caption().contains(QStringLiteral("bars: min–max")));
    QVERIFY(chart.caption().contains(QStringLiteral("Sweep hand")));
  }

  void cellModelShowsAxesStateAndProvenance() {
    kvr::SweepStatus sweep = handMadeSweep();
    sweep.cells[0].run->machineJson =
        R"({"hostname":"merger","merged_from":{"hostname":"node7"},)"
        R"("slurm":{"job_id":"41","array_job_id":"40","array_task_id":"0"}})";
    kvr::ui::SweepCellModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setSweep(sweep);
    QCOMPARE(model.rowCount(), 13);
    QCOMPARE(model.headerData(1, Qt::Horizontal, Qt::DisplayRole).toString(),
             QStringLiteral("policy"));
    const int state = model.stateColumn();
    QCOMPARE(model.index(0, 2).data().toString(), QStringLiteral("64M"));
    QCOMPARE(model.index(0, state).data().toString(), QStringLiteral("completed"));
    QCOMPARE(model.index(12, state).data().toString(), QStringLiteral("failed"));
    QCOMPARE(model.index(0, state + 1).data().toLongLong(), 100LL);
    QCOMPARE(model.index(0, state + 3).data().toString(), QStringLiteral("node7"));
    QCOMPARE(model.index(0, state + 4).data().toString(), QStringLiteral("40_0"));

    const kvr::Table table = kvr::ui::sweepCellsTable(sweep);
    QCOMPARE(table.rows.size(), size_t{13});
    QVERIFY(std::find(table.columns.begin(), table.columns.end(), "avg_speedup") !=
            table.columns.end());
  }

  // Item 3 end to end: the page runs a 2 x 2 spec through the engine, lists
  // it, charts it, and running it again skips every cell.
  void localSweepFromThePage() {
    QFile::copy(QString::fromStdString(kvr::test::sampleFile("study_cache.csv").string()),
                path("cache.csv"));
    QFile::copy(QString::fromStdString(kvr::test::sampleFile("study_test.csv").string()),
                path("test.csv"));
    const QString spec = writeSpec(path("grid.json"), QStringLiteral("grid"),
                                   QStringLiteral("cache.csv"), QStringLiteral("test.csv"));
    kvr::ui::RunStoreService store(path("runs.db"));
    kvr::ui::SweepsPage page(&store);
    QSignalSpy ended(&page, &kvr::ui::SweepsPage::sweepEnded);
    QSignalSpy finished(page.worker(), &kvr::ui::SweepWorker::finished);
    QVERIFY(page.startSweep(spec));
    QVERIFY(!page.startSweep(spec));  // one at a time
    QVERIFY(ended.wait(300000));
    QCOMPARE(finished.count(), 1);
    QCOMPARE(finished[0][0].toInt(), 4);  // completed now
    QVERIFY2(page.progressText().contains(QStringLiteral("4 run now")),
             qPrintable(page.progressText()));

    page.refresh();
    QCOMPARE(page.sweepList()->rowCount(), 1);
    const kvr::SweepStatus* listed = page.sweepList()->sweepAt(0);
    QCOMPARE(listed->id, std::string("grid"));
    QVERIFY(listed->fromSpec);
    QCOMPARE(QString::fromStdString(listed->spec.string()), spec);
    QCOMPARE(listed->totalCells, 4);
    QCOMPARE(listed->count(SweepCellState::Completed), 4);
    QCOMPARE(page.sweepList()->index(0, kvr::ui::SweepListModel::Done).data().toString(),
             QStringLiteral("4/4"));
    QCOMPARE(page.sweepList()->index(0, kvr::ui::SweepListModel::Others).data().toString(),
             QString());
    QCOMPARE(page.selectedSweepId(), QStringLiteral("grid"));
    QCOMPARE(page.cells()->rowCount(), 4);
    QCOMPARE(page.cells()->index(3, 2).data().toString(), QStringLiteral("4"));  // max-new-tokens

    page.setChartAxes(QStringLiteral("tokens_reused"), QStringLiteral("max-new-tokens"),
                      QStringLiteral("policy"));
    QCOMPARE(page.chart()->seriesCount(), 2);  // paper, longest-prefix
    QCOMPARE(page.chart()->pointCount(0), 2);  // 2 and 4 new tokens
    QCOMPARE(page.chart()->pointCount(1), 2);
    page.setChartAxes(QStringLiteral("tokens_reused"), QStringLiteral("policy"), QString());
    QCOMPARE(page.chart()->seriesCount(), 1);
    QVERIFY(page.chart()->data().categorical);

    // Exports: chart as PNG with the caption, cells as CSV.
    page.exportChart(path("chart.png"), QSize(600, 400));
    QVERIFY(QFileInfo(path("chart.png")).size() > 0);
    page.exportCells(path("cells.csv"));
    const QString csv = QString::fromUtf8(kvr::test::readBytes(path("cells.csv").toStdString()));
    QCOMPARE(csv.count(QStringLiteral("\ngrid,")), 4);

    // Resuming like the CLI: nothing left to run.
    QVERIFY(page.startSweep(spec));
    QVERIFY(ended.wait(300000));
    QCOMPARE(finished.count(), 2);
    QCOMPARE(finished[1][0].toInt(), 0);
    QCOMPARE(finished[1][1].toInt(), 4);  // skipped
    QCOMPARE(static_cast<int>(store.listRuns().size()), 4);
  }

  // A shard holding one completed cell of a 2 x 2 spec: imported once, it
  // fills that cell (the other three pending); imported again, it adds nothing.
  void importingAShardMergesOnce() {
    const QString spec = writeSpec(path("shard.json"), QStringLiteral("sharded"),
                                   QStringLiteral("cache.csv"), QStringLiteral("test.csv"));
    const kvr::SweepSpec parsed = kvr::readSweepSpec(spec.toStdString());
    const auto cells = kvr::expandSweep(parsed);
    const QString shard = path("cell-2.sqlite");
    {
      kvr::RunStore store(shard.toStdString());
      kvr::RunRecord run;
      run.name = "sharded cell 2";
      run.tags = kvr::sweepCellTags(parsed, cells[2]);
      run.machineJson = R"({"hostname":"node3","slurm":{"array_job_id":"77","array_task_id":"2"}})";
      const int64_t id = store.createRun(run);
      store.finishRun(id, kvr::RunStatus::Completed, kvr::summaryToJson(kvr::RunSummary{}));
    }
    kvr::ui::RunStoreService store(path("import.db"));
    kvr::ui::SweepsPage page(&store);
    const kvr::MergeReport first = page.importShards({shard});
    QCOMPARE(first.copied, 1);
    QCOMPARE(page.sweepList()->rowCount(), 1);  // refreshed by runsChanged
    const kvr::SweepStatus* s = page.sweepList()->sweepAt(0);
    QCOMPARE(s->totalCells, 4);
    QCOMPARE(s->count(SweepCellState::Completed), 1);
    QCOMPARE(s->count(SweepCellState::Pending), 3);
    QCOMPARE(s->cells[2].state, SweepCellState::Completed);
    QCOMPARE(page.sweepList()->index(0, kvr::ui::SweepListModel::Others).data().toString(),
             QStringLiteral("3 pending"));
    const int hostColumn = page.cells()->stateColumn() + 3;
    QCOMPARE(page.cells()->index(2, hostColumn).data().toString(), QStringLiteral("node3"));
    QCOMPARE(page.cells()->index(2, hostColumn + 1).data().toString(), QStringLiteral("77_2"));

    const kvr::MergeReport second = page.importShards({shard});
    QCOMPARE(second.copied, 0);
    QCOMPARE(second.alreadyPresent, 1);
    QCOMPARE(static_cast<int>(store.listRuns().size()), 1);
    QVERIFY_THROWS_EXCEPTION(std::exception, page.importShards({path("import.db")}));
  }
};

QTEST_MAIN(TestWorkbenchSweeps)
#include "test_workbench_sweeps.moc"
