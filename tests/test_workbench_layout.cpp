// The workbench as a new user sees it, without a model: the window fits a
// 1280x720 screen, and every table of every view, with a finished run and two
// compared runs loaded, shows each header whole (or elided with a tooltip) and
// its first five columns without horizontal scrolling, at 1280x720 and
// 1920x1080.
#include <QAbstractButton>
#include <QHeaderView>
#include <QLineEdit>
#include <QMenuBar>
#include <QScreen>
#include <QSettings>
#include <QSplitter>
#include <QStackedWidget>
#include <QStyle>
#include <QTabBar>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include <qcustomplot.h>
#include "charts/result_chart.h"
#include "kvrecycle/run_store.h"
#include "test_support.h"
#include "workbench/compare_page.h"
#include "workbench/history_page.h"
#include "workbench/main_window.h"
#include "workbench/prompt_set_model.h"
#include "workbench/run_store_service.h"
#include "workbench/run_view.h"
#include "workbench/setup_page.h"
#include "workbench/window_geometry.h"

namespace {

// A finished run over the study's test prompts, with readings of a plausible size.
QList<qint64> writeStudyRuns(const QString& path) {
  kvr::ui::PromptSetModel prompts;
  prompts.loadPromptSet(QString::fromStdString(kvr::test::sampleFile("study_test.csv").string()),
                        nullptr);
  kvr::RunStore store(path.toStdString());
  QList<qint64> ids;
  for (int run = 0; run < 2; ++run) {
    kvr::RunRecord record;
    record.name = run == 0 ? "run 2026-11-23T08:45:09Z" : "policy 12 tok speed study, repeat 2";
    record.createdAt = run == 0 ? "2026-11-23T08:45:09Z" : "2026-11-23T09:12:44Z";
    record.modelPath = "/home/user/.local/share/kvrecycle/models/synthetic-dialogpt-small";
    record.synthetic = true;
    record.configJson = run == 0 ? R"({"policy":"longest-prefix","max_new_tokens":32})"
                                 : R"({"policy":"paper","max_new_tokens":12})";
    record.plannedPrompts = prompts.rowCount();
    const qint64 id = store.createRun(record);
    for (int i = 0; i < prompts.rowCount(); ++i) {
      const kvr::Prompt& p = prompts.promptSet().prompts[static_cast<size_t>(i)];
      kvr::PromptResult r;
      r.index = i;
      r.promptId = p.id;
      r.promptText = p.text;
      r.cachedPromptId = "c0" + std::to_string(i + 1);
      r.cachedPromptText = "a cached prompt that shares the first words";
      r.promptTokens = 19 + i;
      r.reusedTokens = 6 + i;
      r.baselineTtftSeconds = 0.08341 + 0.001 * i;
      r.recycledTtftSeconds = 0.0612;
      r.baselineDecodeSeconds = 1.2345;
      r.recycledDecodeSeconds = 1.2299;
      r.baselineTotalSeconds = 1.3179;
      r.recycledTotalSeconds = 1.2911;
      r.speedupPct = 8.3911 - i;
      r.ttftSpeedup = 1.3629;
      r.exactMatch = true;
      r.firstDivergence = -1;
      r.outputSimilarity = 1.0;
      r.promptSimilarity = 0.7312 + 0.01 * i;
      store.addPromptResult(id, r);
    }
    store.finishRun(id, kvr::RunStatus::Completed, "{}");
    ids << id;
  }
  return ids;
}

// Brings `widget` to the front of every tab widget it sits in.
void reveal(QWidget* widget) {
  for (QWidget* w = widget; w != nullptr; w = w->parentWidget()) {
    auto* stack = qobject_cast<QStackedWidget*>(w->parentWidget());
    if (stack == nullptr) continue;
    if (auto* tabs = qobject_cast<QTabWidget*>(stack->parentWidget())) tabs->setCurrentWidget(w);
  }
}

QString describe(const QWidget* widget) {
  QStringList path;
  for (const QWidget* w = widget; w != nullptr; w = w->parentWidget()) {
    if (!w->objectName().isEmpty()) path.prepend(w->objectName());
    path.prepend(QString::fromLatin1(w->metaObject()->className()));
  }
  return path.mid(path.size() - 6).join(QLatin1Char('/'));
}

}  // namespace

