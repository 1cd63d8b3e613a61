// kv-verify: checks every entry of a K/V store against a model (format,
// fingerprint, checksum, shapes), so corrupt or foreign files are found
// before a run falls back on them.
#include <iostream>

#include "cli_common.h"
#include "kvrecycle/error.h"
#include "kvrecycle/kv_store.h"
#include "kvrecycle/model.h"

namespace kvr::cli {

void registerKvVerify(CLI::App& app, Action& action) {
  struct Args {
    ModelOptions model;
    std::string store;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("kv-verify", "Check every K/V store entry against a model");
  addModelOptions(*cmd, args->model);
  cmd->add_option("--store", args->store, "K/V store directory")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->callback([args, &action] {
    action = [args] {
      const auto model = loadModel(args->model);
      const KVStore store(args->store);
      nlohmann::ordered_json bad = nlohmann::ordered_json::array();
      std::string firstError;
      const std::vector<std::string> ids = store.entryIds();
      for (const std::string& id : ids) {
        try {
          store.verify(*model, id);
        } catch (const Error& e) {
          bad.push_back({{"entry", id}, {"error", e.what()}});
          if (firstError.empty()) firstError = e.what();
        }
      }
      printJson({{"store", args->store},
                 {"entries", ids.size()},
                 {"ok", ids.size() - bad.size()},
                 {"bad", bad}});
      if (bad.empty()) return 0;
      std::cerr << "error: " << firstError
                << (bad.size() > 1 ? " (and " + std::to_string(bad.size() - 1) + " more)" : "")
                << std::endl;
      return 1;
    };
  });
}

}  // namespace kvr::cli
