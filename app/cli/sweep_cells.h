#pragma once
// Turns sweep cells into runs: a cell's settings go through the `run` option
// parser (run_options.h), then the experiment runs with the cell's tags.
#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include "kvrecycle/experiment.h"
#include "kvrecycle/results.h"
#include "kvrecycle/sweep.h"

namespace kvr {
class Model;
class RunStore;
}  // namespace kvr

namespace kvr::cli {

// Parses every cell and reads its prompt files, so that a typo in the spec
// fails before anything runs or is submitted. Throws naming the cell.
void checkSweepCells(const SweepSpec& spec, const std::vector<SweepCell>& cells,
                     const std::filesystem::path& db);

// Runs cells into one database, keeping the last model loaded for the next cell.
class CellExecutor {
 public:
  CellExecutor(const SweepSpec& spec, std::filesystem::path db, RunStore& store,
               const std::atomic<bool>* cancel);
  ~CellExecutor();
  // Without a log callback, the run's log lines go to stderr after `logPrefix`.
  RunStatus run(const SweepCell& cell, const std::string& logPrefix,
                ExperimentCallbacks callbacks = {});

 private:
  const SweepSpec& spec_;
  std::filesystem::path db_;
  RunStore& store_;
  const std::atomic<bool>* cancel_;
  std::string modelKey_;
  std::unique_ptr<Model> model_;
};

}  // namespace kvr::cli
