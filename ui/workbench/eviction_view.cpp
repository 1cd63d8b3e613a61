#include "workbench/eviction_view.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QSignalBlocker>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>
#include <algorithm>
#include <utility>

#include "charts/eviction_chart.h"
#include "charts/quantity_format.h"
#include "kvrecycle/eviction_summary.h"
#include "workbench/run_comparison.h"
#include "workbench/run_history_model.h"
#include "workbench/splitter_memory.h"
#include "workbench/table_fit.h"

namespace kvr::ui {
namespace {

constexpr int kRunRole = Qt::UserRole;
constexpr int kIndexRole = Qt::UserRole + 1;

QTableWidgetItem* cell(const QString& text, bool number) {
  auto* item = new QTableWidgetItem(text);
  item->setToolTip(text);
  if (number) item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
  return item;
}

QString count(int64_t n) {
  return quantityText(QuantityKind::Count, static_cast<double>(n));
}

}  // namespace

// Method by method in the order of the Setup tab, budgets rising: the same
// table whether the rows came live or from the store (ordered by name there).
std::vector<kvr::EvictionSummaryRow> evictionSummary(
    const std::vector<kvr::EvictionResultRow>& rows) {
  std::vector<kvr::EvictionSummaryRow> out = kvr::summarizeEviction(rows);
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::make_pair(static_cast<int>(a.method), a.budget) <
           std::make_pair(static_cast<int>(b.method), b.budget);
  });
  return out;
}

QString syntheticEvictionNote() {
  return EvictionView::tr(
      "<b>Synthetic model:</b> random weights attend almost uniformly, so these curves show "
      "the mechanics and KV footprint of each method, not its quality; a local DialoGPT gives "
      "real curves.");
}

EvictionView::EvictionView(QWidget* parent) : QWidget(parent) {
  title_ = new QLabel(this);
  title_->setWordWrap(true);
  syntheticNote_ = new QLabel(syntheticEvictionNote(), this);
  syntheticNote_->setObjectName(QStringLiteral("evictionSyntheticNote"));
  syntheticNote_->setWordWrap(true);
  syntheticNote_->setToolTip(
      tr("Open a DialoGPT directory (File → Open model directory, or one in the Hugging Face "
         "cache) and run again for curves that say something about quality."));
  syntheticNote_->setStyleSheet(
      "QLabel { background: #fff1d6; color: #5a3a00; border: 1px solid #e0a030; padding: 4px; }");
  syntheticNote_->hide();
  metric_ = new QComboBox(this);
  metric_->addItem(tr("token agreement"), static_cast<int>(EvictionMetric::TokenAgreement));
  metric_->addItem(tr("NLL delta"), static_cast<int>(EvictionMetric::NllDelta));
  metric_->addItem(tr("max |Δlogit|"), static_cast<int>(EvictionMetric::MaxLogitDiff));
  metric_->addItem(tr("peak live entries"), static_cast<int>(EvictionMetric::PeakEntries));
  metric_->setToolTip(tr("The reading on the y axis; x is always the KV footprint ratio"));
  auto* metricLabel = new QLabel(tr("&Y axis:"), this);
  metricLabel->setBuddy(metric_);
  // Title and the reading share a row: at 1280x720 the figure needs the height.
  auto* top = new QHBoxLayout;
  top->addWidget(title_, 1);
  top->addWidget(metricLabel);
  top->addWidget(metric_);
  chart_ = new EvictionChart(this);
  connect(metric_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this] {
    chart_->setMetric(static_cast<EvictionMetric>(metric_->currentData().toInt()));
  });

  table_ = new QTableWidget(0, 12, this);
  table_->setHorizontalHeaderLabels({tr("run"), tr("method"), tr("budget"), tr("prompts"),
                                     tr("footprint ratio"), tr("peak entries"), tr("peak bytes"),
                                     tr("token agreement"), tr("first divergence (median)"),
                                     tr("mean |Δlogit|"), tr("max |Δlogit|"), tr("NLL delta")});
  table_->verticalHeader()->setVisible(false);
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setSelectionMode(QAbstractItemView::SingleSelection);
  table_->setWordWrap(false);
  compactRows(table_);
  connect(table_, &QTableWidget::currentCellChanged, this, [this](int row) {
    const QTableWidgetItem* item = row >= 0 ? table_->item(row, 1) : nullptr;
    if (item == nullptr) {
      chart_->highlightRow(0, -1);
      return;
    }
    chart_->highlightRow(item->data(kRunRole).toInt(), item->data(kIndexRole).toInt());
  });
  connect(chart_, &EvictionChart::rowClicked, this, &EvictionView::selectTableRow);

  auto* split = new QSplitter(Qt::Vertical, this);
  split->addWidget(chart_);
  split->addWidget(table_);
  split->setSizes({460, 200});
  rememberSplitter(split, QStringLiteral("evictionView/chartAndTable"));
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(top);
  layout->addWidget(syntheticNote_);
  layout->addWidget(split, 1);
}

