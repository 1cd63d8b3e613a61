// The K/V store in the workbench (issue 11 item 7): the store settings panel
// round-trips into the run configuration and through QSettings; the bundled
// conversation runs online from the GUI path on the tiny model under a byte
// budget, with resident bytes never above it and one TTFT point per turn;
// History names the store settings; the Pareto view has one point per run.
#include <QLineEdit>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>
#include <algorithm>

#include "charts/pareto_chart.h"
#include "charts/resident_bytes_chart.h"
#include "charts/store_series.h"
#include "charts/turn_ttft_chart.h"
#include "kvrecycle/error.h"
#include "kvrecycle/run_store.h"
#include "test_support.h"
#include "workbench/compare_page.h"
#include "workbench/history_page.h"
#include "workbench/main_window.h"
#include "workbench/prompt_set_model.h"
#include "workbench/results_model.h"
#include "workbench/run_history_model.h"
#include "workbench/run_settings_panel.h"
#include "workbench/run_view.h"
#include "workbench/setup_page.h"
#include "workbench/store_settings_panel.h"

using kvr::ui::MainWindow;
using kvr::ui::StoreSettingsPanel;

namespace {

kvr::ExperimentConfig storeConfig() {
  kvr::ExperimentConfig c;
  c.mode = kvr::RunMode::Online;
  c.admitMinTokens = 12;
  c.conversation = true;
  c.storeBudgetBytes = 3 * 1024 * 1024;
  c.eviction = kvr::EvictionPolicy::Lfu;
  c.kvDtype = kvr::KVDtype::Int8;
  c.costModel = true;
  return c;
}

void checkSameStore(const kvr::ExperimentConfig& a, const kvr::ExperimentConfig& b) {
  QCOMPARE(a.mode, b.mode);
  QCOMPARE(a.admitMinTokens, b.admitMinTokens);
  QCOMPARE(a.conversation, b.conversation);
  QCOMPARE(a.storeBudgetBytes, b.storeBudgetBytes);
  QCOMPARE(a.eviction, b.eviction);
  QCOMPARE(a.kvDtype, b.kvDtype);
  QCOMPARE(a.costModel, b.costModel);
}

}  // namespace

