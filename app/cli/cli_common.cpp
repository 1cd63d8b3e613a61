#include "cli_common.h"

#include <csignal>
#include <cstdlib>
#include <iostream>

#include "kvrecycle/error.h"
#include "kvrecycle/experiment.h"
#include "kvrecycle/model.h"

namespace kvr::cli {

void printJson(const nlohmann::ordered_json& json, int indent) {
  std::cout << json.dump(indent, ' ', false, nlohmann::ordered_json::error_handler_t::replace)
            << std::endl;
}

void addModelOptions(CLI::App& command, ModelOptions& options) {
  command.add_option("--model", options.model, "Model directory or hub cache directory")
      ->required();
  command.add_option("--device", options.device, "cpu, cuda or auto")
      ->check(CLI::IsMember({"cpu", "cuda", "auto"}));
  command.add_option("--tokenizer-dir", options.tokenizerDir,
                     "Tokenizer used when the model directory has none");
  command.add_option("--threads", options.threads, "Intra-op threads (default: all cores)")
      ->check(CLI::NonNegativeNumber);
  command
      .add_option("--weights-dtype", options.weightsDtype,
                  "Precision of the weight matrices on the CPU: fp32 (exact reference) or bf16 "
                  "(half the bytes per decoded token; K/V not shared with fp32)")
      ->check(CLI::IsMember({"fp32", "bf16"}));
}

TempStore::TempStore() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "kvrecycle-bench-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw Error("cannot create a temporary K/V store");
  dir = pattern;
}

TempStore::~TempStore() {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

std::unique_ptr<Model> loadModel(const ModelOptions& options) {
  LoadOptions load;
  load.device = parseDevicePreference(options.device);
  load.threads = options.threads;
  load.tokenizerDirectory = options.tokenizerDir;
  load.weightsDtype = parseWeightsDtype(options.weightsDtype);
  return Model::load(options.model, load);
}

void addMachineInfo(nlohmann::ordered_json& row, const Model& model) {
  row.update(nlohmann::ordered_json::parse(machineInfoJson(model)));
}

void addNoiseOptions(CLI::App& command, NoiseOptions& options) {
  command
      .add_option("--noise-threshold", options.threshold,
                  "A repeat whose two arms' decode times differ by more than this fraction is "
                  "disturbed and measured again")
      ->check(CLI::PositiveNumber);
  command
      .add_option("--max-remeasure", options.maxRemeasure,
                  "Extra repeats allowed per prompt to replace disturbed ones")
      ->check(CLI::NonNegativeNumber);
  command
      .add_option("--bound-tolerance", options.boundTolerance,
                  "Slack past a physical bound, as a fraction of the baseline TTFT, before a "
                  "reading is flagged noisy")
      ->check(CLI::NonNegativeNumber);
  command
      .add_option("--kv-cache", options.kvCache,
                  "Time K/V loads from a warm page cache, or cold (pages dropped before each load)")
      ->check(CLI::IsMember({"warm", "cold"}));
}

void applyNoiseOptions(const NoiseOptions& options, NoiseSettings& noise, PageCacheMode& kvCache) {
  noise.decodeThreshold = options.threshold;
  noise.maxRemeasure = options.maxRemeasure;
  noise.boundTolerance = options.boundTolerance;
  try {
    kvCache = parsePageCacheMode(options.kvCache);
  } catch (const Error& e) {
    throw UsageError(e.what());
  }
}

namespace {
std::atomic<bool> gCancelled{false};
void onCancelSignal(int) {
  gCancelled.store(true);
}
}  // namespace

const std::atomic<bool>* cancelOnSignals() {
  std::signal(SIGINT, onCancelSignal);
  std::signal(SIGTERM, onCancelSignal);
  return &gCancelled;
}

}  // namespace kvr::cli
