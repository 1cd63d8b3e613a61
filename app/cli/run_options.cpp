#include "run_options.h"

#include <algorithm>
#include <cstdlib>

#include "kvrecycle/error.h"
#include "kvrecycle/paths.h"

namespace kvr::cli {

void addRunOptions(CLI::App& cmd, RunOptions& o) {
  addModelOptions(cmd, o.model);
  cmd.add_option("--cache-prompts", o.cachePrompts,
                 "CSV of prompts whose K/V are stored (required offline)");
  cmd.add_option("--test-prompts", o.testPrompts, "CSV of prompts to measure")->required();
  cmd.add_option("--db", o.db, "SQLite run store")->required();
  cmd.add_option("--store", o.store, "K/V store directory (default: beside the DB)");
  cmd.add_option("--policy", o.policy, "paper or longest-prefix")
      ->check(CLI::IsMember(policyNames()));
  cmd.add_option("--min-reuse", o.config.minReuse, "Fewest tokens worth reusing")
      ->check(CLI::PositiveNumber);
  cmd.add_option("--max-new-tokens", o.config.maxNewTokens, "Tokens to generate")
      ->check(CLI::PositiveNumber);
  cmd.add_flag("--ignore-eos", o.config.ignoreEos, "Do not stop at <|endoftext|>");
  cmd.add_option("--repeats", o.config.repeats, "Measured runs per prompt and mode")
      ->check(CLI::PositiveNumber);
  cmd.add_option("--warmup", o.config.warmup, "Unmeasured runs before them")
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--embedder", o.embedder, "hashed or model")
      ->check(CLI::IsMember(embedderNames()));
  cmd.add_option("--template", o.config.promptTemplate,
                 "Prompt template, e.g. '{prompt}<|endoftext|>'");
  cmd.add_option("--name", o.config.name, "Run name");
  cmd.add_option("--mode", o.mode,
                 "offline (cache set, then test prompts) or online (each test prompt's K/V "
                 "is admitted after it)")
      ->check(CLI::IsMember({"offline", "online"}));
  cmd.add_option("--admit-min-tokens", o.config.admitMinTokens,
                 "Online: admit only prompts of at least N tokens (default: all)")
      ->check(CLI::NonNegativeNumber);
  cmd.add_flag("--conversation", o.config.conversation,
               "Test prompts are conversation turns (ids s<S>-t<T>); histories use the "
               "model's own replies");
  cmd.add_option("--store-budget", o.storeBudget,
                 "Cap on resident K/V bytes (e.g. 64M; none = no cap; default: the store's "
                 "persisted budget)");
  cmd.add_option("--eviction", o.eviction, "lru, lfu or value")
      ->check(CLI::IsMember(evictionPolicyNames()));
  cmd.add_option("--kv-dtype", o.kvDtype,
                 "Precision of stored K/V: fp32, fp16, bf16 or int8 (per-token scales)")
      ->check(CLI::IsMember(kvDtypeNames()));
  cmd.add_option("--cost-model", o.costModel,
                 "on: recycle only when the cost model (calibrated once per model and machine, "
                 "stored beside the K/V store) predicts a TTFT saving")
      ->check(CLI::IsMember({"on", "off"}));
  cmd.add_option("--cost-model-margin", o.config.costModelMargin,
                 "Predicted saving needed to recycle, as a fraction of the predicted baseline "
                 "TTFT (default 0.05)")
      ->check(CLI::Range(0.0, 0.99));
  addNoiseOptions(cmd, o.noise);
}

ExperimentConfig experimentConfig(const RunOptions& o) {
  ExperimentConfig config = o.config;
  config.mode = parseRunMode(o.mode);  // names checked by the parser
  config.eviction = parseEvictionPolicy(o.eviction);
  config.kvDtype = parseKVDtype(o.kvDtype);
  config.costModel = o.costModel == "on";  // names checked by the parser
  if (!o.storeBudget.empty()) config.storeBudgetBytes = parseByteSize(o.storeBudget);
  if (o.cachePrompts.empty() && config.mode == RunMode::Offline) {
    throw UsageError("--cache-prompts is required in offline mode");
  }
  config.policy = parseReusePolicy(o.policy);
  config.embedder = parseEmbedderKind(o.embedder);
  applyNoiseOptions(o.noise, config.noise, config.kvPageCache);
  const std::filesystem::path db = o.db;
  config.storeDirectory =
      o.store.empty() ? defaultKvStoreDirectory(db) : std::filesystem::path(o.store);
  config.cachePromptsSource = o.cachePrompts;
  config.testPromptsSource = o.testPrompts;
  validateExperimentConfig(config);
  return config;
}

RunOptions parseRunArguments(const std::vector<std::string>& arguments,
                             const std::filesystem::path& base, const std::string& context) {
  CLI::App parser{"run"};
  RunOptions o;
  addRunOptions(parser, o);
  std::vector<std::string> reversed(arguments.rbegin(), arguments.rend());  // CLI11's order
  try {
    parser.parse(reversed);
  } catch (const CLI::ParseError& e) {
    throw UsageError(context + ": " + e.what());
  }
  const char* home = std::getenv("HOME");
  const auto resolve = [&base, home](std::string& path) {
    if (path.rfind("~/", 0) == 0 && home != nullptr) path = home + path.substr(1);
    if (!path.empty() && std::filesystem::path(path).is_relative()) {
      path = (base / path).lexically_normal().string();
    }
  };
  for (std::string* path :
       {&o.model.model, &o.model.tokenizerDir, &o.cachePrompts, &o.testPrompts, &o.db, &o.store}) {
    resolve(*path);
  }
  return o;
}

}  // namespace kvr::cli
