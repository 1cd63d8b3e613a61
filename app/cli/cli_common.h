#pragma once
// Shared pieces of the kvrecycle-cli subcommands.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include "kvrecycle/experiment.h"
#include "kvrecycle/text_file.h"  // readTextFile

namespace kvr {
class Model;
}

namespace kvr::cli {

// A command line that parses but makes no sense; exits with status 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Prints one JSON document on stdout; invalid UTF-8 (partial tokens) becomes U+FFFD.
void printJson(const nlohmann::ordered_json& json, int indent = -1);

// Options every model-loading command shares.
struct ModelOptions {
  std::string model;
  std::string device = "auto";
  std::string tokenizerDir;
  int threads = 0;
  std::string weightsDtype = "fp32";
};
void addModelOptions(CLI::App& command, ModelOptions& options);
// A scratch K/V store in the temporary directory that removes itself.
struct TempStore {
  std::filesystem::path dir;
  TempStore();
  ~TempStore();
  TempStore(const TempStore&) = delete;
  TempStore& operator=(const TempStore&) = delete;
};
std::unique_ptr<Model> loadModel(const ModelOptions& options);
// Noise control and K/V page cache options shared by run and bench.
struct NoiseOptions {
  double threshold = 0.05;
  int maxRemeasure = 3;
  double boundTolerance = 0.10;
  std::string kvCache = "warm";
};
void addNoiseOptions(CLI::App& command, NoiseOptions& options);
// Throws UsageError for a bad value.
void applyNoiseOptions(const NoiseOptions& options, NoiseSettings& noise, PageCacheMode& kvCache);

// Where a measurement ran: device, threads, versions, CPU; added to every benchmark row.
void addMachineInfo(nlohmann::ordered_json& row, const Model& model);

// Makes SIGINT and SIGTERM set the returned flag (work stops cleanly between
// steps, keeping what was stored) instead of killing the process.
const std::atomic<bool>* cancelOnSignals();

// The warning shown wherever a synthetic model's text appears.
constexpr const char* kSyntheticNote =
    "synthetic model: random weights, so its text is meaningless; its timings are faithful";

// Subcommand registration; each returns the action to run after parsing.
using Action = std::function<int()>;
void registerMakeModel(CLI::App& app, Action& action);
void registerTokenize(CLI::App& app, Action& action);
void registerGenerate(CLI::App& app, Action& action);
void registerBenchEngine(CLI::App& app, Action& action);
void registerLogits(CLI::App& app, Action& action);
void registerConvertWeights(CLI::App& app, Action& action);
void registerRun(CLI::App& app, Action& action);
void registerRuns(CLI::App& app, Action& action);
void registerExport(CLI::App& app, Action& action);
void registerBench(CLI::App& app, Action& action);
void registerBenchStore(CLI::App& app, Action& action);
void registerMakePrompts(CLI::App& app, Action& action);
void registerKvVerify(CLI::App& app, Action& action);
void registerInspectModel(CLI::App& app, Action& action);
void registerModels(CLI::App& app, Action& action);
void registerEvict(CLI::App& app, Action& action);
void registerSweep(CLI::App& app, Action& action);
void registerSweepCell(CLI::App& app, Action& action);
void registerMerge(CLI::App& app, Action& action);

}  // namespace kvr::cli
