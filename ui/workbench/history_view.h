#pragma once
// Every run in the run store, with rename, notes, tags and delete; opening a
// run shows it exactly as it ran; two or more can be compared.
#include <QWidget>

class QLabel;
class QSortFilterProxyModel;
class QTableView;

namespace kvr::ui {

class RunHistoryModel;
class RunView;

class HistoryView : public QWidget {
  Q_OBJECT
 public:
  explicit HistoryView(QWidget* parent = nullptr);
  void setDatabase(const QString& path);
  QString database() const { return database_; }
  RunHistoryModel* model() const { return model_; }
  RunView* runView() const { return runView_; }
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
  void error(const QString& message);

 private:
  qint64 currentRunId() const;

  QString database_;
  RunHistoryModel* model_;
  QSortFilterProxyModel* proxy_;
  QTableView* table_;
  QLabel* notes_;
  RunView* runView_;
};

}  // namespace kvr::ui
