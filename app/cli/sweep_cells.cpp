#include "sweep_cells.h"

#include <cstdlib>
#include <iostream>

#include "kvrecycle/error.h"
#include "kvrecycle/experiment.h"
#include "kvrecycle/model.h"
#include "kvrecycle/prompt_set.h"
#include "kvrecycle/run_store.h"
#include "run_options.h"

namespace kvr::cli {
namespace {

bool hasSetting(const SweepCell& cell, const std::string& option) {
  for (const SweepSetting& s : cell.settings) {
    if (s.option == option) return true;
  }
  return false;
}

// The cell as `run` arguments, writing into `db`; named after the sweep and
// the cell's axis values, and using the CPUs Slurm gave the task.
RunOptions cellOptions(const SweepSpec& spec, const SweepCell& cell,
                       const std::filesystem::path& db) {
  std::vector<std::string> args = cell.arguments();
  args.insert(args.end(), {"--db", std::filesystem::absolute(db).string()});
  const char* cpus = std::getenv("SLURM_CPUS_PER_TASK");
  if (cpus != nullptr && *cpus != '\0' && !hasSetting(cell, "threads")) {
    args.insert(args.end(), {"--threads", cpus});
  }
  const std::string where =
      spec.source.string() + ": cell " + std::to_string(cell.index) + " (" + cell.label() + ")";
  RunOptions options = parseRunArguments(args, spec.baseDirectory, where);
  const std::string label = cell.label().empty() ? "" : " [" + cell.label() + "]";
  options.config.name = (options.config.name.empty() ? spec.id : options.config.name) + label;
  return options;
}

std::string modelKey(const ModelOptions& m) {
  return m.model + "\n" + m.device + "\n" + m.tokenizerDir + "\n" + std::to_string(m.threads);
}

}  // namespace

void checkSweepCells(const SweepSpec& spec, const std::vector<SweepCell>& cells,
                     const std::filesystem::path& db) {
  for (const SweepCell& cell : cells) {
    const RunOptions options = cellOptions(spec, cell, db);
    const std::string where = spec.source.string() + ": cell " + std::to_string(cell.index) + ": ";
    try {
      experimentConfig(options);
      readPromptCsv(options.cachePrompts);
      readPromptCsv(options.testPrompts);
    } catch (const std::exception& e) {
      throw Error(where + e.what());
    }
  }
}

CellExecutor::CellExecutor(const SweepSpec& spec, std::filesystem::path db, RunStore& store,
                           const std::atomic<bool>* cancel)
    : spec_(spec), db_(std::move(db)), store_(store), cancel_(cancel) {}

CellExecutor::~CellExecutor() = default;

RunStatus CellExecutor::run(const SweepCell& cell, const std::string& logPrefix,
                            ExperimentCallbacks callbacks) {
  const RunOptions options = cellOptions(spec_, cell, db_);
  ExperimentConfig config = experimentConfig(options);
  config.tags = sweepCellTags(spec_, cell);
  const PromptSet cache = readPromptCsv(options.cachePrompts);
  const PromptSet test = readPromptCsv(options.testPrompts);
  if (!model_ || modelKey_ != modelKey(options.model)) {
    model_.reset();
    model_ = loadModel(options.model);
    modelKey_ = modelKey(options.model);
  }
  if (!callbacks.log) {
    callbacks.log = [&logPrefix](const std::string& line) {
      std::cerr << logPrefix << line << std::endl;
    };
  }
  return runExperiment(*model_, cache, test, config, store_, callbacks, cancel_).status;
}

}  // namespace kvr::cli
