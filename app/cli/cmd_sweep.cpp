// sweep: a grid of runs from one spec, here one cell after another (local) or
// as a Slurm job array (slurm). `sweep status` is in cmd_sweep_status.cpp.
#include <unistd.h>

#include <cmath>
#include <iostream>

#include "cli_common.h"
#include "kvrecycle/error.h"
#include "kvrecycle/run_store.h"
#include "kvrecycle/slurm.h"
#include "kvrecycle/sweep.h"
#include "sweep_cells.h"

namespace kvr::cli {
namespace {

struct SweepArgs {
  std::string spec, db, backend = "local", dir, cli;
  SlurmSettings slurm;  // flags that override the spec's
  bool noSubmit = false;
};

std::string duration(double seconds) {
  if (seconds < 0) return "?";
  const long s = std::lround(seconds);
  if (s < 60) return std::to_string(s) + " s";
  if (s < 3600) return std::to_string(s / 60) + " min " + std::to_string(s % 60) + " s";
  return std::to_string(s / 3600) + " h " + std::to_string(s % 3600 / 60) + " min";
}

std::string position(const SweepCell& cell, const SweepProgress& p) {
  return "cell " + std::to_string(cell.index + 1) + "/" + std::to_string(p.total) + " [" +
         cell.label() + "]";
}

int runLocally(const SweepArgs& args, const SweepSpec& spec, const std::vector<SweepCell>& cells) {
  checkSweepCells(spec, cells, args.db);
  RunStore store(args.db);
  const std::atomic<bool>* cancel = cancelOnSignals();
  CellExecutor runner(spec, args.db, store, cancel);
  SweepCallbacks callbacks;
  callbacks.cellSkipped = [total = cells.size()](const SweepCell& cell, const RunRecord& run) {
    std::cerr << "sweep: cell " << cell.index + 1 << "/" << total << " [" << cell.label()
              << "] already completed (run " << run.id << ")" << std::endl;
  };
  callbacks.cellStarting = [](const SweepCell& cell, const SweepProgress& p) {
    std::cerr << "sweep: " << position(cell, p) << " starting; " << p.finished << " done, "
              << p.remaining << " to run, elapsed " << duration(p.elapsedSeconds) << ", ETA "
              << duration(p.etaSeconds) << std::endl;
  };
  callbacks.cellFinished = [](const SweepCell& cell, RunStatus status, const std::string& error,
                              const SweepProgress& p) {
    std::cerr << "sweep: " << position(cell, p) << " " << runStatusName(status)
              << (error.empty() ? "" : ": " + error) << "; " << p.finished << "/" << p.total
              << " done, ETA " << duration(p.etaSeconds) << std::endl;
  };
  const SweepOutcome outcome = runSweep(
      spec, cells, store,
      [&runner, total = cells.size()](const SweepCell& cell) {
        const std::string prefix =
            "sweep: cell " + std::to_string(cell.index + 1) + "/" + std::to_string(total) + ": ";
        return runner.run(cell, prefix);
      },
      callbacks, cancel);
  nlohmann::ordered_json line;
  line["sweep"] = spec.id;
  line["cells"] = cells.size();
  line["completed"] = outcome.completed;
  line["skipped"] = outcome.skipped;
  line["failed"] = outcome.failed;
  line["cancelled"] = outcome.cancelled;
  line["db"] = args.db;
  printJson(line);
  if (outcome.failed > 0 || outcome.cancelled) {
    std::cerr << "error: sweep '" << spec.id << "' is not complete (" << outcome.failed
              << " cells failed or were cancelled); run the same command again to resume"
              << std::endl;
    return 1;
  }
  return 0;
}

// The running kvrecycle-cli: what the nodes run unless told otherwise.
std::string thisExecutable() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("kvrecycle-cli") : self.string();
}

int submitToSlurm(const SweepArgs& args, SweepSpec spec, const std::vector<SweepCell>& cells) {
  SlurmSettings& s = spec.slurm;
  const SlurmSettings& flags = args.slurm;
  if (!flags.partition.empty()) s.partition = flags.partition;
  if (!flags.time.empty()) s.time = flags.time;
  if (flags.cpusPerTask > 0) s.cpusPerTask = flags.cpusPerTask;
  if (!flags.gres.empty()) s.gres = flags.gres;
  if (!args.cli.empty()) s.cli = args.cli;
  const SlurmSweepFolder folder = args.dir.empty()
                                      ? defaultSlurmSweepFolder(args.db, spec.id)
                                      : SlurmSweepFolder{std::filesystem::absolute(args.dir)};
  checkSweepCells(spec, cells, folder.shard(0));
  // A resubmission runs only the cells whose shard has no completed run.
  std::vector<int> todo;
  for (const SweepCell& cell : cells) {
    const auto shard = folder.shard(cell.index);
    if (std::filesystem::exists(shard)) {
      const RunStore store(shard, /*readOnly=*/true);
      if (sweepCellRuns(spec, {cell}, store).front().done()) continue;
    }
    todo.push_back(cell.index);
  }
  if (todo.empty()) {
    std::cerr << "sweep: every cell of '" << spec.id << "' is completed in "
              << folder.shards().string() << "; merge with: kvrecycle-cli merge --into " << args.db
              << " " << folder.shards().string() << std::endl;
    return 0;
  }
  writeSlurmSweep(spec, todo, folder, s.cli.empty() ? thisExecutable() : s.cli);
  nlohmann::ordered_json line;
  line["sweep"] = spec.id;
  line["cells"] = cells.size();
  line["submitted_cells"] = todo.size();
  line["script"] = folder.script().string();
  line["shards"] = folder.shards().string();
  if (args.noSubmit) {
    std::cerr << "sweep: wrote " << folder.script().string() << "; submit it with: sbatch "
              << folder.script().string() << std::endl;
  } else {
    line["job_id"] = submitSlurmSweep(folder);
    std::cerr << "sweep: submitted job " << line["job_id"].get<std::string>() << " (" << todo.size()
              << " array tasks); follow it with: kvrecycle-cli sweep status --spec " << args.spec
              << " --db " << args.db << (args.dir.empty() ? "" : " --dir " + args.dir)
              << "\nthen merge with: kvrecycle-cli merge --into " << args.db << " "
              << folder.shards().string() << std::endl;
  }
  printJson(line);
  return 0;
}

}  // namespace