class TestWorkbenchLayout : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  std::unique_ptr<kvr::ui::MainWindow> window_;
  QList<qint64> ids_;

 private slots:
  void initTestCase() {
    QCoreApplication::setOrganizationName(QStringLiteral("kvrecycle-layout-tests"));
    QSettings().clear();
    qputenv("KVRECYCLE_DATA_DIR", tmp_.filePath(QStringLiteral("data")).toUtf8());
    const QString db = tmp_.filePath(QStringLiteral("runs.db"));
    ids_ = writeStudyRuns(db);
    kvr::ui::MainWindow::Options options;
    options.databasePath = db;
    options.loadDefaults = false;
    window_ = std::make_unique<kvr::ui::MainWindow>(options);
    window_->setup()->loadSampleSets(QStringLiteral("study_cache.csv"),
                                     QStringLiteral("study_test.csv"));
    // A finished run on the Run tab, one in History, two compared.
    const auto finished = window_->runStore()->loadRun(ids_[0]);
    QVERIFY(finished.has_value());
    window_->liveRun()->showRun(finished->run, finished->results);
    window_->history()->openRun(ids_[0]);
    window_->compare()->showRuns(ids_);
    window_->show();
    QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
  }

  // Issue 14 point 0: a window that fits a 1280x720 screen, first start and later.
  void windowRectFitsTheScreen() {
    using kvr::ui::fitWindowRect;
    const QRect screen(0, 0, 1280, 720);
    const QMargins frame(4, 32, 4, 4);
    const QRect room = screen.marginsRemoved(frame);
    const QSize minimum(900, 600);
    const QRect first = fitWindowRect(QRect(), minimum, screen, frame);
    QVERIFY(room.contains(first));
    QCOMPARE(first.size(), room.size());  // a 1400x900 wish, shrunk to the room there is
    // Saved on a large monitor, restored on the small screen: shrunk and moved onto it.
    QVERIFY(room.contains(fitWindowRect(QRect(600, 400, 1800, 1000), minimum, screen, frame)));
    QVERIFY(room.contains(fitWindowRect(QRect(3000, -50, 1000, 650), minimum, screen, frame)));
    // Saved inside the screen: kept as it was.
    QCOMPARE(fitWindowRect(QRect(50, 60, 1000, 600), minimum, screen, frame),
             QRect(50, 60, 1000, 600));
    // A large screen on first start: the preferred size, centred.
    const QRect large(0, 0, 2560, 1440);
    const QRect wide = fitWindowRect(QRect(), minimum, large, frame);
    QCOMPARE(wide.size(), kvr::ui::kPreferredWindowSize);
    QVERIFY(large.contains(wide));
    // Smaller than the window's minimum: the minimum, title bar on the screen.
    const QRect tiny = fitWindowRect(QRect(), minimum, QRect(0, 0, 800, 600), frame);
    QCOMPARE(tiny.size(), minimum);
    QCOMPARE(tiny.topLeft(), QPoint(4, 32));
  }

  void minimumSizeAllows1280x720() {
    // With a run, a history entry and a comparison loaded: the largest the pages get.
    const QSize minimum = window_->minimumSizeHint().expandedTo(window_->minimumSize());
    QVERIFY2(
        minimum.width() <= 1280 - 8 && minimum.height() <= 720 - 36,
        qPrintable(QStringLiteral("minimum %1x%2").arg(minimum.width()).arg(minimum.height())));
    // And the window as placed on this (offscreen) screen lies inside it.
    const QRect available = window_->screen()->availableGeometry();
    if (available.width() >= minimum.width() + 8 && available.height() >= minimum.height() + 36) {
      QVERIFY2(available.contains(window_->geometry()), qPrintable(QStringLiteral("%1,%2 %3x%4")
                                                                       .arg(window_->x())
                                                                       .arg(window_->y())
                                                                       .arg(window_->width())
                                                                       .arg(window_->height())));
    }
  }

  void everyTableReads_data() {
    QTest::addColumn<QSize>("size");
    QTest::newRow("1280x720") << QSize(1280 - 8, 720 - 36);
    QTest::newRow("1920x1080") << QSize(1920 - 8, 1080 - 36);
  }

  void everyTableReads() {
    QFETCH(QSize, size);
    window_->resize(size);
    const QList<QTableView*> tables = window_->findChildren<QTableView*>();
    QVERIFY(tables.size() >= 7);  // 2 prompt sets, 2 run views x 2, history, compare x 3
    int checked = 0;
    for (QTableView* table : tables) {
      reveal(table);
      QTest::qWait(20);  // layouts settle and stretch sections take their share
      if (!table->isVisible() || table->model() == nullptr) continue;
      ++checked;
      const QHeaderView* header = table->horizontalHeader();
      const int margin = header->style()->pixelMetric(QStyle::PM_HeaderMargin, nullptr, header);
      const QFontMetrics metrics(header->font());
      for (int c = 0; c < header->count(); ++c) {
        if (header->isSectionHidden(c)) continue;
        const QString text =
            table->model()->headerData(c, Qt::Horizontal, Qt::DisplayRole).toString();
        const QString tip =
            table->model()->headerData(c, Qt::Horizontal, Qt::ToolTipRole).toString();
        const bool fits = header->sectionSize(c) >= metrics.horizontalAdvance(text) + 2 * margin;
        const bool elidesWithTip = header->textElideMode() != Qt::ElideNone && !tip.isEmpty();
        QVERIFY2(fits || elidesWithTip,
                 qPrintable(QStringLiteral("%1: header '%2' is %3 px, needs %4 and has no tooltip")
                                .arg(describe(table), text)
                                .arg(header->sectionSize(c))
                                .arg(metrics.horizontalAdvance(text) + 2 * margin)));
        // Cells that may not fit elide, and say the whole text on hover.
        if (c == 0 && table->model()->rowCount() > 0) {
          QVERIFY2(table->textElideMode() != Qt::ElideNone, qPrintable(describe(table)));
        }
      }
      const int lastOfFive = std::min(5, header->count()) - 1;
      const int right = header->sectionPosition(lastOfFive) + header->sectionSize(lastOfFive);
      QVERIFY2(right <= table->viewport()->width(),
               qPrintable(QStringLiteral("%1: the first five columns need %2 px of %3")
                              .arg(describe(table))
                              .arg(right)
                              .arg(table->viewport()->width())));
    }
    QVERIFY2(checked >= 7, qPrintable(QString::number(checked)));
  }

  // Every chart keeps a readable data area at 1280x720: on the Run tab, in
  // History (which also lists runs) and in Compare. A plot squeezed to a strip
  // overlaps its tick labels and cuts its legend.
  void everyChartHasRoomForItsData() {
    window_->resize(QSize(1280 - 8, 720 - 36));
    const QString shots = qEnvironmentVariable("KVR_LAYOUT_SHOTS");
    int checked = 0;
    for (kvr::ui::ResultChart* chart : window_->findChildren<kvr::ui::ResultChart*>()) {
      reveal(chart);
      QTest::qWait(20);
      if (!chart->isVisible()) continue;
      ++checked;
      chart->plot()->replot();
      const QRect data = chart->plot()->axisRect()->rect();
      if (!shots.isEmpty()) {
        window_->grab().save(
            QStringLiteral("%1/chart-%2.png").arg(shots).arg(checked, 2, 10, QLatin1Char('0')));
      }
      // Readable: y tick labels a line and a half apart, the legend whole.
      const QFontMetrics metrics(chart->plot()->yAxis->tickLabelFont());
      const QVector<double> ticks = chart->plot()->yAxis->tickVector();
      double spacing = data.height();
      for (int t = 1; t < ticks.size(); ++t) {
        spacing = std::min(spacing, std::abs(chart->plot()->yAxis->coordToPixel(ticks[t]) -
                                             chart->plot()->yAxis->coordToPixel(ticks[t - 1])));
      }
      const QRect legend = chart->plot()->legend->outerRect();
      const int yLabel = QFontMetrics(chart->plot()->yAxis->labelFont())
                             .horizontalAdvance(chart->plot()->yAxis->label());
      QVERIFY2(data.height() >= 120 && data.width() >= 300 && ticks.size() >= 3 &&
                   spacing >= 1.5 * metrics.height() && legend.bottom() < chart->plot()->height() &&
                   yLabel <= data.height(),
               qPrintable(QStringLiteral("%1 (%2): data area %3x%4 px, %5 ticks %6 px apart, "
                                         "legend bottom %7 of %8, y label %9 px")
                              .arg(chart->title(), describe(chart))
                              .arg(data.width())
                              .arg(data.height())
                              .arg(ticks.size())
                              .arg(spacing)
                              .arg(legend.bottom())
                              .arg(chart->plot()->height())
                              .arg(yLabel)));
    }
    QVERIFY2(checked >= 9, qPrintable(QString::number(checked)));  // 3 charts x 3 views
  }

  // Compare headers name each run and say what they hold: no two alike.
  void compareHeadersAreDistinct() {
    for (QTableView* table : {static_cast<QTableView*>(window_->compare()->promptTable()),
                              static_cast<QTableView*>(window_->compare()->metricsTable())}) {
      QStringList headers;
      for (int c = 0; c < table->model()->columnCount(); ++c) {
        headers << table->model()->headerData(c, Qt::Horizontal).toString();
      }
      QCOMPARE(headers.removeDuplicates(), 0);
    }
  }

  // Every control is reachable by keyboard: buttons take Tab focus, and the
  // Alt+letter of a menu never collides with one of a tab.
  void everyControlIsReachableByKeyboard() {
    for (QAbstractButton* button : window_->findChildren<QAbstractButton*>()) {
      // Parts of other controls, with keys of their own: tab scroll arrows,
      // the table corner (Ctrl+A), a line edit's clear button (select and delete),
      // the menu bar's overflow arrow (Alt+letter, F10).
      QWidget* owner = button->parentWidget();
      if (qobject_cast<QTabBar*>(owner) != nullptr || qobject_cast<QLineEdit*>(owner) != nullptr ||
          qobject_cast<QMenuBar*>(owner) != nullptr || button->inherits("QTableCornerButton"))
        continue;
      QVERIFY2((button->focusPolicy() & Qt::TabFocus) != 0,
               qPrintable(button->text() + QLatin1Char(' ') + button->metaObject()->className() +
                          QLatin1Char(' ') + button->parentWidget()->metaObject()->className()));
    }
    QStringList mnemonics;
    const auto mnemonicOf = [](const QString& text) {
      const int at = text.indexOf(QLatin1Char('&'));
      return at >= 0 && at + 1 < text.size() ? text.mid(at + 1, 1).toLower() : QString();
    };
    for (QAction* menu : window_->menuBar()->actions()) mnemonics << mnemonicOf(menu->text());
    const auto* tabs = window_->findChild<QTabWidget*>();
    for (int i = 0; i < tabs->count(); ++i) mnemonics << mnemonicOf(tabs->tabText(i));
    QVERIFY(!mnemonics.contains(QString()));
    QCOMPARE(mnemonics.removeDuplicates(), 0);
  }

  // History keeps showing which run the detail is about: after Compare, and
  // after the list reloads.
  void historySelectionFollowsTheDetail() {
    kvr::ui::HistoryPage* history = window_->history();
    history->openRun(ids_[1]);
    QCOMPARE(history->runView()->runId(), ids_[1]);
    QCOMPARE(history->selectedRunIds(), QList<qint64>{ids_[1]});
    history->refresh();
    QCOMPARE(history->selectedRunIds(), QList<qint64>{ids_[1]});
  }
};

QTEST_MAIN(TestWorkbenchLayout)
#include "test_workbench_layout.moc"
