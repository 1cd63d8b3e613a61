#include "cli_common.h"

#include <fstream>
#include <iostream>
#include <sstream>

#include "kvrecycle/error.h"

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

std::string readTextFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace kvr::cli
