#pragma once
// Where each cell of a sweep stands: its run in the database, its run in its
// Slurm shard (when the sweep went to Slurm) and what squeue/sacct say about
// its array task. `kvrecycle-cli sweep status` and the workbench's Sweeps view
// both read it here, so they cannot disagree.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "kvrecycle/results.h"
#include "kvrecycle/slurm.h"
#include "kvrecycle/sweep.h"

namespace kvr {

class RunStore;

// One word per cell, for counts and colours. InShard: completed in its Slurm
// shard, not merged into the database yet.
enum class SweepCellState { Pending, Running, Completed, InShard, Failed, Cancelled, Interrupted };
const char* sweepCellStateName(SweepCellState state);  // "pending", "running", ..., "in shard"

struct SweepCellStatus {
  int cell = 0;
  std::vector<SweepSetting> axisValues;  // one per axis, in axis order
  std::string key;
  std::optional<RunRecord> run;       // in the database: completed if any, else the newest
  std::optional<RunRecord> shardRun;  // in its Slurm shard
  std::string slurm;                  // the array task's Slurm state, "" when unknown
  SweepCellState state = SweepCellState::Pending;
};

struct SweepStatus {
  std::string id;
  std::filesystem::path spec;  // "" when the runs do not name it (made before it was recorded)
  // The grid comes from the spec; false: the spec could not be read, so only
  // the cells with a run are known and `totalCells` counts those.
  bool fromSpec = false;
  std::string specError;          // why the spec could not be read
  std::vector<std::string> axes;  // option names, in axis order
  int totalCells = 0;
  std::vector<SweepCellStatus> cells;  // by cell index
  std::string jobId;                   // the Slurm job submitted for it, "" when none
  std::vector<std::string> notes;      // what squeue/sacct could not say

  int count(SweepCellState state) const;
  // Failed, cancelled and interrupted: the cells a resumed sweep runs again.
  int unfinished() const;
};

// The state of every cell of `spec`: in `db` (nullptr: no database yet), in
// the shards of `folder`, and, when a job was submitted and `querySlurm`, in
// Slurm (which runs squeue and sacct).
SweepStatus sweepStatus(const SweepSpec& spec, const std::vector<SweepCell>& cells,
                        const RunStore* db, const SlurmSweepFolder& folder, bool querySlurm);

// Every sweep with a run in `store`, oldest first, found by the runs' tags.
// A sweep whose runs name a readable spec gets its full grid and its Slurm
// folder's state (the default folder beside the database); otherwise its
// cells are those with a run and its axes those their tags name.
std::vector<SweepStatus> sweepsInStore(const RunStore& store, bool querySlurm);

}  // namespace kvr