void registerSweepStatus(CLI::App& sweep, Action& action);

void registerSweep(CLI::App& app, Action& action) {
  auto args = std::make_shared<SweepArgs>();
  CLI::App* cmd = app.add_subcommand(
      "sweep", "Run a grid of runs from a spec, here or as a Slurm job array ('sweep status')");
  cmd->add_option("--spec", args->spec, "Sweep spec (JSON)")->check(CLI::ExistingFile);
  cmd->add_option("--db", args->db, "Run store the sweep's runs go to (slurm: merged into)");
  cmd->add_option("--backend", args->backend, "local or slurm")
      ->check(CLI::IsMember({"local", "slurm"}));
  cmd->add_option("--dir", args->dir,
                  "slurm: shared folder for script, shards and logs (default: beside the DB)");
  cmd->add_option("--cli", args->cli, "slurm: kvrecycle-cli on the nodes (default: this one)");
  cmd->add_option("--partition", args->slurm.partition, "slurm: partition");
  cmd->add_option("--time", args->slurm.time, "slurm: time limit per cell, e.g. 00:30:00");
  cmd->add_option("--cpus", args->slurm.cpusPerTask, "slurm: CPUs per cell")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--gres", args->slurm.gres, "slurm: generic resources, e.g. gpu:1");
  cmd->add_flag("--no-submit", args->noSubmit, "slurm: write the script, do not call sbatch");
  registerSweepStatus(*cmd, action);
  cmd->callback([args, cmd, &action] {
    if (cmd->get_subcommands().size() > 0) return;  // `sweep status` set the action
    action = [args] {
      if (args->spec.empty() || args->db.empty()) {
        throw UsageError("sweep needs --spec and --db");
      }
      const SweepSpec spec = readSweepSpec(args->spec);
      const std::vector<SweepCell> cells = expandSweep(spec);
      if (args->backend == "slurm") return submitToSlurm(*args, spec, cells);
      return runLocally(*args, spec, cells);
    };
  });
}

}  // namespace kvr::cli