QList<EvictionSeries> EvictionView::series() const {
  return chart_->series();
}

void EvictionView::setSynthetic(bool synthetic) {
  syntheticNote_->setVisible(synthetic);
}

void EvictionView::beginLiveRun(qint64 runId, const QString& label, bool synthetic,
                                const QString& description) {
  runId_ = runId;
  label_ = label;
  description_ = description;
  rows_.clear();
  title_->setText(tr("<b>%1</b> &mdash; running").arg(label.toHtmlEscaped()));
  setSynthetic(synthetic);
  showSeries({EvictionSeries{label_, {}, description_}});
}

void EvictionView::appendRow(const kvr::EvictionResultRow& row) {
  rows_.push_back(row);
  showSeries({EvictionSeries{label_, evictionSummary(rows_), description_}});
}

void EvictionView::setStatus(const QString& status) {
  title_->setText(tr("<b>%1</b> &mdash; %2").arg(label_.toHtmlEscaped(), status));
}

void EvictionView::showRun(const kvr::RunRecord& run, std::vector<kvr::EvictionResultRow> rows) {
  runId_ = run.id;
  label_ = runLabel(run);
  description_ = runDescription(run);
  rows_ = std::move(rows);
  title_->setText(tr("<b>%1</b> &mdash; eviction run, %2, %3, model %4")
                      .arg(label_.toHtmlEscaped(), QString::fromStdString(run.createdAt),
                           QString::fromUtf8(kvr::runStatusName(run.status)),
                           QString::fromStdString(run.modelPath).toHtmlEscaped()));
  setSynthetic(run.synthetic);
  showSeries({EvictionSeries{label_, evictionSummary(rows_), description_}});
}

void EvictionView::showRuns(const QList<EvictionSeries>& runs, bool anySynthetic) {
  runId_ = 0;
  rows_.clear();
  QStringList labels;
  for (const EvictionSeries& s : runs) labels << s.label;
  label_ = labels.join(QStringLiteral(" vs "));
  description_.clear();
  title_->setText(QStringLiteral("<b>%1</b>").arg(label_.toHtmlEscaped()));
  setSynthetic(anySynthetic);
  showSeries(runs);
}

void EvictionView::showSeries(const QList<EvictionSeries>& runs) {
  chart_->setSeries(runs);
  fillTable();
}

void EvictionView::fillTable() {
  const QList<EvictionSeries>& runs = chart_->series();
  const QSignalBlocker quiet(table_);
  table_->setRowCount(0);
  for (int run = 0; run < runs.size(); ++run) {
    for (int i = 0; i < static_cast<int>(runs[run].rows.size()); ++i) {
      const kvr::EvictionSummaryRow& r = runs[run].rows[static_cast<size_t>(i)];
      const int row = table_->rowCount();
      table_->insertRow(row);
      const bool full = r.method == kvr::EvictionMethod::Full;
      auto* method = cell(QString::fromUtf8(kvr::evictionMethodName(r.method)), false);
      method->setData(kRunRole, run);
      method->setData(kIndexRole, i);
      const QStringList values = {runs[run].label.section(QLatin1Char(' '), 0, 0),
                                  QString(),
                                  full ? QStringLiteral("-") : QString::number(r.budget),
                                  count(r.prompts),
                                  formatFraction(r.footprintRatio),
                                  count(r.peakEntries),
                                  count(r.peakBytes),
                                  formatFraction(r.tokenAgreement),
                                  QString::number(r.firstDivergenceMedian, 'g', 4),
                                  formatFraction(r.meanLogitDiff),
                                  formatFraction(r.maxLogitDiff),
                                  formatFraction(r.nllDelta)};
      for (int col = 0; col < values.size(); ++col) {
        table_->setItem(row, col, col == 1 ? method : cell(values[col], col != 0));
      }
    }
  }
  table_->setColumnHidden(0, runs.size() < 2);  // the run column only when runs are overlaid
  fitColumns(table_, -1, 200);
}

void EvictionView::selectTableRow(int run, int index) {
  for (int row = 0; row < table_->rowCount(); ++row) {
    const QTableWidgetItem* item = table_->item(row, 1);
    if (item->data(kRunRole).toInt() == run && item->data(kIndexRole).toInt() == index) {
      table_->selectRow(row);
      table_->scrollToItem(item);
      return;
    }
  }
}

}  // namespace kvr::ui
