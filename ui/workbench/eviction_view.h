#pragma once
// One eviction run (or several overlaid) on screen: the seed's figure,
// fidelity against KV footprint ratio with one curve per method and a point
// per budget, with a choice of fidelity reading (or peak live entries); the
// table of every method x budget row; selection shared between the two. For a
// synthetic model it says plainly what the curves can and cannot show.
#include <QWidget>
#include <vector>

#include "charts/eviction_series.h"
#include "kvrecycle/eviction_settings.h"
#include "kvrecycle/results.h"

class QComboBox;
class QLabel;
class QTableWidget;

namespace kvr::ui {

class EvictionChart;

class EvictionView : public QWidget {
  Q_OBJECT
 public:
  explicit EvictionView(QWidget* parent = nullptr);

  // A run in progress: cleared now, filled row by row as cells finish.
  void beginLiveRun(qint64 runId, const QString& label, bool synthetic, const QString& description);
  void appendRow(const kvr::EvictionResultRow& row);
  void setStatus(const QString& status);
  // A stored eviction run, as it was recorded.
  void showRun(const kvr::RunRecord& run, std::vector<kvr::EvictionResultRow> rows);
  // Several stored runs overlaid (Compare); `anySynthetic` shows the note.
  void showRuns(const QList<EvictionSeries>& runs, bool anySynthetic);

  qint64 runId() const { return runId_; }
  QString label() const { return label_; }
  QList<EvictionSeries> series() const;
  const std::vector<kvr::EvictionResultRow>& promptRows() const { return rows_; }
  EvictionChart* chart() const { return chart_; }
  QTableWidget* table() const { return table_; }
  QLabel* syntheticNote() const { return syntheticNote_; }
  QComboBox* metricChoice() const { return metric_; }

 private:
  void setSynthetic(bool synthetic);
  void showSeries(const QList<EvictionSeries>& runs);
  void fillTable();
  void selectTableRow(int run, int index);  // a chart point was clicked

  qint64 runId_ = 0;
  QString label_;
  QString description_;
  std::vector<kvr::EvictionResultRow> rows_;  // per prompt, of the single run shown
  QLabel* title_;
  QLabel* syntheticNote_;
  QComboBox* metric_;
  EvictionChart* chart_;
  QTableWidget* table_;
};

// A run's rows summarised per method x budget, methods in the Setup tab's
// order and budgets rising, however the rows were ordered.
std::vector<kvr::EvictionSummaryRow> evictionSummary(
    const std::vector<kvr::EvictionResultRow>& rows);

// The note shown for synthetic models (also in the CLI's words).
QString syntheticEvictionNote();

}  // namespace kvr::ui
