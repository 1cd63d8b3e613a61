#include "workbench/run_view.h"

#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QVBoxLayout>

#include "charts/cost_model_chart.h"
#include "charts/latency_chart.h"
#include "charts/quantity_format.h"
#include "charts/resident_bytes_chart.h"
#include "charts/similarity_chart.h"
#include "charts/speedup_chart.h"
#include "charts/store_series.h"
#include "charts/turn_ttft_chart.h"
#include "kvrecycle/run_export.h"
#include "workbench/output_diff_view.h"
#include "workbench/results_model.h"
#include "workbench/run_comparison.h"
#include "workbench/run_history_model.h"
#include "workbench/splitter_memory.h"
#include "workbench/table_fit.h"

namespace kvr::ui {

RunView::RunView(QWidget* parent, Room room) : QWidget(parent) {
  title_ = new QLabel(this);
  title_->setWordWrap(true);
  noiseBanner_ = new QLabel(this);
  noiseBanner_->setWordWrap(true);
  noiseBanner_->setStyleSheet(
      "QLabel { background: #fff1d6; color: #5a3a00; border: 1px solid #e0a030; padding: 6px; }");
  noiseBanner_->hide();
  latency_ = new LatencyChart(this);
  speedup_ = new SpeedupChart(this);
  similarity_ = new SimilarityChart(this);
  costModel_ = new CostModelChart(this);
  costModel_->hide();
  turns_ = new TurnTtftChart(this);
  resident_ = new ResidentBytesChart(this);
  auto* charts = new QTabWidget(this);
  chartTabs_ = charts;
  charts->addTab(latency_, tr("Latency per prompt"));
  charts->addTab(speedup_, tr("Speedup vs reuse depth"));
  charts->addTab(similarity_, tr("Similarity and exactness"));
  charts->addTab(turns_, tr("TTFT per turn"));
  charts->addTab(resident_, tr("Resident K/V"));

  results_ = new ResultsModel(this);
  proxy_ = new QSortFilterProxyModel(this);
  proxy_->setSourceModel(results_);
  proxy_->setSortRole(Qt::UserRole);
  proxy_->setFilterKeyColumn(-1);
  proxy_->setFilterCaseSensitivity(Qt::CaseInsensitive);
  filter_ = new QLineEdit(this);
  filter_->setPlaceholderText(tr("Filter results (any column)"));
  filter_->setClearButtonEnabled(true);
  connect(filter_, &QLineEdit::textChanged, proxy_, &QSortFilterProxyModel::setFilterFixedString);
  table_ = new QTableView(this);
  table_->setModel(proxy_);
  table_->setSortingEnabled(true);
  table_->horizontalHeader()->setSortIndicator(-1, Qt::AscendingOrder);  // prompt order
  proxy_->sort(-1);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setSelectionMode(QAbstractItemView::SingleSelection);
  fitColumns(table_, -1, 240);
  compactRows(table_);
  connect(table_->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
          &RunView::showSelected);
  for (ResultChart* chart : this->charts() + storeCharts() + QList<ResultChart*>{costModel_}) {
    connect(chart, &ResultChart::resultClicked, this,
            [this](int /*run*/, int index) { selectResult(index); });
  }

  summary_ = new QTableWidget(0, 2, this);
  summary_->setHorizontalHeaderLabels({tr("Metric"), tr("Value")});
  summary_->setWordWrap(false);
  summary_->setMinimumWidth(300);
  summary_->verticalHeader()->setVisible(false);
  compactRows(summary_);
  summary_->setTextElideMode(Qt::ElideRight);
  summary_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  diff_ = new OutputDiffView(this);

  auto* tablePane = new QWidget(this);
  auto* tableLayout = new QVBoxLayout(tablePane);
  tableLayout->setContentsMargins(0, 0, 0, 0);
  tableLayout->addWidget(filter_);
  tableLayout->addWidget(table_);
  auto* lower = new QTabWidget(this);
  lower->addTab(tablePane, tr("Results"));
  lower->addTab(diff_, tr("Outputs"));
  // Charts over the table on the left; the summary on the right over the full
  // height, so its rows need no scrolling at 1280x720.
  auto* split = new QSplitter(Qt::Vertical, this);
  split->addWidget(charts);
  split->addWidget(lower);
  // Charts first: a squeezed chart overlaps its labels, a short table scrolls.
  // On a page of its own the two share extra height; below a list the charts
  // take all of it and the table starts with ~3 rows.
  const bool own = room == Room::OwnPage;
  split->setStretchFactor(0, 1);
  split->setStretchFactor(1, own ? 1 : 0);
  split->setSizes(own ? QList<int>{520, 280} : QList<int>{600, 120});
  auto* sides = new QSplitter(Qt::Horizontal, this);
  sides->addWidget(split);
  sides->addWidget(summary_);
  sides->setStretchFactor(0, 3);
  sides->setStretchFactor(1, 1);
  sides->setSizes({900, 360});
  const QString place = own ? QStringLiteral("runView/") : QStringLiteral("runViewBelowList/");
  rememberSplitter(sides, place + QStringLiteral("leftAndSummary"));
  rememberSplitter(split, place + QStringLiteral("chartsAndTable"));
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);  // the page around it has margins
  layout->addWidget(title_);
  layout->addWidget(noiseBanner_);
  layout->addWidget(sides, 1);
  refreshSummary();
}

