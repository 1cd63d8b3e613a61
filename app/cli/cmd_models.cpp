// models: the models this machine has, as the workbench's model menu finds
// them: the Hugging Face hub cache and kvrecycle's own data directory.
#include <algorithm>
#include <iomanip>
#include <iostream>

#include "cli_common.h"
#include "kvrecycle/model_catalog.h"
#include "kvrecycle/paths.h"

namespace kvr::cli {
namespace {

nlohmann::ordered_json catalogJson(const std::vector<CatalogEntry>& models) {
  nlohmann::ordered_json out;
  out["hub_directory"] = huggingFaceHubDirectory().string();
  out["models_directory"] = modelsDirectory().string();
  out["models"] = nlohmann::ordered_json::array();
  for (const CatalogEntry& m : models) {
    nlohmann::ordered_json j;
    j["name"] = m.name;
    j["source"] = modelSourceName(m.source);
    j["synthetic"] = m.synthetic;
    j["model_type"] = m.modelType;
    j["path"] = m.path.string();
    j["snapshot"] = m.snapshot.string();
    out["models"].push_back(j);
  }
  return out;
}

void printText(const std::vector<CatalogEntry>& models) {
  std::cout << "hub cache: " << huggingFaceHubDirectory().string() << '\n'
            << "data:      " << modelsDirectory().string() << '\n';
  if (models.empty()) {
    std::cout << "no models found" << std::endl;
    return;
  }
  size_t width = 4;
  for (const CatalogEntry& m : models) width = std::max(width, m.name.size());
  std::cout << std::left << std::setw(static_cast<int>(width + 2)) << "name" << std::setw(8)
            << "source" << std::setw(11) << "synthetic"
            << "path\n";
  for (const CatalogEntry& m : models) {
    std::cout << std::left << std::setw(static_cast<int>(width + 2)) << m.name << std::setw(8)
              << modelSourceName(m.source) << std::setw(11) << (m.synthetic ? "yes" : "no")
              << m.path.string() << '\n';
    // Hub folders hold several snapshots; say which one loading uses.
    if (m.snapshot != m.path) {
      std::cout << std::setw(static_cast<int>(width + 2 + 8 + 11)) << ""
                << "snapshot " << m.snapshot.filename().string() << '\n';
    }
  }
  std::cout << std::flush;
}

}  // namespace

void registerModels(CLI::App& app, Action& action) {
  struct Args {
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "models", "List the models in the Hugging Face hub cache and kvrecycle's data directory");
  cmd->add_flag("--json", args->json, "One JSON document instead of a table");
  cmd->callback([args, &action] {
    action = [args] {
      const std::vector<CatalogEntry> models = listModels();
      if (args->json) {
        printJson(catalogJson(models), 2);
      } else {
        printText(models);
      }
      return 0;
    };
  });
}

}  // namespace kvr::cli
