#include "workbench/compare_page.h"

#include <QCheckBox>
#include <QHeaderView>
#include <QLabel>
#include <QSplitter>
#include <QStackedWidget>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>
#include <algorithm>

#include "charts/latency_chart.h"
#include "charts/pareto_chart.h"
#include "charts/quantity_format.h"
#include "charts/resident_bytes_chart.h"
#include "charts/similarity_chart.h"
#include "charts/speedup_chart.h"
#include "charts/turn_ttft_chart.h"
#include "workbench/eviction_view.h"
#include "workbench/run_history_model.h"
#include "workbench/run_store_service.h"
#include "workbench/splitter_memory.h"
#include "workbench/table_fit.h"

namespace kvr::ui {
namespace {

QTableWidget* readOnlyTable(QWidget* parent) {
  auto* t = new QTableWidget(parent);
  t->setEditTriggers(QAbstractItemView::NoEditTriggers);
  t->verticalHeader()->setVisible(false);
  t->setSelectionBehavior(QAbstractItemView::SelectRows);
  compactRows(t);
  return t;
}

// Cells elide; the tooltip keeps the whole text.
QTableWidgetItem* item(const QString& text) {
  auto* cell = new QTableWidgetItem(text);
  cell->setToolTip(text);
  return cell;
}

// A header that names a run briefly ("#12 speedup") and fully in its tooltip.
QTableWidgetItem* header(const QString& text, const QString& tooltip) {
  auto* cell = new QTableWidgetItem(text);
  cell->setToolTip(tooltip);
  return cell;
}

QTableWidgetItem* numberItem(const QString& text) {
  QTableWidgetItem* cell = item(text);
  cell->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
  return cell;
}

// "#12" of "#12 run 2026-11-23T08:45:09".
QString shortLabel(const QString& label) {
  return label.section(QLatin1Char(' '), 0, 0);
}

}  // namespace

ComparePage::ComparePage(RunStoreService* store, QWidget* parent) : QWidget(parent), store_(store) {
  title_ = new QLabel(tr("Select two or more runs in the history and press Compare."), this);
  metrics_ = readOnlyTable(this);
  config_ = readOnlyTable(this);
  prompts_ = readOnlyTable(this);
  showAllConfig_ = new QCheckBox(tr("Show the &whole configuration, not only what differs"), this);
  connect(showAllConfig_, &QCheckBox::toggled, this, &ComparePage::fillConfig);
  latency_ = new LatencyChart(this);
  speedup_ = new SpeedupChart(this);
  similarity_ = new SimilarityChart(this);
  turns_ = new TurnTtftChart(this);
  resident_ = new ResidentBytesChart(this);
  pareto_ = new ParetoChart(this);

  auto* configPane = new QWidget(this);
  auto* configLayout = new QVBoxLayout(configPane);
  configLayout->setContentsMargins(0, 0, 0, 0);
  configLayout->addWidget(showAllConfig_);
  configLayout->addWidget(config_);
  auto* tables = new QTabWidget(this);
  tables->addTab(metrics_, tr("Summary"));
  tables->addTab(configPane, tr("Configuration"));
  tables->addTab(prompts_, tr("Per prompt"));
  auto* charts = new QTabWidget(this);
  charts->addTab(latency_, tr("Latency"));
  charts->addTab(speedup_, tr("Speedup vs reuse depth"));
  charts->addTab(similarity_, tr("Similarity and exactness"));
  charts->addTab(turns_, tr("TTFT per turn"));
  charts->addTab(resident_, tr("Resident K/V"));
  charts->addTab(pareto_, tr("Pareto: saved vs footprint"));
  auto* split = new QSplitter(Qt::Vertical, this);
  split->addWidget(tables);
  split->addWidget(charts);
  split->setSizes({260, 380});
  rememberSplitter(split, QStringLiteral("compare/tablesAndCharts"));
  recycling_ = split;
  eviction_ = new EvictionView(this);
  mixedKinds_ = new QLabel(this);
  mixedKinds_->setWordWrap(true);
  mixedKinds_->setAlignment(Qt::AlignLeft | Qt::AlignTop);
  mixedKinds_->setObjectName(QStringLiteral("mixedKinds"));
  content_ = new QStackedWidget(this);
  content_->addWidget(recycling_);
  content_->addWidget(eviction_);
  content_->addWidget(mixedKinds_);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(title_);
  layout->addWidget(content_, 1);

  // A prompt row marks its points; a clicked point selects its prompt row.
  connect(prompts_, &QTableWidget::currentCellChanged, this,
          [this](int row) { highlightPrompt(row); });
  for (ResultChart* chart : this->charts() + QList<ResultChart*>{turns_, resident_}) {
    connect(chart, &ResultChart::resultClicked, this, [this, tables](int run, int index) {
      if (run < 0 || run >= series_.size() || index < 0 ||
          index >= static_cast<int>(series_[run].results.size()))
        return;
      const QString text =
          QString::fromStdString(series_[run].results[static_cast<size_t>(index)].promptText);
      for (int row = 0; row < comparison_.prompts.size(); ++row) {
        if (comparison_.prompts[row].prompt != text) continue;
        tables->setCurrentWidget(prompts_);
        prompts_->selectRow(row);
        return;
      }
    });
  }
}

void ComparePage::highlightPrompt(int row) {
  const QString text = comparison_.prompts.value(row).prompt;
  // The first run that has the prompt: one mark, with its prompt id.
  for (int run = 0; run < series_.size(); ++run) {
    const auto& results = series_[run].results;
    for (size_t i = 0; i < results.size(); ++i) {
      if (row < 0 || QString::fromStdString(results[i].promptText) != text) continue;
      for (ResultChart* chart : charts()) chart->highlightResult(run, static_cast<int>(i));
      turns_->highlightResult(run, static_cast<int>(i));
      resident_->highlightResult(run, static_cast<int>(i));
      return;
    }
  }
  for (ResultChart* chart : charts() + storeCharts()) chart->highlightResult(0, -1);
}

QList<ResultChart*> ComparePage::charts() const {
  return {latency_, speedup_, similarity_};
}

QList<ResultChart*> ComparePage::storeCharts() const {
  return {turns_, resident_, pareto_};
}

QString ComparePage::label() const {
  return comparison_.labels.join(QStringLiteral(" vs "));
}

void ComparePage::showRuns(const QList<qint64>& ids) {
  try {
    setRuns(store_->loadRuns(ids));
  } catch (const std::exception& e) {
    emit logLine(QString::fromUtf8(e.what()));
    return;
  }
  emit runsShown();
}

ComparePage::Shown ComparePage::shown() const {
  if (content_->currentWidget() == eviction_) return Shown::Eviction;
  if (content_->currentWidget() == mixedKinds_) return Shown::MixedKinds;
  return Shown::Recycling;
}

void ComparePage::setRuns(const QList<ComparedRun>& runs) {
  const auto evictionRuns = std::count_if(runs.begin(), runs.end(), [](const ComparedRun& r) {
    return r.run.kind == kvr::RunKind::Eviction;
  });
  if (evictionRuns > 0 && evictionRuns < runs.size()) {
    showMixedKinds(runs);
    return;
  }
  if (evictionRuns > 0) {
    showEvictionRuns(runs);
    return;
  }
  content_->setCurrentWidget(recycling_);
  comparison_ = compareRuns(runs);
  const auto& c = comparison_;
  title_->setText(tr("Comparing %1 runs; deltas are against %2.")
                      .arg(runs.size())
                      .arg(c.labels.value(0).toHtmlEscaped()));

  const auto runTip = [&c](int i) {
    return QStringLiteral("%1\n%2").arg(c.labels[i], c.descriptions.value(i));
  };
  metrics_->clear();
  metrics_->setColumnCount(1 + 2 * static_cast<int>(c.labels.size()) - 1);
  metrics_->setHorizontalHeaderItem(0, header(tr("metric"), tr("Summary metric")));
  for (int i = 0, col = 1; i < c.labels.size(); ++i) {
    metrics_->setHorizontalHeaderItem(col++, header(shortLabel(c.labels[i]), runTip(i)));
    if (i > 0) {
      metrics_->setHorizontalHeaderItem(
          col++,
          header(
              tr("%1 − %2").arg(shortLabel(c.labels[i]), shortLabel(c.labels[0])),
              tr("%1 minus %2; \"same\" when both print the same").arg(c.labels[i], c.labels[0])));
    }
  }
  metrics_->setRowCount(static_cast<int>(c.metrics.size()));
  for (int r = 0; r < c.metrics.size(); ++r) {
    const MetricRow& m = c.metrics[r];
    int col = 0;
    metrics_->setItem(r, col++, item(m.metric));
    for (int i = 0; i < m.values.size(); ++i) {
      metrics_->setItem(r, col++, numberItem(quantityText(m.kind, m.values[i])));
      if (i > 0) {
        metrics_->setItem(r, col++, numberItem(deltaText(m.kind, m.values[0], m.values[i])));
      }
    }
  }
  fitColumns(metrics_, -1);
  fillConfig();

  prompts_->clear();
  prompts_->setColumnCount(1 + 2 * static_cast<int>(c.labels.size()));
  prompts_->setHorizontalHeaderItem(0, header(tr("prompt"), tr("Test prompt text")));
  for (int i = 0; i < c.labels.size(); ++i) {
    const QString run = shortLabel(c.labels[i]);
    prompts_->setHorizontalHeaderItem(
        1 + 2 * i,
        header(tr("%1 speedup").arg(run), tr("End-to-end speedup in %1").arg(runTip(i))));
    prompts_->setHorizontalHeaderItem(
        2 + 2 * i, header(tr("%1 exact").arg(run),
                          tr("Recycled output identical to baseline in %1").arg(runTip(i))));
  }
  prompts_->setRowCount(static_cast<int>(c.prompts.size()));
  for (int r = 0; r < c.prompts.size(); ++r) {
    const PromptRow& p = c.prompts[r];
    prompts_->setItem(r, 0, item(p.prompt));
    for (int i = 0; i < p.speedups.size(); ++i) {
      prompts_->setItem(r, 1 + 2 * i, numberItem(formatPercent(p.speedups[i])));
      prompts_->setItem(
          r, 2 + 2 * i,
          item(p.exact[i] < 0 ? QStringLiteral("-") : (p.exact[i] ? tr("yes") : tr("NO"))));
    }
  }
  fitColumns(prompts_, 0);

  series_.clear();
  for (const ComparedRun& run : runs) series_ << runSeries(run);
  for (ResultChart* chart : charts() + storeCharts()) chart->setRuns(series_);
}

// Eviction runs measure footprint and fidelity, recycling runs speedup and
// exactness: no reading of one has a counterpart in the other, so nothing is
// drawn (no empty charts, no zero deltas) and the page says why.
void ComparePage::showMixedKinds(const QList<ComparedRun>& runs) {
  comparison_ = RunComparison{};
  series_.clear();
  for (ResultChart* chart : charts()) chart->setRuns({});
  QStringList eviction;
  QStringList recycling;
  for (const ComparedRun& r : runs) {
    comparison_.labels << runLabel(r.run);
    (r.run.kind == kvr::RunKind::Eviction ? eviction : recycling)
        << runLabel(r.run).toHtmlEscaped();
  }
  title_->setText(tr("<b>These runs are of different kinds and cannot be compared.</b>"));
  mixedKinds_->setText(
      tr("<p>Eviction runs: %1<br>Recycling runs: %2</p>"
         "<p>An eviction run measures the KV footprint and fidelity of eviction methods inside "
         "one generation; a recycling run measures the speedup and exactness of reusing stored "
         "K/V. No reading of one has a counterpart in the other.</p>"
         "<p>Select runs of one kind in the History tab (Ctrl+click) and compare again; open "
         "a single run to see it on its own.</p>")
          .arg(eviction.join(QStringLiteral(", ")), recycling.join(QStringLiteral(", "))));
  content_->setCurrentWidget(mixedKinds_);
}

void ComparePage::showEvictionRuns(const QList<ComparedRun>& runs) {
  comparison_ = RunComparison{};
  series_.clear();
  QList<EvictionSeries> curves;
  bool synthetic = false;
  for (const ComparedRun& r : runs) {
    comparison_.labels << runLabel(r.run);
    comparison_.descriptions << runDescription(r.run);
    curves << EvictionSeries{runLabel(r.run), evictionSummary(r.evictionRows),
                             runDescription(r.run)};
    synthetic = synthetic || r.run.synthetic;
  }
  title_->setText(tr("Comparing %1 eviction runs: the colour is the method, the dash and "
                     "marker the run.")
                      .arg(runs.size()));
  eviction_->showRuns(curves, synthetic);
  content_->setCurrentWidget(eviction_);
}

void ComparePage::fillConfig() {
  const auto& c = comparison_;
  config_->clear();
  config_->setColumnCount(1 + static_cast<int>(c.labels.size()));
  config_->setHorizontalHeaderItem(0, header(tr("setting"), tr("Configuration key")));
  for (int i = 0; i < c.labels.size(); ++i) {
    config_->setHorizontalHeaderItem(1 + i, header(shortLabel(c.labels[i]), c.labels[i]));
  }
  config_->setRowCount(0);
  for (const ConfigRow& row : c.config) {
    if (!row.differs && !showAllConfig_->isChecked()) continue;
    const int r = config_->rowCount();
    config_->insertRow(r);
    config_->setItem(r, 0, item(row.key));
    for (int i = 0; i < row.values.size(); ++i) config_->setItem(r, 1 + i, item(row.values[i]));
  }
  fitColumns(config_, -1, 320);
}

}  // namespace kvr::ui