void RunView::setTokenizer(const kvr::Gpt2Tokenizer* tokenizer) {
  diff_->setTokenizer(tokenizer);
}

QList<ResultChart*> RunView::charts() const {
  if (chartTabs_->indexOf(costModel_) >= 0) return {latency_, speedup_, similarity_, costModel_};
  return {latency_, speedup_, similarity_};
}

void RunView::showCostModelChart(bool shown) {
  const int tab = chartTabs_->indexOf(costModel_);
  if (shown && tab < 0) {
    chartTabs_->addTab(costModel_, tr("Cost model: predicted vs measured TTFT"));
  } else if (!shown && tab >= 0) {
    chartTabs_->removeTab(tab);
    costModel_->hide();
  }
}

QList<ResultChart*> RunView::storeCharts() const {
  return {turns_, resident_};
}

RunSeries RunView::series() const {
  RunSeries series = run_;
  series.results = results_->results();
  return series;
}

void RunView::showRun(const kvr::RunRecord& run, std::vector<kvr::PromptResult> results) {
  runId_ = run.id;
  run_ = runSeries(ComparedRun{run, {}});
  title_->setText(
      tr("<b>%1</b> &mdash; %2, %3, model %4%5")
          .arg(run_.label.toHtmlEscaped(), QString::fromStdString(run.createdAt),
               QString::fromUtf8(kvr::runStatusName(run.status)),
               QString::fromStdString(run.modelPath).toHtmlEscaped(),
               run.synthetic ? tr(" (synthetic weights: text meaningless)") : QString()));
  diff_->setSyntheticNote(run.synthetic);
  RunSeries series = run_;
  series.results = results;
  showCostModelChart(CostModelChart::usedCostModel(results));
  for (ResultChart* chart : charts() + storeCharts()) chart->setRuns({series});
  results_->setResults(std::move(results));
  fitColumns(table_, -1, 240);
  refreshSummary();
  diff_->showResult(nullptr);
}

void RunView::beginLiveRun(qint64 runId, const RunSeries& run, bool synthetic) {
  runId_ = runId;
  run_ = run;
  run_.results.clear();
  title_->setText(tr("<b>%1</b> &mdash; running").arg(run_.label.toHtmlEscaped()));
  diff_->setSyntheticNote(synthetic);
  showCostModelChart(false);  // until a result carries a decision
  for (ResultChart* chart : charts() + storeCharts()) chart->setRuns({run_});
  results_->setResults({});
  refreshSummary();
  diff_->showResult(nullptr);
}

