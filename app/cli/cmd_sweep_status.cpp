// sweep status: each cell's run in the database, in its Slurm shard, and what
// squeue/sacct say about its array task.
#include <iomanip>
#include <iostream>
#include <optional>

#include "cli_common.h"
#include "kvrecycle/run_store.h"
#include "kvrecycle/slurm.h"
#include "kvrecycle/sweep.h"
#include "kvrecycle/sweep_status.h"

namespace kvr::cli {
namespace {

using Json = nlohmann::ordered_json;

// "completed (run 3)", "failed (run 2)", or "-" when the cell never ran there.
std::string runState(const std::optional<RunRecord>& run) {
  if (!run) return "-";
  return std::string(runStatusName(run->status)) + " (run " + std::to_string(run->id) + ")";
}

}  // namespace

void registerSweepStatus(CLI::App& sweep, Action& action) {
  struct Args {
    std::string spec, db, dir;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = sweep.add_subcommand(
      "status", "Each cell's state: in the database, in its Slurm shard, in squeue/sacct");
  cmd->add_option("--spec", args->spec, "Sweep spec (JSON)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--db", args->db, "Run store of the sweep (slurm: merged into)")->required();
  cmd->add_option("--dir", args->dir, "slurm: the sweep's shared folder (default: beside the DB)");
  cmd->add_flag("--json", args->json, "One JSON object instead of a table");
  cmd->callback([args, &action] {
    action = [args] {
      const SweepSpec spec = readSweepSpec(args->spec);
      const std::vector<SweepCell> cells = expandSweep(spec);
      const SlurmSweepFolder folder = args->dir.empty()
                                          ? defaultSlurmSweepFolder(args->db, spec.id)
                                          : SlurmSweepFolder{std::filesystem::absolute(args->dir)};
      std::optional<RunStore> db;
      if (std::filesystem::exists(args->db)) db.emplace(args->db, /*readOnly=*/true);
      const SweepStatus status =
          sweepStatus(spec, cells, db ? &*db : nullptr, folder, /*querySlurm=*/true);
      const std::string& jobId = status.jobId;

      Json out;
      out["sweep"] = spec.id;
      out["db"] = args->db;
      out["job_id"] = jobId;
      out["cells"] = Json::array();
      int doneInDb = 0, doneInShards = 0;
      const auto completed = [](const std::optional<RunRecord>& run) {
        return run && run->status == RunStatus::Completed ? 1 : 0;
      };
      for (size_t i = 0; i < cells.size(); ++i) {
        const SweepCellStatus& cell = status.cells[i];
        doneInDb += completed(cell.run);
        doneInShards += completed(cell.shardRun);
        Json c;
        c["cell"] = cell.cell;
        c["label"] = cells[i].label();
        c["key"] = cell.key;
        c["state"] = sweepCellStateName(cell.state);
        c["db"] = runState(cell.run);
        c["shard"] = jobId.empty() && !cell.shardRun ? "-" : runState(cell.shardRun);
        c["slurm"] = cell.slurm.empty() ? "-" : cell.slurm;
        out["cells"].push_back(c);
      }
      out["completed_in_db"] = doneInDb;
      out["completed_in_shards"] = doneInShards;
      out["notes"] = status.notes;
      if (args->json) {
        printJson(out);
        return 0;
      }
      std::cout << "sweep " << spec.id << ": " << cells.size() << " cells, " << doneInDb
                << " completed in " << args->db;
      if (!jobId.empty()) {
        std::cout << ", " << doneInShards << " in shards of Slurm job " << jobId;
      }
      std::cout << "\n"
                << std::left << std::setw(6) << "cell" << std::setw(22) << "db" << std::setw(22)
                << "shard" << std::setw(12) << "slurm"
                << "axes\n";
      for (const Json& c : out["cells"]) {
        std::cout << std::left << std::setw(6) << c["cell"].get<int>() << std::setw(22)
                  << c["db"].get<std::string>() << std::setw(22) << c["shard"].get<std::string>()
                  << std::setw(12) << c["slurm"].get<std::string>() << c["label"].get<std::string>()
                  << "\n";
      }
      for (const std::string& note : status.notes) std::cout << "note: " << note << "\n";
      if (!jobId.empty() && doneInShards > doneInDb) {
        std::cout << "merge the shards with: kvrecycle-cli merge --into " << args->db << " "
                  << folder.shards().string() << "\n";
      }
      return 0;
    };
  });
}

}  // namespace kvr::cli
