// An eviction run from the workbench on the tiny model, through the same code
// paths as the Setup tab and the Run button: it runs on the worker thread,
// fills the figure live, stores its rows in the run store as the CLI does,
// and History opens it as the eviction figure with the stored rows.
#include <QAction>
#include <QLabel>
#include <QProcess>
#include <QSettings>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include "charts/eviction_chart.h"
#include "kvrecycle/run_store.h"
#include "test_support.h"
#include "workbench/engine_session.h"
#include "workbench/eviction_settings_panel.h"
#include "workbench/eviction_view.h"
#include "workbench/experiment_type_box.h"
#include "workbench/history_page.h"
#include "workbench/main_window.h"
#include "workbench/prompt_set_model.h"
#include "workbench/run_page.h"
#include "workbench/run_worker.h"
#include "workbench/setup_page.h"

using kvr::EvictionMethod;
using kvr::ui::MainWindow;

class TestWorkbenchEviction : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  std::unique_ptr<MainWindow> window_;

 private slots:
  void initTestCase() {
    QCoreApplication::setOrganizationName(QStringLiteral("kvrecycle-tests"));
    QCoreApplication::setApplicationName(QStringLiteral("workbench-eviction"));
    QSettings().clear();
    MainWindow::Options options;
    options.databasePath = tmp_.filePath(QStringLiteral("runs.db"));
    options.loadDefaults = false;
    window_ = std::make_unique<MainWindow>(options);
    window_->show();
    window_->loadModel(QString::fromStdString(kvr::test::tinyChaoticModel().string()));
    QTRY_VERIFY_WITH_TIMEOUT(window_->modelReady(), 60000);
    QVERIFY(window_->modelInfo().synthetic);
  }

  // Eviction measures the test prompts only: no cache prompts are needed to run.
  void evictionNeedsOnlyTestPrompts() {
    kvr::ui::SetupPage* setup = window_->setup();
    setup->experimentTypeBox()->setType(kvr::ui::ExperimentType::Recycling);
    QVERIFY(window_->loadPromptFile(
        QString::fromStdString(kvr::test::sampleFile("study_test.csv").string()),
        MainWindow::PromptRole::Test, false));
    QVERIFY(!window_->runPage()->runAction()->isEnabled());  // recycling: no cache prompts
    setup->experimentTypeBox()->setType(kvr::ui::ExperimentType::Eviction);
    QVERIFY(window_->runPage()->runAction()->isEnabled());
  }

  void runsStoresAndReopensAnEvictionRun() {
    kvr::ui::EvictionSettingsPanel* panel = window_->setup()->evictionSettings();
    kvr::EvictionRunConfig c = panel->config();
    c.methods = {EvictionMethod::Full, EvictionMethod::Window, EvictionMethod::Heavy,
                 EvictionMethod::Chunked};
    c.budgets = {4, 8};
    c.maxNewTokens = 4;
    c.base.observation = 4;
    c.base.chunk = 4;
    c.base.sinks = 2;  // below the smallest budget
    c.name = "gui eviction";
    panel->setConfig(c);
    const int prompts = window_->testPrompts()->rowCount();
    QVERIFY(prompts > 0);

    QSignalSpy ended(window_.get(), &MainWindow::runEnded);
    QVERIFY(window_->startRun());
    kvr::ui::RunPage* run = window_->runPage();
    QVERIFY(run->showsEviction());
    QVERIFY(ended.wait(180000));
    QCOMPARE(ended.first().at(1).toString(), QString("completed"));
    const qint64 id = ended.first().at(0).toLongLong();

    // Stored as the CLI stores it: an eviction run with a row per prompt x setting.
    kvr::RunStore store(window_->databasePath().toStdString(), true);
    const std::optional<kvr::RunRecord> record = store.findRun(id);
    QVERIFY(record.has_value());
    QVERIFY(record->kind == kvr::RunKind::Eviction);
    QCOMPARE(QString::fromStdString(record->name), QString("gui eviction"));
    QVERIFY(record->synthetic);
    const std::vector<kvr::EvictionResultRow> rows = store.evictionResults(id);
    QCOMPARE(static_cast<int>(rows.size()), prompts * (1 + 3 * 2));
    for (const kvr::EvictionResultRow& r : rows) {
      if (r.method == EvictionMethod::Full) QCOMPARE(r.fidelity.footprintRatio, 1.0);
      QVERIFY(r.fidelity.footprintRatio > 0 && r.fidelity.footprintRatio <= 1.0);
    }

    // The live view drew every row as it came: a point per budget per method.
    const kvr::ui::EvictionView* live = run->evictionView();
    QCOMPARE(live->promptRows().size(), rows.size());
    for (EvictionMethod m :
         {EvictionMethod::Window, EvictionMethod::Heavy, EvictionMethod::Chunked})
      QCOMPARE(live->chart()->pointCount(0, m), 2);
    QCOMPARE(live->chart()->pointCount(0, EvictionMethod::Full), 1);
    QCOMPARE(live->table()->rowCount(), 7);
    QVERIFY(live->syntheticNote()->isVisible());

    // History opens it as the eviction figure, from the stored rows.
    kvr::ui::HistoryPage* history = window_->history();
    history->refresh();
    history->openRun(id);
    QVERIFY(history->showsEviction());
    const kvr::ui::EvictionView* opened = history->evictionView();
    QCOMPARE(opened->runId(), id);
    QCOMPARE(opened->promptRows().size(), rows.size());
    for (EvictionMethod m :
         {EvictionMethod::Window, EvictionMethod::Heavy, EvictionMethod::Chunked})
      QCOMPARE(opened->chart()->pointCount(0, m), 2);
    QCOMPARE(opened->table()->rowCount(), 7);
    for (int row = 0; row < 7; ++row) {
      QCOMPARE(opened->table()->item(row, 4)->text(), live->table()->item(row, 4)->text());
    }
    QVERIFY(opened->chart()->caption().contains(QStringLiteral("gui eviction")));

    // Export all charts from History writes the eviction figure, not empty recycling charts.
    auto* tabs = qobject_cast<QTabWidget*>(history->parentWidget()->parentWidget());
    QVERIFY(tabs != nullptr);
    tabs->setCurrentWidget(history);
    const QStringList files =
        window_->exportAllCharts(tmp_.filePath(QStringLiteral("figures")), QSize(800, 500));
    QCOMPARE(files.size(), 12);
    QVERIFY(files.first().contains(QStringLiteral("eviction-agreement")));

    // So does the headless export of the stored run.
    QProcess p;
    const QString out = tmp_.filePath(QStringLiteral("headless"));
    p.start(QStringLiteral(KVR_GUI), {"export-charts", "--db", window_->databasePath(), "--run",
                                      QString::number(id), "--out", out, "--size", "800x500"});
    QVERIFY(p.waitForFinished(120000));
    QCOMPARE(p.exitCode(), 0);
    QCOMPARE(QDir(out).entryList({QStringLiteral("eviction-*")}, QDir::Files).size(), 12);
  }

  // Cancel stops between cells: what was measured stays stored and shown.
  void cancelKeepsTheMeasuredCells() {
    // Asked on the worker thread as the first cell is stored: the run stops after it.
    kvr::ui::EngineSession* engine = window_->findChild<kvr::ui::EngineSession*>();
    QVERIFY(engine != nullptr);
    const QMetaObject::Connection stop = connect(
        engine->worker(), &kvr::ui::RunWorker::evictionRowDone, engine->worker(),
        [engine] { engine->requestCancel(); }, Qt::DirectConnection);
    QSignalSpy ended(window_.get(), &MainWindow::runEnded);
    QVERIFY(window_->startRun());
    QVERIFY(ended.wait(180000));
    disconnect(stop);
    QCOMPARE(ended.first().at(1).toString(), QString("cancelled"));
    const qint64 id = ended.first().at(0).toLongLong();
    const auto rows =
        kvr::RunStore(window_->databasePath().toStdString(), true).evictionResults(id);
    QCOMPARE(rows.size(), size_t{1});  // the cell measured before the cancel, no more
    QCOMPARE(window_->runPage()->evictionView()->promptRows().size(), rows.size());
    QVERIFY(window_->runPage()->progressText().contains(QStringLiteral("cancelled")));
  }

  void cleanupTestCase() { window_.reset(); }
};

QTEST_MAIN(TestWorkbenchEviction)
#include "test_workbench_eviction.moc"
