#pragma once
// Sweeps: a grid of ordinary runs described by one spec (resources/sweeps/README.md).
// A spec holds fixed `run` settings plus axes, each a list of values of one
// `run` option; the grid is the product of the axes, and each cell is one run
// tagged with the sweep id, its cell key and its axis values. The engine does
// not know the `run` options: a cell is handed to the caller as option strings,
// parsed by the same parser as `kvrecycle-cli run`, so every option can be an axis.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "kvrecycle/results.h"

namespace kvr {

class RunStore;

// One `run` option's value: "max-new-tokens" = "8"; a JSON boolean is a flag,
// given bare when true and left out when false.
struct SweepSetting {
  std::string option;  // without dashes
  std::string value;   // as text: "8", "paper", "true"
  bool flag = false;
};

struct SweepAxis {
  std::string option;
  std::vector<SweepSetting> values;
};

// Resources of the Slurm job array; empty / 0 = the cluster's default.
struct SlurmSettings {
  std::string partition;
  std::string time;  // e.g. "00:30:00"
  int cpusPerTask = 0;
  std::string gres;  // e.g. "gpu:1"
  std::string account;
  std::string memory;                   // e.g. "8G"
  std::string cli;                      // kvrecycle-cli on the nodes ("" = this one's path)
  std::vector<std::string> setup;       // shell lines run first, e.g. "module load kvrecycle"
  std::vector<std::string> sbatchArgs;  // extra "#SBATCH" arguments, e.g. "--qos=short"
};

struct SweepSpec {
  std::string id;                       // letters, digits, '.', '_', '-': names tags and folders
  std::filesystem::path source;         // the spec file
  std::filesystem::path baseDirectory;  // relative paths resolve here (default: the spec's folder)
  std::vector<SweepSetting> fixed;
  std::vector<SweepAxis> axes;
  SlurmSettings slurm;
};

// Throws kvr::Error naming the file and the field at fault.
SweepSpec parseSweepSpec(const std::string& json, const std::filesystem::path& source);
SweepSpec readSweepSpec(const std::filesystem::path& file);
// The spec as JSON, with base_dir absolute: a copy that resolves paths like the original.
std::string sweepSpecToJson(const SweepSpec& spec);

struct SweepCell {
  int index = 0;
  std::vector<SweepSetting> axisValues;  // one per axis, in axis order
  std::vector<SweepSetting> settings;    // fixed settings, then the axis values
  std::string key;  // 16 hex digits from the sweep id and the settings (order-free)

  std::string label() const;                   // "policy=paper max-new-tokens=8"
  std::vector<std::string> arguments() const;  // {"--policy", "paper", "--ignore-eos", ...}
};

// Row-major: the last axis varies fastest. A spec without axes has one cell.
std::vector<SweepCell> expandSweep(const SweepSpec& spec);

// The tags of a cell's run: "sweep:ID", "sweep-cell:I", "sweep-key:KEY",
// "sweep-cells:N" (cells in the grid), "sweep-spec:PATH" (the spec, absolute),
// then "option=value" per axis.
std::vector<std::string> sweepCellTags(const SweepSpec& spec, const SweepCell& cell);
// A run's sweep id, cell key and spec from its tags ("" when it has none).
std::string sweepIdOf(const RunRecord& run);
std::string sweepKeyOf(const RunRecord& run);
std::string sweepSpecOf(const RunRecord& run);
// The cell index and the grid size its tags give; -1 when they give none.
int sweepCellIndexOf(const RunRecord& run);
int sweepGridCellsOf(const RunRecord& run);
// Its "option=value" axis tags, in axis order.
std::vector<SweepSetting> sweepAxisValuesOf(const RunRecord& run);

// A cell's run in one database: its completed run when it has one, else its newest run.
struct SweepCellRun {
  int cell = 0;
  std::optional<RunRecord> run;  // none: never started here
  bool done() const { return run && run->status == RunStatus::Completed; }
};
std::vector<SweepCellRun> sweepCellRuns(const SweepSpec& spec, const std::vector<SweepCell>& cells,
                                        const RunStore& store);

struct SweepProgress {
  int cell = 0;       // index of the cell starting or just finished
  int total = 0;      // cells in the grid
  int finished = 0;   // cells completed, now or before
  int remaining = 0;  // cells still to run
  double elapsedSeconds = 0;
  double etaSeconds = -1;  // -1 until a cell has run
};

struct SweepCallbacks {
  std::function<void(const SweepCell&, const SweepProgress&)> cellStarting;
  std::function<void(const SweepCell&, RunStatus, const std::string& error, const SweepProgress&)>
      cellFinished;
  std::function<void(const SweepCell&, const RunRecord&)> cellSkipped;
};

// Runs one cell as a run in the store, returning its final status; may throw.
using SweepCellRunner = std::function<RunStatus(const SweepCell&)>;

struct SweepOutcome {
  int completed = 0;  // ran now
  int skipped = 0;    // completed before
  int failed = 0;     // failed, cancelled or threw
  bool cancelled = false;
};

// Runs the cells in order, skipping those with a completed run in `store`
// (interrupted, failed or cancelled ones run again). A failing cell does not
// stop the sweep; `cancel` stops it between cells (and the runner within one).
SweepOutcome runSweep(const SweepSpec& spec, const std::vector<SweepCell>& cells, RunStore& store,
                      const SweepCellRunner& runner, const SweepCallbacks& callbacks = {},
                      const std::atomic<bool>* cancel = nullptr);

}  // namespace kvr
