#pragma once
// A local sweep from the workbench, on its own thread: the same engine path as
// `kvrecycle-cli sweep --backend local` (kvr::runSweep with the CLI's cell
// runner), so it resumes the same way: completed cells are skipped, failed,
// cancelled and interrupted ones run again. Signals arrive queued on the GUI thread.
#include <QObject>
#include <QString>
#include <atomic>

class QThread;

namespace kvr::ui {

struct SweepTick {
  int cell = 0;                 // the grid index of the cell starting or just finished
  QString label;                // "policy=paper max-new-tokens=8"
  int finished = 0, total = 0;  // cells completed over the whole sweep (before or now)
  double elapsedSeconds = 0;
  double etaSeconds = -1;  // -1 until a cell has run here
};

class SweepWorker : public QObject {
  Q_OBJECT
 public:
  explicit SweepWorker(QObject* parent = nullptr);
  ~SweepWorker() override;  // cancels and waits for the thread

  // Runs the sweep of `specPath` into `databasePath`; false while one runs.
  bool start(const QString& specPath, const QString& databasePath);
  // Stops between decode steps; the cell's run is stored as cancelled.
  void cancel() { cancel_.store(true); }
  bool running() const;
  // Blocks until the thread ends (tests).
  void wait();

 signals:
  void started(const QString& sweepId, int cells);
  void cellStarting(const kvr::ui::SweepTick& tick);
  void cellSkipped(int cell, const QString& label, qint64 runId);
  void promptProgress(int done, int total);  // inside the current cell
  void cellFinished(const kvr::ui::SweepTick& tick, const QString& status, const QString& error);
  void logLine(const QString& line);
  // The sweep ended (also cancelled, or with failed cells).
  void finished(int completed, int skipped, int failed, bool cancelled);
  // It could not start: a bad spec, a cell whose options or prompt files are wrong.
  void failed(const QString& error);
  // The thread has ended (after finished or failed): running() is false now.
  void stopped();

 private:
  void run(const QString& specPath, const QString& databasePath);

  QThread* thread_ = nullptr;
  std::atomic<bool> cancel_{false};
};

}  // namespace kvr::ui

Q_DECLARE_METATYPE(kvr::ui::SweepTick)
