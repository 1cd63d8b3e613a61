#pragma once
// File → Export chart…, Export all charts… and Export table…: what the visible
// tab shows (the comparison, the run opened in History, else the live run),
// written where the user says, in the format the file name asks for.
#include <QObject>
#include <QSize>
#include <QStringList>

class QTabWidget;
class QWidget;

namespace kvr::ui {

class ComparePage;
class EvictionView;
class HistoryPage;
class ResultChart;
class RunPage;
class RunStoreService;

class ExportController : public QObject {
  Q_OBJECT
 public:
  struct Pages {
    QTabWidget* tabs;  // says which page is visible
    RunPage* run;
    HistoryPage* history;
    ComparePage* compare;
  };
  // `window` parents the dialogs.
  ExportController(const Pages& pages, RunStoreService* store, QWidget* window);

  // Every chart of the visible run or comparison as PNG, PDF and SVG; returns the paths.
  QStringList exportAllCharts(const QString& directory, QSize size);

 public slots:
  void exportCurrentChart();
  void exportAllChartsDialog();
  void exportTable();

 signals:
  void logLine(const QString& line);

 private:
  QList<ResultChart*> visibleCharts() const;
  // The eviction view on the visible page, when it shows one; else nullptr.
  EvictionView* visibleEvictionView() const;
  bool comparingMixedKinds() const;
  QString visibleTableText(const QString& format) const;
  void warnFailed(const std::exception& e);

  Pages pages_;
  RunStoreService* store_;
  QWidget* window_;
};

}  // namespace kvr::ui