class TestWorkbenchStore : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  std::unique_ptr<MainWindow> window_;
  QList<qint64> runs_;

  // An online run of the loaded conversation with `budget` ("none", "96K", ...)
  // and `eviction`; returns its status.
  QString runConversation(const QString& budget, kvr::EvictionPolicy eviction, qint64* id) {
    kvr::ExperimentConfig c = window_->settings()->config();
    c.repeats = 1;
    c.warmup = 0;
    c.maxNewTokens = 4;
    c.ignoreEos = true;
    c.name = "conversation " + budget.toStdString();
    window_->settings()->setConfig(c);
    kvr::ExperimentConfig store;
    store.mode = kvr::RunMode::Online;
    store.conversation = true;
    store.eviction = eviction;
    store.storeBudgetBytes = kvr::parseByteSize(budget.toStdString());
    window_->setup()->storeSettings()->setFrom(store);
    QSignalSpy ended(window_.get(), &MainWindow::runEnded);
    if (!window_->startRun()) return QStringLiteral("not started");
    if (!ended.wait(180000)) return QStringLiteral("timeout");
    *id = ended.first().at(0).toLongLong();
    return ended.first().at(1).toString();
  }

 private slots:
  void initTestCase() {
    QCoreApplication::setOrganizationName(QStringLiteral("kvrecycle-store-tests"));
    QSettings().clear();
    qputenv("KVRECYCLE_DATA_DIR", tmp_.filePath(QStringLiteral("data")).toUtf8());
  }

  void panelRoundTripsItsSettings() {
    StoreSettingsPanel panel;
    const kvr::ExperimentConfig wanted = storeConfig();
    panel.setFrom(wanted);
    QVERIFY(panel.online());
    kvr::ExperimentConfig got;  // other settings are left alone
    got.maxNewTokens = 7;
    panel.applyTo(got);
    checkSameStore(got, wanted);
    QCOMPARE(got.maxNewTokens, 7);

    // Kept between sessions.
    panel.saveSettings();
    StoreSettingsPanel restored;
    restored.restoreSettings();
    kvr::ExperimentConfig again;
    restored.applyTo(again);
    checkSameStore(again, wanted);

    // An empty budget keeps the store's persisted one; "none" lifts it.
    kvr::ExperimentConfig keep = wanted;
    keep.storeBudgetBytes = kvr::kKeepStoreBudget;
    panel.setFrom(keep);
    panel.applyTo(got);
    QCOMPARE(got.storeBudgetBytes, kvr::kKeepStoreBudget);
    QCOMPARE(kvr::ui::budgetText(0), QStringLiteral("none"));
    QCOMPARE(kvr::ui::budgetText(1536 * 1024), QStringLiteral("1536K"));
    QCOMPARE(kvr::ui::budgetText(64LL << 20), QStringLiteral("64M"));

    // Offline runs are never conversations, whatever the box says.
    kvr::ExperimentConfig offline = wanted;
    offline.mode = kvr::RunMode::Offline;
    panel.setFrom(offline);
    panel.applyTo(got);
    QCOMPARE(got.mode, kvr::RunMode::Offline);
    QVERIFY(!got.conversation);
  }

  // The conversation box follows the test set loaded, not a setting restored from another one.
  void conversationFollowsTheTestSet() {
    StoreSettingsPanel panel;
    panel.setFrom(storeConfig());
    kvr::PromptSet study;
    study.prompts = {{"t01", "Does money buy happiness?"}, {"t02", "What is the best way?"}};
    panel.followTestSet(study);
    kvr::ExperimentConfig c;
    panel.applyTo(c);
    QVERIFY(!c.conversation);
    kvr::PromptSet turns;
    turns.prompts = {{"s1-t1", "Hello<|endoftext|>"}, {"s12-t3", "Hi<|endoftext|>"}};
    panel.followTestSet(turns);
    panel.applyTo(c);
    QVERIFY(c.conversation);
  }

  void invalidBudgetSaysWhatIsWrong() {
    StoreSettingsPanel panel;
    auto* budget = panel.findChild<QLineEdit*>();
    QVERIFY(budget != nullptr);
    budget->setText(QStringLiteral("12Q"));
    QVERIFY(panel.budgetError().contains(QStringLiteral("12Q")));
    kvr::ExperimentConfig c;
    try {
      panel.applyTo(c);
      QFAIL("no error for a budget of 12Q");
    } catch (const kvr::Error& e) {
      const QString message = QString::fromUtf8(e.what());
      QVERIFY2(message.contains(QStringLiteral("Store budget")) &&
                   message.contains(QStringLiteral("12Q")),
               e.what());
    }
    budget->setText(QStringLiteral("1.5G"));
    QVERIFY(panel.budgetError().isEmpty());
    panel.applyTo(c);
    QCOMPARE(c.storeBudgetBytes, int64_t{3} << 29);
  }

  void conversationRunsOnlineUnderABudget() {
    MainWindow::Options options;
    options.databasePath = tmp_.filePath(QStringLiteral("runs.db"));
    options.loadDefaults = false;
    window_ = std::make_unique<MainWindow>(options);
    window_->show();
    window_->loadModel(QString::fromStdString(kvr::test::tinyChaoticModel().string()));
    QTRY_VERIFY_WITH_TIMEOUT(window_->modelReady(), 60000);

    window_->setup()->loadConversationSample();
    QCOMPARE(window_->testPrompts()->rowCount(), 18);  // 3 sessions x 6 turns
    QCOMPARE(window_->cachePrompts()->rowCount(), 0);
    QVERIFY(window_->setup()->storeSettings()->online());
    QVERIFY(window_->setup()->promptsReady());  // online: no cache set needed

    // Unbounded first, for the peak; then a quarter of it.
    qint64 unbounded = 0;
    QCOMPARE(runConversation(QStringLiteral("none"), kvr::EvictionPolicy::Lru, &unbounded),
             QStringLiteral("completed"));
    const auto peakOf = [](const std::vector<kvr::PromptResult>& results) {
      int64_t peak = 0;
      for (const auto& s : kvr::ui::residentSteps(results)) peak = std::max(peak, s.residentBytes);
      return peak;
    };
    const int64_t peak = peakOf(window_->liveRun()->resultsModel()->results());
    QVERIFY(peak > 0);
    const int64_t budget = peak / 4;
    qint64 budgeted = 0;
    QCOMPARE(runConversation(QString::number(budget), kvr::EvictionPolicy::Lru, &budgeted),
             QStringLiteral("completed"));
    runs_ = {unbounded, budgeted};

    const auto results = window_->liveRun()->resultsModel()->results();
    QCOMPARE(static_cast<int>(results.size()), 18);
    const auto steps = kvr::ui::residentSteps(results);
    QVERIFY(steps.size() >= results.size());  // at least one sample per prompt
    for (const auto& s : steps) {
      QVERIFY2(
          s.residentBytes <= budget,
          qPrintable(
              QStringLiteral("%1 > %2 at %3 s").arg(s.residentBytes).arg(budget).arg(s.seconds)));
    }
    const kvr::RunSummary summary = kvr::summarizeResults(results);
    qInfo(
        "unbounded peak %lld B, budget %lld B, budgeted peak %lld B, %d evictions, %d "
        "truncations, hit rate %.2f",
        static_cast<long long>(peak), static_cast<long long>(budget),
        static_cast<long long>(summary.peakResidentBytes), summary.evictions, summary.truncations,
        summary.hitRate);
    QVERIFY(summary.evictions + summary.truncations > 0);  // the budget did bind
    for (const auto& r : results) {
      if (r.exactnessTested()) QVERIFY2(r.exactMatch, r.promptId.c_str());
    }

    // The live charts: one TTFT point per turn, one resident step per sample,
    // and the run's budget (the one in force) drawn.
    const QList<kvr::ui::ResultChart*> charts = window_->liveRun()->storeCharts();
    auto* turns = qobject_cast<kvr::ui::TurnTtftChart*>(charts.value(0));
    auto* resident = qobject_cast<kvr::ui::ResidentBytesChart*>(charts.value(1));
    QVERIFY(turns != nullptr && resident != nullptr);
    QCOMPARE(turns->pointCount(), 6);
    QCOMPARE(resident->pointCount(), static_cast<int>(steps.size()));
    QCOMPARE(window_->liveRun()->series().storeBudgetBytes, budget);
    QCOMPARE(window_->liveRun()->series().eviction, QStringLiteral("lru"));
    QVERIFY(resident->caption().contains(QStringLiteral("footprint")));
  }

  void historyNamesTheStoreSettings() {
    QVERIFY(!runs_.isEmpty());
    const auto* history = window_->history()->model();
    const QString budgeted =
        history->index(history->rowOfRun(runs_[1]), kvr::ui::RunHistoryModel::Store)
            .data()
            .toString();
    QVERIFY2(budgeted.startsWith(QStringLiteral("online chat, ")) &&
                 budgeted.contains(QStringLiteral("lru")) &&
                 budgeted.endsWith(QStringLiteral("fp32")),
             qPrintable(budgeted));
    const QString unbounded =
        history->index(history->rowOfRun(runs_[0]), kvr::ui::RunHistoryModel::Store)
            .data()
            .toString();
    QVERIFY2(unbounded.contains(QStringLiteral("no budget")), qPrintable(unbounded));
  }

  void paretoHasOnePointPerSelectedRun() {
    QVERIFY(!runs_.isEmpty());
    window_->compare()->showRuns(runs_);
    const QList<kvr::ui::ResultChart*> charts = window_->compare()->storeCharts();
    auto* pareto = qobject_cast<kvr::ui::ParetoChart*>(charts.value(2));
    QVERIFY(pareto != nullptr);
    QCOMPARE(pareto->pointCount(0), 1);
    QCOMPARE(pareto->pointCount(1), 1);
    // The budgeted run keeps less K/V resident over the run: left of the unbounded one.
    QVERIFY(pareto->pointOf(1, 0)->x() < pareto->pointOf(0, 0)->x());
    QCOMPARE(charts.value(0)->pointCount(0), 6);  // TTFT per turn, each run
    QCOMPARE(charts.value(0)->pointCount(1), 6);

    // Compare's configuration table shows the budget in bytes a reader counts.
    bool budgetShown = false;
    for (const auto& row : window_->compare()->comparison().config) {
      if (row.key == QStringLiteral("store_budget_bytes")) {
        budgetShown = row.differs && row.values.value(0) == QStringLiteral("0 (none)") &&
                      row.values.value(1).contains(QStringLiteral("KiB"));
      }
    }
    QVERIFY(budgetShown);

    // Exported with the others: the store figures join the three.
    const QString dir = tmp_.filePath(QStringLiteral("figures"));
    const QStringList files = window_->exportAllCharts(dir, QSize(900, 600));
    for (const char* name : {"ttft_per_turn", "resident_bytes", "pareto"}) {
      for (const char* suffix : {".png", ".pdf", ".svg"}) {
        QVERIFY2(files.contains(QDir(dir).filePath(QLatin1String(name) + QLatin1String(suffix))),
                 name);
      }
    }
  }

  void cleanupTestCase() { window_.reset(); }
};

QTEST_MAIN(TestWorkbenchStore)
#include "test_workbench_store.moc"
