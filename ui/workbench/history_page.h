#pragma once
// The History tab: every run in the run store, with rename, notes, tags and
// delete; opening a run shows it exactly as it ran; two or more can be
// compared. Reads and writes go through the RunStoreService, and the list
// follows its runsChanged.
#include <QWidget>

class QLabel;
class QSortFilterProxyModel;
class QStackedWidget;
class QTableView;

namespace kvr::ui {

class RunHistoryModel;
class RunStoreService;
class RunView;
class EvictionView;

class HistoryPage : public QWidget {
  Q_OBJECT
 public:
  explicit HistoryPage(RunStoreService* store, QWidget* parent = nullptr);
  RunHistoryModel* model() const { return model_; }
  RunView* runView() const { return runView_; }
  EvictionView* evictionView() const { return evictionView_; }
  // The run opened below is an eviction run (the eviction view is showing).
  bool showsEviction() const;
  qint64 shownRunId() const;
  QList<qint64> selectedRunIds() const;

 public slots:
  void refresh();
  void openRun(qint64 id);
  void renameSelected();
  void editNotesOfSelected();
  void editTagsOfSelected();
  void deleteSelected(bool confirm = true);
  void compareSelected();

 signals:
  void compareRequested(const QList<qint64>& ids);
  void logLine(const QString& line);

 private:
  qint64 currentRunId() const;
  void selectRuns(const QList<qint64>& ids, qint64 current);

  RunStoreService* store_;
  RunHistoryModel* model_;
  QSortFilterProxyModel* proxy_;
  QTableView* table_;
  QLabel* notes_;
  RunView* runView_;
  EvictionView* evictionView_;
  QStackedWidget* detail_;
};

}  // namespace kvr::ui
