// The workbench through the same code paths as its menus, on the tiny model:
// prompt sets, a run on the worker thread with live charts, cancel, history,
// comparison, export, and the GUI thread's longest stall.
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QProcess>
#include <QProgressBar>
#include <QSettings>
#include <QSignalSpy>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QXmlStreamReader>
#include <QtTest>

#include "charts/result_chart.h"
#include "kvrecycle/run_store.h"
#include "test_support.h"
#include "workbench/compare_page.h"
#include "workbench/history_page.h"
#include "workbench/main_window.h"
#include "workbench/output_diff_view.h"
#include "workbench/prompt_set_model.h"
#include "workbench/results_model.h"
#include "workbench/run_history_model.h"
#include "workbench/run_page.h"
#include "workbench/run_settings_panel.h"
#include "workbench/run_view.h"
#include "workbench/table_text.h"

using kvr::ui::MainWindow;

class TestWorkbench : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  std::unique_ptr<MainWindow> window_;

  QString sample(const char* name) {
    return QString::fromStdString(kvr::test::sampleFile(name).string());
  }

  // Runs the experiment with the given policy and waits for its end.
  QString runOnce(const std::string& policy, qint64* runId = nullptr) {
    kvr::ExperimentConfig c = window_->settings()->config();
    c.policy = kvr::parseReusePolicy(policy);
    c.repeats = 1;
    c.warmup = 0;
    c.maxNewTokens = 4;
    c.ignoreEos = true;
    c.name = "gui " + policy;
    window_->settings()->setConfig(c);
    QSignalSpy ended(window_.get(), &MainWindow::runEnded);
    if (!window_->startRun()) return QStringLiteral("not started");
    if (!ended.wait(120000)) return QStringLiteral("timeout");
    if (runId != nullptr) *runId = ended.first().at(0).toLongLong();
    return ended.first().at(1).toString();
  }

 private slots:
  void initTestCase() {
    QCoreApplication::setOrganizationName(QStringLiteral("kvrecycle-tests"));
    QSettings().clear();
    MainWindow::Options options;
    options.databasePath = tmp_.filePath(QStringLiteral("runs.db"));
    options.loadDefaults = false;
    window_ = std::make_unique<MainWindow>(options);
    window_->show();
    QSignalSpy ready(window_.get(), &MainWindow::modelReadyChanged);
    window_->loadModel(QString::fromStdString(kvr::test::tinyChaoticModel().string()));
    QTRY_VERIFY_WITH_TIMEOUT(window_->modelReady(), 60000);
    QVERIFY(window_->modelInfo().synthetic);
  }

  void loadsPromptSetsAndKeepsThemOnError() {
    QVERIFY(
        window_->loadPromptFile(sample("study_cache.csv"), MainWindow::PromptRole::Cache, false));
    QVERIFY(window_->loadPromptFile(sample("study_test.csv"), MainWindow::PromptRole::Test, false));
    QCOMPARE(window_->cachePrompts()->rowCount(), 10);
    QCOMPARE(window_->testPrompts()->rowCount(), 7);
    QVERIFY(window_->cachePrompts()->totalTokens() > 50);

    const QString bad = tmp_.filePath(QStringLiteral("bad.csv"));
    kvr::test::writeBytes(bad.toStdString(), "id,prompt\n1,\"never closed\n");
    QVERIFY(!window_->loadPromptFile(bad, MainWindow::PromptRole::Test, false));
    QCOMPARE(window_->testPrompts()->rowCount(), 7);  // the previous set is untouched
    QVERIFY(window_->logText().contains(QStringLiteral("bad.csv:2:")));
  }

  void runsOnTheWorkerWithLiveCharts() {
    qint64 id = 0;
    QCOMPARE(runOnce("longest-prefix", &id), QStringLiteral("completed"));
    QVERIFY(id > 0);
    for (kvr::ui::ResultChart* chart : window_->liveRun()->charts()) {
      QCOMPARE(chart->pointCount(), 7);
    }
    QCOMPARE(window_->liveRun()->resultsModel()->rowCount(), 7);
    for (const auto& r : window_->liveRun()->resultsModel()->results()) QVERIFY(r.exactMatch);
    // The name was this run's: the next run gets the default, not a silent reuse.
    QVERIFY(window_->settings()->config().name.empty());
    QVERIFY(window_->liveRun()->label().endsWith(QStringLiteral("gui longest-prefix")));
    QCOMPARE(window_->runPage()->progressBar()->value(), 7);
    qInfo("longest GUI stall during the run: %.1f ms", window_->longestStallMs());
    QVERIFY2(window_->longestStallMs() < 100.0,
             qPrintable(QString::number(window_->longestStallMs())));
  }

  void selectingARowShowsOutputsSideBySide() {
    QTableView* table = window_->liveRun()->resultsTable();
    table->selectRow(0);
    const auto* diff = window_->liveRun()->diffView();
    const QString id = table->model()->index(0, 0).data().toString();
    QVERIFY2(diff->summaryText().contains(id), qPrintable(diff->summaryText()));
    QVERIFY(diff->summaryText().contains(QStringLiteral("identical")));
    QVERIFY(!diff->baselineText().isEmpty());
    QCOMPARE(diff->recycledText(), diff->baselineText());
  }

  void cancelKeepsCompletedResults() {
    auto* view = window_->liveRun();
    QObject guard;
    connect(view->resultsModel(), &QAbstractItemModel::rowsInserted, &guard,
            [this] { window_->cancelRun(); });
    qint64 id = 0;
    QCOMPARE(runOnce("longest-prefix", &id), QStringLiteral("cancelled"));
    const kvr::RunStore store(window_->databasePath().toStdString(), true);
    const auto results = store.promptResults(id);
    QVERIFY(!results.empty() && results.size() < 7);
    QCOMPARE(store.findRun(id)->status, kvr::RunStatus::Cancelled);
    // The progress keeps what was measured ("2 of 7"), and so does History.
    const int measured = static_cast<int>(results.size());
    QCOMPARE(window_->runPage()->progressBar()->maximum(), 7);
    QCOMPARE(window_->runPage()->progressBar()->value(), measured);
    QVERIFY2(window_->runPage()->progressText().contains(QStringLiteral("%1 of 7").arg(measured)),
             qPrintable(window_->runPage()->progressText()));
    window_->history()->refresh();
    kvr::ui::RunHistoryModel* history = window_->history()->model();
    QCOMPARE(history->index(history->rowOfRun(id), kvr::ui::RunHistoryModel::Prompts).data(),
             QVariant(QStringLiteral("%1 of 7").arg(measured)));
  }

  void reopensAStoredRunAsItRan() {
    qint64 id = 0;
    QCOMPARE(runOnce("paper", &id), QStringLiteral("completed"));
    window_->history()->refresh();
    QCOMPARE(window_->history()->model()->rowCount(), 3);
    window_->history()->openRun(id);
    kvr::ui::RunView* view = window_->history()->runView();
    QCOMPARE(view->runId(), id);
    QCOMPARE(view->resultsModel()->rowCount(), 7);
    for (kvr::ui::ResultChart* chart : view->charts()) QCOMPARE(chart->pointCount(), 7);
  }

  void comparesTwoRuns() {
    const auto runs = kvr::RunStore(window_->databasePath().toStdString(), true).listRuns();
    QList<kvr::ui::ComparedRun> compared;
    const kvr::RunStore store(window_->databasePath().toStdString(), true);
    for (const auto& r : runs) {
      if (r.status == kvr::RunStatus::Completed)
        compared << kvr::ui::ComparedRun{r, store.promptResults(r.id)};
    }
    QCOMPARE(compared.size(), 2);
    window_->compare()->setRuns(compared);
    const auto& c = window_->compare()->comparison();
    QCOMPARE(c.labels.size(), 2);
    QCOMPARE(c.prompts.size(), 7);  // joined on prompt text
    bool policyDiffers = false;
    for (const auto& row : c.config)
      policyDiffers = policyDiffers || (row.key == "policy" && row.differs);
    QVERIFY(policyDiffers);
    // "Differences only" hides settings that are the same in both runs.
    QVERIFY(window_->compare()->configTable()->rowCount() < c.config.size());
    for (kvr::ui::ResultChart* chart : window_->compare()->charts()) {
      QCOMPARE(chart->pointCount(0), 7);
      QCOMPARE(chart->pointCount(1), 7);
    }
  }

  void exportsChartsThatOpen() {
    const QString dir = tmp_.filePath(QStringLiteral("charts"));
    const QStringList files = window_->exportAllCharts(dir, QSize(900, 600));
    // Latency, speedup, similarity and the store's resident bytes (every run samples
    // it); no turns (not a conversation) and no Pareto (one run): 4 x 3 formats.
    QCOMPARE(files.size(), 12);
    QVERIFY(files.contains(QDir(dir).filePath(QStringLiteral("resident_bytes.svg"))));
    for (const QString& f : files) {
      const QByteArray bytes = kvr::test::readBytes(f.toStdString());
      if (f.endsWith(".png")) {
        QImage image;
        QVERIFY2(image.loadFromData(bytes, "PNG"), qPrintable(f));
        QCOMPARE(image.size(), QSize(900, 600));
      } else if (f.endsWith(".pdf")) {
        QVERIFY2(bytes.startsWith("%PDF"), qPrintable(f));
        // A page 6.5 in wide (468 pt) with the figure's aspect ratio, not 900 x 600 pt.
        QVERIFY2(bytes.contains("/MediaBox [0 0 468.000000 312.000000]"), qPrintable(f));
      } else {
        // The figure names the run: label, model, policy and date.
        const QString text = QString::fromUtf8(bytes);
        QVERIFY2(text.contains(window_->liveRun()->label().toHtmlEscaped()) &&
                     text.contains(QStringLiteral("policy ")) &&
                     text.contains(QStringLiteral("UTC")),
                 qPrintable(f));
        QXmlStreamReader svg(bytes);
        while (!svg.atEnd()) svg.readNext();
        QVERIFY2(!svg.hasError(), qPrintable(f + ": " + svg.errorString()));
      }
    }
  }

  void headlessExportWritesEveryChart() {
    const auto runs = kvr::RunStore(window_->databasePath().toStdString(), true).listRuns();
    QProcess p;
    const QString out = tmp_.filePath(QStringLiteral("headless"));
    p.start(QStringLiteral(KVR_GUI),
            {"export-charts", "--db", window_->databasePath(), "--run",
             QString::number(runs.front().id), "--out", out, "--size", "800x500"});
    QVERIFY(p.waitForFinished(120000));
    QCOMPARE(p.exitCode(), 0);
    QCOMPARE(QDir(out).entryList(QDir::Files).size(), 12);  // as exportsChartsThatOpen
    QProcess bad;
    bad.start(QStringLiteral(KVR_GUI),
              {"export-charts", "--db", window_->databasePath(), "--run", "999", "--out", out});
    QVERIFY(bad.waitForFinished(60000));
    QCOMPARE(bad.exitCode(), 1);
    const QByteArray err = bad.readAllStandardError();
    QVERIFY2(err.contains("error: ") && err.contains("run 999 does not exist"), err.constData());
    // A page too narrow for 9-pt labels is refused, saying why.
    QProcess narrow;
    narrow.start(QStringLiteral(KVR_GUI),
                 {"export-charts", "--db", window_->databasePath(), "--run",
                  QString::number(runs.front().id), "--out", out, "--pdf-width", "3.3"});
    QVERIFY(narrow.waitForFinished(60000));
    QCOMPARE(narrow.exitCode(), 2);
    QVERIFY(narrow.readAllStandardError().contains("--pdf-width takes inches between 4.5"));
  }

  // A run with many noisy prompts says the machine was busy; the Outputs tab
  // calls timings faithful only where they passed the checks.
  void noisyRunsAreFlaggedNotCharted() {
    kvr::ui::RunView view;
    kvr::RunRecord run;
    run.id = 77;
    run.name = "busy";
    run.synthetic = true;
    std::vector<kvr::PromptResult> results(5);
    for (int i = 0; i < 5; ++i) {
      results[i].index = i;
      results[i].promptId = "p" + std::to_string(i);
      results[i].promptTokens = 10;
      results[i].reusedTokens = 5;
      results[i].exactMatch = true;
    }
    results[1].noisy = true;
    results[1].noiseReason = "end-to-end saving exceeds what skipping 5 of 10 tokens can save";
    view.showRun(run, results);
    QVERIFY(view.noiseBanner()->isHidden());  // 1 of 5 is not more than a fifth
    results[2].noisy = true;
    results[2].noiseReason = "decode times differed";
    view.showRun(run, results);
    QVERIFY(!view.noiseBanner()->isHidden());
    QVERIFY(view.noiseBanner()->text().contains("2 of 5 prompts are noisy"));

    kvr::ui::OutputDiffView* diff = view.diffView();
    diff->showResult(&results[1]);
    const auto note = diff->findChildren<QLabel*>();
    const auto noteText = [&] {
      QString all;
      for (QLabel* label : note) all += label->text() + "\n";
      return all;
    };
    QVERIFY2(noteText().contains("These timings are noisy"), qPrintable(noteText()));
    QVERIFY(!noteText().contains("faithful"));
    diff->showResult(&results[0]);
    QVERIFY2(noteText().contains("passed the noise checks"), qPrintable(noteText()));
  }

  // Export table on the Compare tab goes through the engine's one writer:
  // JSON is JSON, LaTeX escapes a backslash as text, CSV quotes a CR.
  void tableExportUsesTheOneWriter() {
    QTableWidget table(1, 2);
    table.setHorizontalHeaderLabels({"metric", "delta"});
    table.setItem(0, 0, new QTableWidgetItem("a\\b|c"));
    table.setItem(0, 1, new QTableWidgetItem("1\r2"));
    const QJsonDocument json = QJsonDocument::fromJson(kvr::ui::tableText(&table, "json").toUtf8());
    QVERIFY(json.isArray());
    QCOMPARE(json.array()[0].toObject()["metric"].toString(), QString("a\\b|c"));
    QVERIFY(kvr::ui::tableText(&table, "tex").contains("a\\textbackslash{}b"));
    QVERIFY(kvr::ui::tableText(&table, "csv").contains("\"1\r2\""));
    QVERIFY(kvr::ui::tableText(&table, "md").contains("a\\b\\|c"));
  }

  // bf16 weights chosen in the settings: the model loads with them, says so,
  // and a run on it recycles exactly (against its own bf16 baseline).
  void bf16WeightsLoadFromTheSettingsAndRunExactly() {
    window_->settings()->setLoadChoice({QStringLiteral("cpu"), QStringLiteral("bf16")});
    window_->loadModel(QString::fromStdString(kvr::test::tinyChaoticModel().string()));
    QTRY_VERIFY_WITH_TIMEOUT(window_->modelReady(), 60000);
    QCOMPARE(window_->modelInfo().weightsDtype, QStringLiteral("bf16"));
    QVERIFY(window_->modelInfo().describe().contains(QStringLiteral("bf16 weights")));
    QVERIFY(window_->modelInfo().fingerprint.endsWith(QStringLiteral(":bf16-weights")));
    QCOMPARE(runOnce("longest-prefix"), QStringLiteral("completed"));
    QCOMPARE(window_->liveRun()->resultsModel()->rowCount(), 7);
    for (const auto& r : window_->liveRun()->resultsModel()->results()) QVERIFY(r.exactMatch);
  }

  void cleanupTestCase() { window_.reset(); }
};

QTEST_MAIN(TestWorkbench)
#include "test_workbench.moc"
