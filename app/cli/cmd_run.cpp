// run: the experiment, stored in SQLite; prints the study's table plus
// exactness, and a final JSON line for scripts.
#include <csignal>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "cli_common.h"
#include "kvrecycle/error.h"
#include "kvrecycle/experiment.h"
#include "kvrecycle/model.h"
#include "kvrecycle/paths.h"
#include "kvrecycle/run_export.h"
#include "kvrecycle/run_store.h"

namespace kvr::cli {
namespace {

std::atomic<bool> gInterrupted{false};

void onSignal(int) {
  gInterrupted.store(true);
}

std::string fixed(double v, int digits) {
  std::ostringstream ss;
  ss << std::fixed << std::setprecision(digits) << v;
  return ss.str();
}

void printPromptLine(const PromptResult& r) {
  std::cout << "  [" << r.index + 1 << "] " << r.promptId << ": m=" << r.promptTokens
            << " k=" << r.reusedTokens << " ttft " << fixed(r.baselineTtftSeconds, 4) << " -> "
            << fixed(r.recycledTtftSeconds, 4) << " s (TTFT speedup " << fixed(r.ttftSpeedup, 2)
            << " x), total " << fixed(r.baselineTotalSeconds, 4) << " -> "
            << fixed(r.recycledTotalSeconds, 4) << " s (end-to-end " << fixed(r.speedupPct, 1)
            << " %), " << (r.storeAdmission.empty() ? "" : "store: " + r.storeAdmission + ", ")
            << (r.historyDroppedTurns > 0
                    ? std::to_string(r.historyDroppedTurns) + " oldest turns dropped, "
                    : "")
            << (!r.exactnessTested() ? "exactness not tested (k=0)"
                : r.exactMatch
                    ? "exact"
                    : "NOT EXACT (first divergence at " + std::to_string(r.firstDivergence) + ")")
            << (r.fallbackReason.empty() ? "" : ", fallback: " + r.fallbackReason)
            << (r.noisy ? ", NOISY: " + r.noiseReason : "") << std::endl;
}

}  // namespace

void registerRun(CLI::App& app, Action& action) {
  struct Args {
    ModelOptions model;
    std::string cachePrompts, testPrompts, db, store;
    ExperimentConfig config;
    std::string policy = "longest-prefix", embedder = "hashed";
    std::string mode = "offline", storeBudget, eviction = "lru", kvDtype = "fp32";
    NoiseOptions noise;
    bool quiet = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("run", "Run a baseline vs recycled experiment");
  addModelOptions(*cmd, args->model);
  cmd->add_option("--cache-prompts", args->cachePrompts,
                  "CSV of prompts whose K/V are stored (required offline)");
  cmd->add_option("--test-prompts", args->testPrompts, "CSV of prompts to measure")->required();
  cmd->add_option("--db", args->db, "SQLite run store")->required();
  cmd->add_option("--store", args->store, "K/V store directory (default: beside the DB)");
  cmd->add_option("--policy", args->policy, "paper or longest-prefix")
      ->check(CLI::IsMember(policyNames()));
  cmd->add_option("--min-reuse", args->config.minReuse, "Fewest tokens worth reusing")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--max-new-tokens", args->config.maxNewTokens, "Tokens to generate")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--ignore-eos", args->config.ignoreEos, "Do not stop at <|endoftext|>");
  cmd->add_option("--repeats", args->config.repeats, "Measured runs per prompt and mode")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--warmup", args->config.warmup, "Unmeasured runs before them")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--embedder", args->embedder, "hashed or model")
      ->check(CLI::IsMember(embedderNames()));
  cmd->add_option("--template", args->config.promptTemplate,
                  "Prompt template, e.g. '{prompt}<|endoftext|>'");
  cmd->add_option("--name", args->config.name, "Run name");
  cmd->add_option("--mode", args->mode,
                  "offline (cache set, then test prompts) or online (each test prompt's K/V "
                  "is admitted after it)")
      ->check(CLI::IsMember({"offline", "online"}));
  cmd->add_option("--admit-min-tokens", args->config.admitMinTokens,
                  "Online: admit only prompts of at least N tokens (default: all)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--conversation", args->config.conversation,
                "Test prompts are conversation turns (ids s<S>-t<T>); histories use the "
                "model's own replies");
  cmd->add_option("--store-budget", args->storeBudget,
                  "Cap on resident K/V bytes (e.g. 64M; none = no cap; default: the store's "
                  "persisted budget)");
  cmd->add_option("--eviction", args->eviction, "lru, lfu or value")
      ->check(CLI::IsMember(evictionPolicyNames()));
  cmd->add_option("--kv-dtype", args->kvDtype,
                  "Precision of stored K/V: fp32, fp16, bf16 or int8 (per-token scales)")
      ->check(CLI::IsMember(kvDtypeNames()));
  cmd->add_flag("--quiet", args->quiet, "Only the summary");
  addNoiseOptions(*cmd, args->noise);
  cmd->callback([args, &action] {
    action = [args] {
      ExperimentConfig config = args->config;
      config.mode = parseRunMode(args->mode);
      config.eviction = parseEvictionPolicy(args->eviction);
      config.kvDtype = parseKVDtype(args->kvDtype);
      if (!args->storeBudget.empty()) config.storeBudgetBytes = parseByteSize(args->storeBudget);
      if (args->cachePrompts.empty() && config.mode == RunMode::Offline) {
        throw Error("--cache-prompts is required in offline mode");
      }
      PromptSet cache;
      cache.source = "(no cache prompts)";
      if (!args->cachePrompts.empty()) cache = readPromptCsv(args->cachePrompts);
      const PromptSet test = readPromptCsv(args->testPrompts);
      config.policy = parseReusePolicy(args->policy);  // names checked by the parser
      config.embedder = parseEmbedderKind(args->embedder);
      applyNoiseOptions(args->noise, config.noise, config.kvPageCache);
      const std::filesystem::path db = args->db;
      config.storeDirectory =
          args->store.empty() ? defaultKvStoreDirectory(db) : std::filesystem::path(args->store);
      config.cachePromptsSource = args->cachePrompts;
      config.testPromptsSource = args->testPrompts;
      validateExperimentConfig(config);
      const auto model = loadModel(args->model);
      RunStore store(db);

      ExperimentCallbacks callbacks;
      callbacks.log = [](const std::string& line) { std::cerr << "run: " << line << std::endl; };
      if (!args->quiet) {
        callbacks.progress = [](const ExperimentProgress& p) {
          if (p.done < p.total) {
            std::cerr << "run: " << progressPhaseName(p.phase) << " " << p.done + 1 << "/"
                      << p.total << " " << p.detail << std::endl;
          }
        };
        callbacks.promptDone = printPromptLine;
      }
      // Ctrl-C cancels cleanly: completed results stay stored, the run is marked cancelled.
      std::signal(SIGINT, onSignal);
      std::signal(SIGTERM, onSignal);
      const ExperimentOutcome outcome =
          runExperiment(*model, cache, test, config, store, callbacks, &gInterrupted);

      std::cout << "\nRun " << outcome.runId << " (" << runStatusName(outcome.status) << "), model "
                << model->directory().string() << ", policy " << reusePolicyName(config.policy)
                << "\n";
      if (model->config().synthetic) std::cout << "note: " << kSyntheticNote << "\n";
      if (outcome.summary.noisyPrompts * 5 > outcome.summary.prompts) {
        std::cout << "warning: " << outcome.summary.noisyPrompts << " of "
                  << outcome.summary.prompts
                  << " prompts were noisy: the machine was busy during the run. Rerun on a "
                     "quiet machine, or with more --repeats and --max-remeasure.\n";
      }
      std::cout << "\n" << summaryMarkdown(outcome.summary) << std::endl;
      nlohmann::ordered_json line = nlohmann::ordered_json::parse(summaryToJson(outcome.summary));
      const auto runConfig = nlohmann::json::parse(store.findRun(outcome.runId)->configJson);
      line["mode"] = runModeName(config.mode);
      line["store_budget_bytes"] = runConfig.value("store_budget_bytes", int64_t{0});
      line["eviction"] = evictionPolicyName(config.eviction);
      line["kv_dtype"] = kvDtypeName(config.kvDtype);
      line["run_id"] = outcome.runId;
      line["status"] = runStatusName(outcome.status);
      printJson(line);
      if (outcome.status != RunStatus::Completed) {
        std::cerr << "error: run " << outcome.runId << " was " << runStatusName(outcome.status)
                  << "; its completed results are stored in " << db.string() << std::endl;
        return 1;
      }
      return 0;
    };
  });
}

}  // namespace kvr::cli