void RunView::appendResult(const kvr::PromptResult& result) {
  if (!result.costDecision.empty() && !charts().contains(costModel_)) {
    showCostModelChart(true);  // drawn from every result so far
    costModel_->setRuns({series()});
  }
  for (ResultChart* chart : charts() + storeCharts()) chart->appendResult(result);
  results_->appendResult(result);
  if (results_->rowCount() == 1) fitColumns(table_, -1, 240);  // room for real values
  refreshSummary();
}

void RunView::setStatus(const QString& status) {
  title_->setText(tr("<b>%1</b> &mdash; %2").arg(run_.label.toHtmlEscaped(), status));
  fitColumns(table_, -1, 240);
}

void RunView::setPlaceholder(const QString& text) {
  title_->setText(text);
}

void RunView::refreshSummary() {
  const kvr::RunSummary summary = kvr::summarizeResults(results_->results());
  // A busy machine, not a finding: say so above the charts, and how to rerun.
  noiseBanner_->setVisible(summary.noisyPrompts * 5 > summary.prompts);
  noiseBanner_->setText(
      tr("<b>%1 of %2 prompts are noisy</b>: the machine was busy while they were measured "
         "(their decode times disagreed or a reading broke a physical bound; hover a point for "
         "the reason). They are drawn hollow and left out of the fit. Rerun on a quiet machine, "
         "or with more repeats.")
          .arg(summary.noisyPrompts)
          .arg(summary.prompts));
  auto rows = kvr::summaryRows(summary);
  if (!kvr::ui::residentSteps(results_->results()).empty()) {  // the K/V store's readings
    const auto text = [](const QString& t) { return t.toStdString(); };
    rows.push_back({"Hit rate", text(formatFraction(summary.hitRate))});
    rows.push_back({"TTFT saved", text(formatSeconds(summary.ttftSavedSeconds))});
    rows.push_back(
        {"Peak resident K/V", text(formatBytes(static_cast<double>(summary.peakResidentBytes)))});
    rows.push_back({"K/V footprint", text(formatBytes(summary.footprintByteSeconds) + "·s")});
    rows.push_back({"Footprint vs unbounded", text(formatFraction(summary.footprintRatio))});
    rows.push_back({"Admitted / evicted / truncated", text(QStringLiteral("%1 / %2 / %3")
                                                               .arg(summary.admissions)
                                                               .arg(summary.evictions)
                                                               .arg(summary.truncations))});
  }
  const bool none = results_->rowCount() == 0;  // a dash, not "0 %", before any result
  summary_->setRowCount(static_cast<int>(rows.size()));
  for (int i = 0; i < static_cast<int>(rows.size()); ++i) {
    auto* metric = new QTableWidgetItem(QString::fromStdString(rows[i].first));
    metric->setToolTip(metric->text());
    summary_->setItem(i, 0, metric);
    auto* value =
        new QTableWidgetItem(none ? QStringLiteral("–") : QString::fromStdString(rows[i].second));
    value->setToolTip(value->text());  // intervals can be wider than the panel
    summary_->setItem(i, 1, value);
  }
  fitColumns(summary_, 1, 220);  // long metric names elide; the value takes the rest
}

void RunView::showSelected() {
  const QModelIndex current = table_->currentIndex();
  const int row = current.isValid() ? proxy_->mapToSource(current).row() : -1;
  diff_->showResult(results_->resultAt(row));
  for (ResultChart* chart : charts() + storeCharts()) chart->highlightResult(0, row);
}

void RunView::selectResult(int index) {
  const QModelIndex source = results_->index(index, 0);
  if (!source.isValid()) return;
  const QModelIndex row = proxy_->mapFromSource(source);
  if (!row.isValid()) {  // filtered out: show everything again so the row can be selected
    filter_->clear();
  }
  table_->selectRow(proxy_->mapFromSource(source).row());
  table_->scrollTo(proxy_->mapFromSource(source));
}

}  // namespace kvr::ui
