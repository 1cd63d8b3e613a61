#include "workbench/compare_page.h"

#include <QCheckBox>
#include <QHeaderView>
#include <QLabel>
#include <QSplitter>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>
#include <cmath>

#include "charts/latency_chart.h"
#include "charts/similarity_chart.h"
#include "charts/speedup_chart.h"
#include "workbench/run_store_service.h"

namespace kvr::ui {
namespace {

QTableWidget* readOnlyTable(QWidget* parent) {
  auto* t = new QTableWidget(parent);
  t->setEditTriggers(QAbstractItemView::NoEditTriggers);
  t->verticalHeader()->setVisible(false);
  t->horizontalHeader()->setStretchLastSection(true);
  return t;
}

QTableWidgetItem* item(const QString& text) {
  return new QTableWidgetItem(text);
}

QString number(double v) {
  return std::isnan(v) ? QStringLiteral("-") : QString::number(v, 'g', 5);
}

QString signedNumber(double v) {
  return (v > 0 ? QStringLiteral("+") : QString()) + QString::number(v, 'g', 4);
}

}  // namespace

ComparePage::ComparePage(RunStoreService* store, QWidget* parent) : QWidget(parent), store_(store) {
  title_ = new QLabel(tr("Select two or more runs in the history and press Compare."), this);
  metrics_ = readOnlyTable(this);
  config_ = readOnlyTable(this);
  prompts_ = readOnlyTable(this);
  showAllConfig_ = new QCheckBox(tr("Show the whole configuration, not only what differs"), this);
  connect(showAllConfig_, &QCheckBox::toggled, this, &ComparePage::fillConfig);
  latency_ = new LatencyChart(this);
  speedup_ = new SpeedupChart(this);
  similarity_ = new SimilarityChart(this);

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
  auto* split = new QSplitter(Qt::Vertical, this);
  split->addWidget(tables);
  split->addWidget(charts);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(title_);
  layout->addWidget(split, 1);
}

QList<ResultChart*> ComparePage::charts() const {
  return {latency_, speedup_, similarity_};
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

void ComparePage::setRuns(const QList<ComparedRun>& runs) {
  comparison_ = compareRuns(runs);
  const auto& c = comparison_;
  title_->setText(tr("Comparing %1 runs; deltas are against %2.")
                      .arg(runs.size())
                      .arg(c.labels.value(0).toHtmlEscaped()));

  QStringList metricHeaders{tr("metric")};
  for (int i = 0; i < c.labels.size(); ++i) {
    metricHeaders << c.labels[i];
    if (i > 0) metricHeaders << tr("delta");
  }
  metrics_->clear();
  metrics_->setColumnCount(static_cast<int>(metricHeaders.size()));
  metrics_->setHorizontalHeaderLabels(metricHeaders);
  metrics_->setRowCount(static_cast<int>(c.metrics.size()));
  for (int r = 0; r < c.metrics.size(); ++r) {
    const MetricRow& m = c.metrics[r];
    int col = 0;
    metrics_->setItem(r, col++, item(m.metric));
    for (int i = 0; i < m.values.size(); ++i) {
      metrics_->setItem(r, col++, item(number(m.values[i])));
      if (i > 0) metrics_->setItem(r, col++, item(signedNumber(m.deltas[i])));
    }
  }
  fillConfig();

  QStringList promptHeaders{tr("prompt")};
  for (const QString& l : c.labels) promptHeaders << tr("%1 speedup %").arg(l) << tr("exact");
  prompts_->clear();
  prompts_->setColumnCount(static_cast<int>(promptHeaders.size()));
  prompts_->setHorizontalHeaderLabels(promptHeaders);
  prompts_->setRowCount(static_cast<int>(c.prompts.size()));
  for (int r = 0; r < c.prompts.size(); ++r) {
    const PromptRow& p = c.prompts[r];
    prompts_->setItem(r, 0, item(p.prompt));
    for (int i = 0; i < p.speedups.size(); ++i) {
      prompts_->setItem(r, 1 + 2 * i, item(number(p.speedups[i])));
      prompts_->setItem(
          r, 2 + 2 * i,
          item(p.exact[i] < 0 ? QStringLiteral("-") : (p.exact[i] ? tr("yes") : tr("NO"))));
    }
  }

  series_.clear();
  for (int i = 0; i < runs.size(); ++i) series_ << RunSeries{c.labels[i], runs[i].results};
  for (ResultChart* chart : charts()) chart->setRuns(series_);
}

void ComparePage::fillConfig() {
  const auto& c = comparison_;
  QStringList headers{tr("setting")};
  headers << c.labels;
  config_->clear();
  config_->setColumnCount(static_cast<int>(headers.size()));
  config_->setHorizontalHeaderLabels(headers);
  config_->setRowCount(0);
  for (const ConfigRow& row : c.config) {
    if (!row.differs && !showAllConfig_->isChecked()) continue;
    const int r = config_->rowCount();
    config_->insertRow(r);
    config_->setItem(r, 0, item(row.key));
    for (int i = 0; i < row.values.size(); ++i) config_->setItem(r, 1 + i, item(row.values[i]));
  }
}

}  // namespace kvr::ui
