// The workbench's parts without a model: the item models under
// QAbstractItemModelTester, the run store service (the one way ui/ reads and
// writes runs), the export rules, the stall profiler and the window's wiring.
#include <QAbstractItemModelTester>
#include <QAction>
#include <QDirIterator>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

#include <qcustomplot.h>
#include <QTableView>
#include <QTableWidget>
#include <cmath>
#include "charts/chart_export.h"
#include "charts/quantity_format.h"
#include "charts/result_chart.h"
#include "charts/similarity_chart.h"
#include "kvrecycle/quantity_text.h"
#include "kvrecycle/run_store.h"
#include "test_support.h"
#include "workbench/compare_page.h"
#include "workbench/history_page.h"
#include "workbench/main_window.h"
#include "workbench/prompt_set_model.h"
#include "workbench/results_model.h"
#include "workbench/run_history_model.h"
#include "workbench/run_page.h"
#include "workbench/run_store_service.h"
#include "workbench/run_view.h"
#include "workbench/stall_profiler.h"
#include "workbench_fixtures.h"

using kvr::test::record;
using kvr::test::result;
using kvr::ui::RunStoreService;
using Mode = QAbstractItemModelTester::FailureReportingMode;

namespace {

// A database with `count` finished runs of two prompts each; returns their ids.
QList<qint64> writeRuns(const QString& path, int count) {
  kvr::RunStore store(path.toStdString());
  QList<qint64> ids;
  for (int i = 0; i < count; ++i) {
    kvr::RunRecord run = record(0, "run " + std::to_string(i));
    run.configJson = i % 2 == 0 ? R"({"policy":"paper"})" : R"({"policy":"longest-prefix"})";
    const qint64 id = store.createRun(run);
    store.addPromptResult(id, result(0));
    store.addPromptResult(id, result(1));
    store.finishRun(id, kvr::RunStatus::Completed, "{}");
    ids << id;
  }
  return ids;
}

}  // namespace

