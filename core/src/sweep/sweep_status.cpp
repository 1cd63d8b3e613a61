// Each cell's state from the database, its Slurm shard and Slurm itself; and
// the sweeps a database holds, found by their runs' tags.
#include "kvrecycle/sweep_status.h"

#include <algorithm>
#include <map>

#include "kvrecycle/error.h"
#include "kvrecycle/run_store.h"

namespace kvr {
namespace {

namespace fs = std::filesystem;

SweepCellState fromRunStatus(RunStatus status) {
  switch (status) {
    case RunStatus::Running:
      return SweepCellState::Running;
    case RunStatus::Completed:
      return SweepCellState::Completed;
    case RunStatus::Cancelled:
      return SweepCellState::Cancelled;
    case RunStatus::Failed:
      return SweepCellState::Failed;
    case RunStatus::Interrupted:
      return SweepCellState::Interrupted;
  }
  return SweepCellState::Pending;
}

// Slurm's word for a task ("RUNNING", "PENDING", "TIMEOUT"...) as a cell state.
std::optional<SweepCellState> fromSlurm(const std::string& state) {
  if (state.empty()) return std::nullopt;
  if (state == "PENDING" || state == "REQUEUED" || state == "SUSPENDED") {
    return SweepCellState::Pending;
  }
  if (state == "RUNNING" || state == "COMPLETING" || state == "CONFIGURING") {
    return SweepCellState::Running;
  }
  if (state.rfind("CANCELLED", 0) == 0) return SweepCellState::Cancelled;
  if (state == "COMPLETED") return std::nullopt;  // the shard says how the run ended
  return SweepCellState::Failed;                  // FAILED, TIMEOUT, NODE_FAIL, OUT_OF_MEMORY...
}

// The database decides once it has a run; then the shard; then Slurm.
SweepCellState summarize(const SweepCellStatus& c) {
  if (c.run && c.run->status == RunStatus::Completed) return SweepCellState::Completed;
  if (c.shardRun && c.shardRun->status == RunStatus::Completed) return SweepCellState::InShard;
  if (const auto slurm = fromSlurm(c.slurm)) return *slurm;
  if (c.shardRun) return fromRunStatus(c.shardRun->status);
  if (c.run) return fromRunStatus(c.run->status);
  return SweepCellState::Pending;
}

// The Slurm folder of a sweep: the spec's own folder when it is one (a cell
// run by Slurm names the folder's spec.json), else the default beside the DB.
SlurmSweepFolder slurmFolderOf(const fs::path& spec, const fs::path& db, const std::string& id) {
  const SlurmSweepFolder specFolder{spec.parent_path()};
  if (!spec.empty() && fs::exists(specFolder.jobRecord())) return specFolder;
  return defaultSlurmSweepFolder(db, id);
}

// The sweep as far as its runs tell: the cells with a run, their tagged axes.
SweepStatus fromRunsOnly(const std::string& id, const std::vector<RunRecord>& runs) {
  SweepStatus status;
  status.id = id;
  std::map<std::string, SweepCellStatus> byKey;
  for (const RunRecord& run : runs) {  // newest first
    SweepCellStatus& c = byKey[sweepKeyOf(run)];
    if (!c.run) {
      c.cell = sweepCellIndexOf(run);
      c.axisValues = sweepAxisValuesOf(run);
      c.key = sweepKeyOf(run);
    }
    if (!c.run || (c.run->status != RunStatus::Completed && run.status == RunStatus::Completed)) {
      c.run = run;
    }
    if (status.spec.empty()) status.spec = sweepSpecOf(run);
  }
  for (auto& [key, c] : byKey) {
    c.state = summarize(c);
    status.cells.push_back(std::move(c));
  }
  std::sort(status.cells.begin(), status.cells.end(),
            [](const SweepCellStatus& a, const SweepCellStatus& b) { return a.cell < b.cell; });
  status.totalCells = static_cast<int>(status.cells.size());
  if (!status.cells.empty()) {
    for (const SweepSetting& s : status.cells.front().axisValues) status.axes.push_back(s.option);
  }
  return status;
}

}  // namespace

const char* sweepCellStateName(SweepCellState state) {
  switch (state) {
    case SweepCellState::Pending:
      return "pending";
    case SweepCellState::Running:
      return "running";
    case SweepCellState::Completed:
      return "completed";
    case SweepCellState::InShard:
      return "in shard";
    case SweepCellState::Failed:
      return "failed";
    case SweepCellState::Cancelled:
      return "cancelled";
    case SweepCellState::Interrupted:
      return "interrupted";
  }
  return "?";
}

int SweepStatus::count(SweepCellState state) const {
  return static_cast<int>(std::count_if(cells.begin(), cells.end(),
                                        [state](const auto& c) { return c.state == state; }));
}

int SweepStatus::unfinished() const {
  return count(SweepCellState::Failed) + count(SweepCellState::Cancelled) +
         count(SweepCellState::Interrupted);
}

SweepStatus sweepStatus(const SweepSpec& spec, const std::vector<SweepCell>& cells,
                        const RunStore* db, const SlurmSweepFolder& folder, bool querySlurm) {
  SweepStatus status;
  status.id = spec.id;
  status.spec = spec.source;
  status.fromSpec = true;
  for (const SweepAxis& axis : spec.axes) status.axes.push_back(axis.option);
  status.totalCells = static_cast<int>(cells.size());
  const std::vector<SweepCellRun> inDb =
      db != nullptr ? sweepCellRuns(spec, cells, *db) : std::vector<SweepCellRun>(cells.size());
  status.jobId = submittedJobId(folder);
  SlurmArrayState slurm;
  if (querySlurm && !status.jobId.empty()) slurm = querySlurmArray(status.jobId);
  status.notes = slurm.notes;
  for (size_t i = 0; i < cells.size(); ++i) {
    SweepCellStatus c;
    c.cell = cells[i].index;
    c.axisValues = cells[i].axisValues;
    c.key = cells[i].key;
    c.run = inDb[i].run;
    const fs::path shard = folder.shard(c.cell);
    if (fs::exists(shard)) {
      const RunStore store(shard, /*readOnly=*/true);
      c.shardRun = sweepCellRuns(spec, {cells[i]}, store).front().run;
    }
    const auto task = slurm.tasks.find(c.cell);
    if (task != slurm.tasks.end()) c.slurm = task->second;
    c.state = summarize(c);
    status.cells.push_back(std::move(c));
  }
  return status;
}

std::vector<SweepStatus> sweepsInStore(const RunStore& store, bool querySlurm) {
  std::map<std::string, std::vector<RunRecord>> runsOf;  // each newest first
  const std::vector<RunRecord> runs = store.listRuns();  // newest first
  for (const RunRecord& run : runs) {
    const std::string id = sweepIdOf(run);
    if (!id.empty()) runsOf[id].push_back(run);
  }
  std::vector<std::string> order;  // by first run, oldest first
  for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
    const std::string id = sweepIdOf(*it);
    if (!id.empty() && std::find(order.begin(), order.end(), id) == order.end()) {
      order.push_back(id);
    }
  }
  std::vector<SweepStatus> out;
  for (const std::string& id : order) {
    SweepStatus tagged = fromRunsOnly(id, runsOf[id]);
    if (tagged.spec.empty()) {
      out.push_back(std::move(tagged));
      continue;
    }
    try {
      const SweepSpec spec = readSweepSpec(tagged.spec);
      if (spec.id != id) throw Error(tagged.spec.string() + " is now sweep '" + spec.id + "'");
      SweepStatus full = sweepStatus(spec, expandSweep(spec), &store,
                                     slurmFolderOf(tagged.spec, store.path(), id), querySlurm);
      full.spec = tagged.spec;
      out.push_back(std::move(full));
    } catch (const std::exception& e) {
      tagged.specError = e.what();
      out.push_back(std::move(tagged));
    }
  }
  return out;
}

}  // namespace kvr
