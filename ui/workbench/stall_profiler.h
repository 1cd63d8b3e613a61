#pragma once
// Measures how long the GUI event loop was blocked while it runs: a timer due
// every 10 ms that fires late by the length of any stall. The workbench reports
// the longest one after each run; the GUI must stay responsive while the
// worker thread computes.
#include <QElapsedTimer>
#include <QObject>

class QTimer;

namespace kvr::ui {

class StallProfiler : public QObject {
  Q_OBJECT
 public:
  explicit StallProfiler(QObject* parent = nullptr);
  void start();  // forgets the previous longest stall
  void stop();
  double longestStallMs() const { return longestMs_; }

 private:
  void sample();

  QTimer* timer_;
  QElapsedTimer clock_;
  double longestMs_ = 0;
};

}  // namespace kvr::ui