class TestWorkbenchParts : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  int databases_ = 0;
  QString newDatabase() { return tmp_.filePath(QStringLiteral("runs%1.db").arg(++databases_)); }

 private slots:
  void initTestCase() {
    QCoreApplication::setOrganizationName(QStringLiteral("kvrecycle-parts-tests"));
    QSettings().clear();
    qputenv("KVRECYCLE_DATA_DIR", tmp_.filePath(QStringLiteral("data")).toUtf8());
  }

  // ---- item models -------------------------------------------------------

  void resultsModelPassesTheModelTester() {
    kvr::ui::ResultsModel model;
    QAbstractItemModelTester tester(&model, Mode::QtTest);
    model.setResults({result(0), result(1, false), result(2)});
    QCOMPARE(model.rowCount(), 3);
    model.appendResult(result(3));  // as the live run does
    QCOMPARE(model.rowCount(), 4);
    QCOMPARE(model.columnCount(), int(kvr::ui::ResultsModel::ColumnCount));
    QCOMPARE(model.index(1, kvr::ui::ResultsModel::PromptId).data().toString(), QString("p1"));
    QCOMPARE(model.index(2, kvr::ui::ResultsModel::Reused).data(Qt::UserRole).toInt(), 12);
    QVERIFY(model.resultAt(4) == nullptr);
    model.setResults({});
    QCOMPARE(model.rowCount(), 0);
  }

  void runHistoryModelPassesTheModelTester() {
    kvr::ui::RunHistoryModel model;
    QAbstractItemModelTester tester(&model, Mode::QtTest);
    model.setRuns({record(3, "third"), record(2, "second"), record(1, "first")});
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(model.rowOfRun(2), 1);
    QCOMPARE(model.rowOfRun(99), -1);
    using Column = kvr::ui::RunHistoryModel::Column;
    QCOMPARE(model.index(0, Column::Name).data().toString(), QString("third"));
    QCOMPARE(model.index(0, Column::Policy).data().toString(), QString("paper"));
    QCOMPARE(model.index(0, Column::Tags).data().toString(), QString("a, b"));
    QCOMPARE(model.index(0, Column::Speedup).data(Qt::UserRole).toDouble(), 7.5);
    model.setRuns({record(4, "only")});
    QCOMPARE(model.rowCount(), 1);
  }

  void promptSetModelPassesTheModelTester() {
    kvr::ui::PromptSetModel model;
    QAbstractItemModelTester tester(&model, Mode::QtTest);
    model.loadPromptSet(QString::fromStdString(kvr::test::sampleFile("study_test.csv").string()),
                        nullptr);
    QCOMPARE(model.rowCount(), 7);
    QCOMPARE(model.columnCount(), int(kvr::ui::PromptSetModel::ColumnCount));
    kvr::PromptSet set{"two", {{"a", "first prompt", 2}, {"b", "second prompt", 3}}, {}};
    model.setPromptSet(set, {4, 6});
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.totalTokens(), 10);
    QCOMPARE(model.index(1, kvr::ui::PromptSetModel::PromptColumn).data().toString(),
             QString("second prompt"));
    // A failed load keeps the set (and tells the tester nothing changed).
    const QString bad = tmp_.filePath(QStringLiteral("bad.csv"));
    kvr::test::writeBytes(bad.toStdString(), "id,prompt\n1,\"never closed\n");
    QVERIFY_THROWS_EXCEPTION(std::exception, model.loadPromptSet(bad, nullptr));
    QCOMPARE(model.rowCount(), 2);
  }

  // An eviction run has no recycling readings: History says what it is, not "0 %".
  void historyLabelsEvictionRuns() {
    kvr::ui::RunHistoryModel model;
    QAbstractItemModelTester tester(&model, Mode::QtTest);
    kvr::RunRecord eviction = record(8, "evict");
    eviction.kind = kvr::RunKind::Eviction;
    eviction.plannedPrompts = 7;
    eviction.summaryJson = R"({"kind":"eviction","methods":[]})";
    model.setRuns({eviction, record(7, "recycling")});
    using Column = kvr::ui::RunHistoryModel::Column;
    QCOMPARE(model.index(0, Column::Policy).data().toString(), QString("eviction run"));
    QCOMPARE(model.index(0, Column::Prompts).data().toString(), QString("7"));
    QCOMPARE(model.index(0, Column::Speedup).data().toString(), QString("-"));
    QVERIFY(std::isnan(model.index(0, Column::ExactRate).data(Qt::UserRole).toDouble()));
    QCOMPARE(model.index(0, Column::Name).data().toString(), QString("evict"));
    QCOMPARE(model.index(1, Column::Policy).data().toString(), QString("paper"));
  }

  void historyShowsHowFarAStoppedRunGot() {
    kvr::ui::RunHistoryModel model;
    QAbstractItemModelTester tester(&model, Mode::QtTest);
    kvr::RunRecord stopped = record(5, "stopped");
    stopped.plannedPrompts = 7;  // the summary says 2 were measured
    kvr::RunRecord whole = record(6, "whole");
    whole.plannedPrompts = 2;
    model.setRuns({stopped, whole});
    using Column = kvr::ui::RunHistoryModel::Column;
    QCOMPARE(model.index(0, Column::Prompts).data().toString(), QString("2 of 7"));
    QCOMPARE(model.index(1, Column::Prompts).data().toString(), QString("2"));
    QCOMPARE(model.index(0, Column::Prompts).data(Qt::UserRole).toInt(), 2);
    QCOMPARE(model.index(0, Column::Created).data().toString(), QString("2026-11-23 04:05"));
    QCOMPARE(model.index(0, Column::Created).data(Qt::ToolTipRole).toString(),
             QString("2026-11-23T04:05:06Z"));
  }

  // ---- the run store service ---------------------------------------------

  void serviceReadsRuns() {
    const QString path = newDatabase();
    RunStoreService service(path);
    QVERIFY(service.listRuns().empty());  // no file yet: no runs, no error
    const QList<qint64> ids = writeRuns(path, 3);
    const auto runs = service.listRuns();
    QCOMPARE(runs.size(), size_t{3});
    QCOMPARE(runs.front().id, ids.last());  // newest first
    const auto run = service.loadRun(ids[1]);
    QVERIFY(run.has_value());
    QCOMPARE(run->run.name, std::string("run 1"));
    QCOMPARE(run->results.size(), size_t{2});
    QVERIFY(!service.loadRun(999).has_value());
    const QList<kvr::ui::ComparedRun> some = service.loadRuns({ids[2], 999, ids[0]});
    QCOMPARE(some.size(), 2);
    QCOMPARE(some[0].run.id, ids[2]);
    QCOMPARE(some[1].run.id, ids[0]);
    QVERIFY(service.kvStoreDirectory().endsWith(QStringLiteral("runs%1-kv").arg(databases_)));
  }

  void serviceAnnouncesEveryWrite() {
    const QString path = newDatabase();
    const QList<qint64> ids = writeRuns(path, 3);
    RunStoreService service(path);
    QSignalSpy changed(&service, &RunStoreService::runsChanged);

    service.renameRun(ids[0], QStringLiteral("renamed"));
    QCOMPARE(changed.count(), 1);
    QCOMPARE(service.loadRun(ids[0])->run.name, std::string("renamed"));
    service.setNotes(ids[0], QStringLiteral("a note"));
    service.setTags(ids[0], {QStringLiteral("x"), QStringLiteral("y")});
    QCOMPARE(changed.count(), 3);
    QCOMPARE(service.loadRun(ids[0])->run.tags, (std::vector<std::string>{"x", "y"}));

    service.deleteRuns({ids[1], ids[2]});
    QCOMPARE(changed.count(), 4);
    QCOMPARE(service.listRuns().size(), size_t{1});

    // A write that fails still announces (a batch may have changed part-way), then throws.
    QVERIFY_THROWS_EXCEPTION(std::exception, service.renameRun(999, QStringLiteral("x")));
    QCOMPARE(changed.count(), 5);

    QSignalSpy switched(&service, &RunStoreService::databaseChanged);
    service.setDatabasePath(newDatabase());
    QCOMPARE(switched.count(), 1);
    QCOMPARE(changed.count(), 6);
    QVERIFY(service.listRuns().empty());
  }

  void pagesFollowTheService() {
    const QString path = newDatabase();
    const QList<qint64> ids = writeRuns(path, 2);
    RunStoreService service(path);
    kvr::ui::HistoryPage history(&service);
    history.refresh();
    QCOMPARE(history.model()->rowCount(), 2);
    // A write through the service reaches the list without a refresh by hand.
    service.renameRun(ids[0], QStringLiteral("renamed elsewhere"));
    const int row = history.model()->rowOfRun(ids[0]);
    QCOMPARE(history.model()->runAt(row)->name, std::string("renamed elsewhere"));
    service.deleteRuns({ids[1]});
    QCOMPARE(history.model()->rowCount(), 1);

    writeRuns(path, 1);
    const auto runs = service.listRuns();
    kvr::ui::ComparePage compare(&service);
    QSignalSpy shown(&compare, &kvr::ui::ComparePage::runsShown);
    compare.showRuns({runs[1].id, runs[0].id});
    QCOMPARE(shown.count(), 1);
    QCOMPARE(compare.comparison().labels.size(), 2);
    QCOMPARE(compare.comparison().prompts.size(), 2);
  }

  // ui/ opens the run store in one place: the service (and the worker threads
  // of runs and sweeps, which write runs through their own connections).
  void onlyTheServiceOpensTheRunStore() {
    QStringList openers;
    QDirIterator it(QStringLiteral(KVR_UI_SOURCES),
                    {QStringLiteral("*.cpp"), QStringLiteral("*.h")}, QDir::Files,
                    QDirIterator::Subdirectories);
    while (it.hasNext()) {
      const QString file = it.next();
      if (kvr::test::readBytes(file.toStdString()).contains("kvrecycle/run_store.h")) {
        openers << QDir(QStringLiteral(KVR_UI_SOURCES)).relativeFilePath(file);
      }
    }
    openers.sort();
    QCOMPARE(openers, QStringList({"workbench/run_store_service.cpp", "workbench/run_worker.cpp",
                                   "workbench/sweep_worker.cpp"}));
  }

  // ---- export rules --------------------------------------------------------

  void chartSizeParsing_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QSize>("expected");  // invalid: rejected
    QTest::newRow("plain") << "1200x800" << QSize(1200, 800);
    QTest::newRow("spaces and capital X") << " 800 X 500 " << QSize(800, 500);
    QTest::newRow("smallest") << "50x50" << QSize(50, 50);
    QTest::newRow("too small") << "49x800" << QSize();
    QTest::newRow("one number") << "800" << QSize();
    QTest::newRow("negative") << "-800x600" << QSize();
    QTest::newRow("words") << "big" << QSize();
    QTest::newRow("empty") << "" << QSize();
    QTest::newRow("overflow") << "99999999999x600" << QSize();
  }
  void chartSizeParsing() {
    QFETCH(QString, text);
    QFETCH(QSize, expected);
    const std::optional<QSize> size = kvr::ui::parseChartSize(text);
    QCOMPARE(size.has_value(), expected.isValid());
    if (size) QCOMPARE(*size, expected);
  }

  void chartFormatFromTheFileName() {
    using kvr::ui::ChartFormat;
    QCOMPARE(kvr::ui::chartFormatForPath("/a/b.svg"), ChartFormat::Svg);
    QCOMPARE(kvr::ui::chartFormatForPath("/a/b.PNG"), ChartFormat::Png);
    QCOMPARE(kvr::ui::chartFormatForPath("/a/b.pdf"), ChartFormat::Pdf);
    QCOMPARE(kvr::ui::chartFormatForPath("/a/b"), ChartFormat::Pdf);
  }

  // ---- stall profiler and window wiring --------------------------------------

  void stallProfilerSeesABlockedEventLoop() {
    kvr::ui::StallProfiler profiler;
    profiler.start();
    QTimer::singleShot(20, [] { QThread::msleep(120); });
    QTest::qWait(250);  // the sampling timer fires late once the loop is free again
    profiler.stop();
    QVERIFY2(profiler.longestStallMs() >= 80,
             qPrintable(QString::number(profiler.longestStallMs())));
    profiler.start();
    QCOMPARE(profiler.longestStallMs(), 0.0);
    profiler.stop();
  }

  // Help -> About names the libraries and their versions.
  void aboutListsTheLibraries() {
    const QString about = kvr::ui::MainWindow::aboutText();
    for (const char* library : {"Qt", "libtorch", "faiss", "QCustomPlot", "SQLite"}) {
      QVERIFY2(about.contains(QStringLiteral("<td>%1</td><td>").arg(QLatin1String(library))),
               library);
    }
    QVERIFY(about.contains(QString::fromUtf8(qVersion())));
    QVERIFY(about.contains(QStringLiteral("<td>QCustomPlot</td><td>2.")));
    QVERIFY(!about.contains(QStringLiteral("<td></td>")));  // no version left empty
  }

  // The run actions live on the Run page; the window's Run menu still carries their shortcuts.
  void runMenuShortcutsReachTheRunPage() {
    kvr::ui::MainWindow::Options options;
    options.databasePath = newDatabase();
    options.loadDefaults = false;
    kvr::ui::MainWindow window(options);
    window.show();
    window.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&window));
    QAction* run = window.runPage()->runAction();
    QVERIFY(!run->isEnabled());  // no model, no prompts
    run->setEnabled(true);
    QSignalSpy triggered(run, &QAction::triggered);
    QTest::keyClick(&window, Qt::Key_R, Qt::ControlModifier);
    QCOMPARE(triggered.count(), 1);
    QVERIFY(window.logText().contains(QStringLiteral("Load a model and both prompt sets first.")));
    QVERIFY(window.logText().contains(QStringLiteral("Run store: %1").arg(options.databasePath)));
  }
};

QTEST_MAIN(TestWorkbenchParts)
#include "test_workbench_parts.moc"
