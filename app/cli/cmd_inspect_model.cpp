// inspect-model: which weights file a model directory loads, in which format,
// and what of it is used: dtype, parameters, tied head, ignored and missing
// tensors, fingerprint. Needs no tokenizer and runs no forward pass.
#include <iostream>

#include "cli_common.h"
#include "kvrecycle/model_config.h"
#include "kvrecycle/paths.h"
#include "kvrecycle/weights_report.h"

namespace kvr::cli {
namespace {

std::vector<std::string> pathStrings(const std::vector<std::filesystem::path>& paths) {
  std::vector<std::string> out;
  for (const auto& p : paths) out.push_back(p.string());
  return out;
}

nlohmann::ordered_json reportJson(const std::filesystem::path& dir, const ModelConfig& config,
                                  const WeightsReport& r) {
  nlohmann::ordered_json j;
  j["directory"] = dir.string();
  j["weights_file"] = r.file.string();
  j["weights_format"] = r.format;
  j["shards"] = pathStrings(r.shards);
  j["also_present"] = pathStrings(r.alsoPresent);
  j["dtypes"] = r.dtypes;
  j["n_layer"] = config.nLayer;
  j["n_embd"] = config.nEmbd;
  j["n_head"] = config.nHead;
  j["vocab_size"] = config.vocabSize;
  j["parameters"] = r.parameters;
  j["tied_head"] = r.tiedHead;
  j["ignored"] = r.ignored;
  j["missing"] = r.missing;
  j["problems"] = r.problems;
  j["fingerprint"] = r.fingerprint;
  j["synthetic"] = config.synthetic;
  return j;
}

void printList(const char* label, const std::vector<std::string>& items) {
  std::cout << label << (items.empty() ? "none" : std::to_string(items.size())) << '\n';
  for (const auto& item : items) std::cout << "  " << item << '\n';
}

void printText(const std::filesystem::path& dir, const ModelConfig& config,
               const WeightsReport& r) {
  std::cout << "directory:    " << dir.string() << '\n'
            << "weights:      " << r.file.string() << " (" << r.format << ")\n";
  if (r.shards.size() > 1 || r.shards.front() != r.file) {
    for (const auto& s : r.shards) std::cout << "  shard       " << s.filename().string() << '\n';
  }
  for (const auto& p : r.alsoPresent) {
    std::cout << "not used:     " << p.filename().string() << " (" << r.file.filename().string()
              << " is preferred)\n";
  }
  std::cout << "dtype:        ";
  bool first = true;
  for (const auto& [dtype, count] : r.dtypes) {
    std::cout << (first ? "" : ", ") << dtype << " (" << count << " tensors)";
    first = false;
  }
  std::cout << '\n'
            << "architecture: " << config.nLayer << " layers, hidden " << config.nEmbd << ", "
            << config.nHead << " heads, vocab " << config.vocabSize << '\n'
            << "parameters:   " << r.parameters << '\n'
            << "tied head:    " << (r.tiedHead ? "yes (lm_head = wte)" : "no (own lm_head.weight)")
            << '\n';
  printList("ignored:      ", r.ignored);
  printList("missing:      ", r.missing);
  if (!r.problems.empty()) printList("problems:     ", r.problems);
  std::cout << "fingerprint:  " << (r.fingerprint.empty() ? "(incomplete weights)" : r.fingerprint)
            << '\n';
  if (config.synthetic) std::cout << "note:         " << kSyntheticNote << '\n';
  std::cout << std::flush;
}

}  // namespace

void registerInspectModel(CLI::App& app, Action& action) {
  struct Args {
    std::string dir;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "inspect-model", "Which weights file and format a model directory loads, and what is used");
  cmd->add_option("dir", args->dir, "Model directory or hub cache directory")->required();
  cmd->add_flag("--json", args->json, "One JSON document instead of text");
  cmd->callback([args, &action] {
    action = [args] {
      const std::filesystem::path dir = resolveModelDirectory(args->dir);
      const ModelConfig config = ModelConfig::fromFile(dir / "config.json");
      const WeightsReport report = inspectModelWeights(dir);
      if (args->json) {
        printJson(reportJson(dir, config, report), 2);
      } else {
        printText(dir, config, report);
      }
      if (report.complete()) return 0;
      const std::string first =
          report.missing.empty()
              ? report.problems.front()
              : report.file.string() + ": tensor '" + report.missing.front() + "' is missing";
      std::cerr << "error: " << first << std::endl;
      return 1;
    };
  });
}

}  // namespace kvr::cli
