#include "cli_common.h"

#include <fstream>
#include <iostream>
#include <sstream>

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
}

std::unique_ptr<Model> loadModel(const ModelOptions& options) {
  LoadOptions load;
  load.device = parseDevicePreference(options.device);
  load.threads = options.threads;
  load.tokenizerDirectory = options.tokenizerDir;
  return Model::load(options.model, load);
}

void addMachineInfo(nlohmann::ordered_json& row, const Model& model) {
  row.update(nlohmann::ordered_json::parse(machineInfoJson(model)));
}

std::vector<int> syntheticTokens(int length, int vocab, uint64_t seed) {
  std::vector<int> ids;
  uint64_t x = seed | 1;
  for (int i = 0; i < length; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    ids.push_back(static_cast<int>(x % static_cast<uint64_t>(vocab - 1)));
  }
  return ids;
}

std::string readTextFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace kvr::cli
