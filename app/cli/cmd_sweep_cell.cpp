// sweep-cell: one cell of a sweep into its own database (a Slurm array task's shard).
#include <iostream>

#include "cli_common.h"
#include "kvrecycle/run_store.h"
#include "kvrecycle/sweep.h"
#include "sweep_cells.h"

namespace kvr::cli {

void registerSweepCell(CLI::App& app, Action& action) {
  struct Args {
    std::string spec, db;
    int cell = -1;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("sweep-cell", "Run one cell of a sweep (a Slurm array task)");
  cmd->add_option("--spec", args->spec, "Sweep spec (JSON)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--cell", args->cell, "Cell index, from 0")
      ->required()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--db", args->db, "Run store of this cell (a shard)")->required();
  cmd->callback([args, &action] {
    action = [args] {
      const SweepSpec spec = readSweepSpec(args->spec);
      const std::vector<SweepCell> cells = expandSweep(spec);
      if (args->cell >= static_cast<int>(cells.size())) {
        throw UsageError("--cell " + std::to_string(args->cell) + " is outside the sweep's " +
                         std::to_string(cells.size()) + " cells (0 to " +
                         std::to_string(cells.size() - 1) + ")");
      }
      const SweepCell& cell = cells[static_cast<size_t>(args->cell)];
      RunStore store(args->db);
      const std::vector<SweepCell> one = {cell};
      CellExecutor runner(spec, args->db, store, cancelOnSignals());
      const std::string prefix = "sweep-cell " + std::to_string(cell.index) + ": ";
      SweepCallbacks callbacks;
      callbacks.cellSkipped = [&prefix](const SweepCell&, const RunRecord& run) {
        std::cerr << prefix << "already completed (run " << run.id << ")" << std::endl;
      };
      callbacks.cellFinished = [&prefix](const SweepCell&, RunStatus status,
                                         const std::string& error, const SweepProgress&) {
        std::cerr << prefix << runStatusName(status) << (error.empty() ? "" : ": " + error)
                  << std::endl;
      };
      runSweep(
          spec, one, store,
          [&runner, &prefix](const SweepCell& c) { return runner.run(c, prefix); }, callbacks);
      const SweepCellRun result = sweepCellRuns(spec, one, store).front();
      nlohmann::ordered_json line;
      line["sweep"] = spec.id;
      line["cell"] = cell.index;
      line["key"] = cell.key;
      line["run_id"] = result.run ? result.run->id : 0;
      line["status"] = result.run ? runStatusName(result.run->status) : "none";
      printJson(line);
      return result.done() ? 0 : 1;
    };
  });
}

}  // namespace kvr::cli
