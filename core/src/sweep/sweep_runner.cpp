// The local backend: the cells one after another, resuming where a previous
// attempt stopped, with an ETA from the cells run so far.
#include "kvrecycle/error.h"
#include "kvrecycle/run_store.h"
#include "kvrecycle/sweep.h"
#include "kvrecycle/timestamps.h"

namespace kvr {

SweepOutcome runSweep(const SweepSpec& spec, const std::vector<SweepCell>& cells, RunStore& store,
                      const SweepCellRunner& runner, const SweepCallbacks& callbacks,
                      const std::atomic<bool>* cancel) {
  const std::vector<SweepCellRun> before = sweepCellRuns(spec, cells, store);
  SweepOutcome outcome;
  SweepProgress progress;
  progress.total = static_cast<int>(cells.size());
  for (const SweepCellRun& r : before) {
    if (r.done()) ++progress.finished;
  }
  progress.remaining = progress.total - progress.finished;

  const Stopwatch sweepClock;
  double runSeconds = 0;  // spent in cells run now: the ETA's basis
  int ran = 0;
  for (size_t i = 0; i < cells.size(); ++i) {
    const SweepCell& cell = cells[i];
    if (before[i].done()) {
      ++outcome.skipped;
      if (callbacks.cellSkipped) callbacks.cellSkipped(cell, *before[i].run);
      continue;
    }
    if (cancel != nullptr && cancel->load()) {
      outcome.cancelled = true;
      break;
    }
    progress.cell = cell.index;
    progress.elapsedSeconds = sweepClock.seconds();
    if (callbacks.cellStarting) callbacks.cellStarting(cell, progress);

    const Stopwatch cellClock;
    RunStatus status = RunStatus::Failed;
    std::string error;
    try {
      status = runner(cell);
    } catch (const std::exception& e) {
      error = e.what();
    }
    runSeconds += cellClock.seconds();
    ++ran;
    --progress.remaining;
    if (status == RunStatus::Completed) {
      ++outcome.completed;
      ++progress.finished;
    } else {
      ++outcome.failed;
      if (status == RunStatus::Cancelled) outcome.cancelled = true;
    }
    progress.elapsedSeconds = sweepClock.seconds();
    progress.etaSeconds = runSeconds / ran * progress.remaining;
    if (callbacks.cellFinished) callbacks.cellFinished(cell, status, error, progress);
    if (outcome.cancelled) break;
  }
  return outcome;
}

}  // namespace kvr
