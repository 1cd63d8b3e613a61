// evict: K/V eviction inside a generation, judged by its footprint (seed 003);
// stored as an eviction run, one JSON line per method x budget.
#include <iostream>

#include "cli_common.h"
#include "kvrecycle/error.h"
#include "kvrecycle/eviction_run.h"
#include "kvrecycle/model.h"
#include "kvrecycle/run_store.h"

namespace kvr::cli {
namespace {

std::vector<EvictionMethod> parseMethods(const std::vector<std::string>& names) {
  std::vector<EvictionMethod> methods;
  for (const std::string& name : names) {
    const std::optional<EvictionMethod> m = parseEvictionMethod(name);
    if (!m) {
      throw UsageError("--methods: unknown method '" + name +
                       "' (expected full, window, snap, heavy or chunked)");
    }
    methods.push_back(*m);
  }
  return methods;
}

// Each item of --budgets: a positive whole number (checked before conversion).
const CLI::Validator kPositiveWhole(
    [](std::string& item) -> std::string {
      size_t used = 0;
      int value = 0;
      try {
        value = std::stoi(item, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == item.size() && value >= 1) return "";
      return "'" + item + "' is not a positive whole number";
    },
    "POSITIVE");

}  // namespace

void registerEvict(CLI::App& app, Action& action) {
  struct Args {
    ModelOptions model;
    std::string prompts, db, cachePrompts, evictedStore;
    std::vector<std::string> methods{"full", "window", "snap", "heavy", "chunked"};
    std::string scope = "head";
    EvictionRunConfig config;
    bool quiet = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "evict", "Measure K/V eviction methods inside a generation: footprint vs fidelity");
  addModelOptions(*cmd, args->model);
  cmd->add_option("--prompts", args->prompts,
                  "CSV of prompts (an optional `reference` column is the continuation scored)")
      ->required();
  cmd->add_option("--db", args->db, "SQLite run store")->required();
  cmd->add_option("--methods", args->methods, "Comma-separated: full,window,snap,heavy,chunked")
      ->delimiter(',');
  cmd->add_option("--budgets", args->config.budgets,
                  "Comma-separated live entries kept per layer and head")
      ->delimiter(',')
      ->check(kPositiveWhole);
  cmd->add_option("--max-new-tokens", args->config.maxNewTokens, "Tokens generated per prompt")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--sinks", args->config.base.sinks, "window: initial tokens always kept")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--recent", args->config.base.recent,
                  "snap, heavy, chunked: recent tokens always kept (0 = budget / 4)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--observation", args->config.base.observation,
                  "snap, chunked: last queries whose attention scores the tokens")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--chunk", args->config.base.chunk, "chunked: prefill chunk length")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--scope", args->scope, "head (each head chooses) or layer (heads share)")
      ->check(CLI::IsMember({"head", "layer"}));
  cmd->add_option("--cache-prompts", args->cachePrompts,
                  "With recycling: CSV of prompts whose K/V is stored after each method's "
                  "eviction; each prompt sharing a prefix with one loads it");
  cmd->add_option("--evicted-store", args->evictedStore,
                  "Folder for the evicted prefixes (default: beside --db, DB-evicted)");
  cmd->add_option("--template", args->config.promptTemplate, "Prompt template");
  cmd->add_option("--name", args->config.name, "Run name");
  cmd->add_flag("--quiet", args->quiet, "No progress on stderr");
  cmd->callback([args, &action] {
    action = [args] {
      EvictionRunConfig config = args->config;
      config.methods = parseMethods(args->methods);
      config.base.scope = *parseEvictionScope(args->scope);  // checked by the parser
      try {
        evictionGrid(config);
      } catch (const Error& e) {
        throw UsageError(e.what());
      }
      const PromptSet prompts = readPromptCsv(args->prompts);
      if (!args->cachePrompts.empty()) {
        config.cachePrompts = readPromptCsv(args->cachePrompts);
        config.evictedStoreDir = args->evictedStore.empty()
                                     ? std::filesystem::path(args->db + "-evicted")
                                     : std::filesystem::path(args->evictedStore);
      }
      const auto model = loadModel(args->model);
      RunStore store(args->db);
      EvictionRunCallbacks callbacks;
      callbacks.cancel = cancelOnSignals();
      if (!args->quiet) {
        callbacks.progress = [](int done, int total, const std::string& id) {
          if (done < total)
            std::cerr << "evict: prompt " << done + 1 << "/" << total << " " << id << std::endl;
        };
      }
      const EvictionRunOutcome outcome =
          runEvictionExperiment(*model, prompts, config, store, callbacks);
      if (model->config().synthetic) {
        std::cerr << "note: synthetic model: random weights attend almost uniformly, so these "
                     "curves show the mechanics and the footprint, not quality\n";
      }
      for (const EvictionSummaryRow& row : outcome.summary) {
        nlohmann::ordered_json line = nlohmann::ordered_json::parse(evictionSummaryRowJson(row));
        line["run_id"] = outcome.runId;
        printJson(line);
      }
      for (const EvictedRecyclingRow& row : outcome.recycled) {
        nlohmann::ordered_json line = nlohmann::ordered_json::parse(evictedRecyclingRowJson(row));
        line["run_id"] = outcome.runId;
        printJson(line);
      }
      if (outcome.status != RunStatus::Completed) {
        std::cerr << "error: run " << outcome.runId << " was " << runStatusName(outcome.status)
                  << "; its completed rows are stored in " << args->db << std::endl;
        return 1;
      }
      return 0;
    };
  });
}

}  // namespace kvr::cli
