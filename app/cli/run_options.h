#pragma once
// The options of `kvrecycle-cli run`, shared with the sweep commands so that
// any run option can be a sweep axis and new options need no sweep changes.
#include <filesystem>
#include <string>
#include <vector>

#include "cli_common.h"
#include "kvrecycle/experiment.h"

namespace kvr::cli {

struct RunOptions {
  ModelOptions model;
  std::string cachePrompts, testPrompts, db, store;
  ExperimentConfig config;
  std::string policy = "longest-prefix", embedder = "hashed";
  std::string mode = "offline", storeBudget, eviction = "lru", kvDtype = "fp32";
  std::string costModel = "off";
  NoiseOptions noise;
};

// Every option of `run` except --quiet.
void addRunOptions(CLI::App& command, RunOptions& options);

// The experiment configuration the options describe (K/V store beside the DB by
// default); throws UsageError or kvr::Error for a bad value.
ExperimentConfig experimentConfig(const RunOptions& options);

// Parses `arguments` ("--policy", "paper", ...) exactly as `run` would, with
// "~/" paths in $HOME and relative paths resolved against `base`. Throws
// UsageError naming `context`.
RunOptions parseRunArguments(const std::vector<std::string>& arguments,
                             const std::filesystem::path& base, const std::string& context);

}  // namespace kvr::cli
