#include "kvrecycle/experiment.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <optional>

#include <nlohmann/json.hpp>

#include "experiment/cache_builder.h"
#include "experiment/conversation.h"
#include "experiment/cost_calibration.h"
#include "experiment/prompt_loop.h"
#include "experiment/prompt_tokens.h"
#include "kv/resident_store.h"
#include "kvrecycle/embedders.h"
#include "kvrecycle/error.h"
#include "kvrecycle/kv_store.h"
#include "kvrecycle/model.h"
#include "kvrecycle/run_store.h"
#include "kvrecycle/system_info.h"
#include "kvrecycle/timestamps.h"

namespace kvr {
namespace {

// Tokens of every prompt as fed to the model; errors name the file, line and prompt.
std::vector<std::vector<int>> tokenizeSet(const Model& model, const PromptSet& set,
                                          const ExperimentConfig& config, bool isTest) {
  std::vector<std::vector<int>> all;
  for (const Prompt& p : set.prompts) {
    std::vector<int> tokens = tokenizeFor(model, set, p, config.promptTemplate, p.text);
    requireFits(model, set, p, tokens.size(), isTest ? config.maxNewTokens : 0);
    all.push_back(std::move(tokens));
  }
  return all;
}

// budgetBytes: the budget in force (the persisted one when the run kept it).
std::string configJson(const ExperimentConfig& c, const Model& model, int64_t budgetBytes) {
  nlohmann::ordered_json j;
  j["policy"] = reusePolicyName(c.policy);
  j["min_reuse"] = c.minReuse;
  j["max_new_tokens"] = c.maxNewTokens;
  j["ignore_eos"] = c.ignoreEos;
  j["repeats"] = c.repeats;
  j["warmup"] = c.warmup;
  j["noise_threshold"] = c.noise.decodeThreshold;
  j["max_remeasure"] = c.noise.maxRemeasure;
  j["bound_tolerance"] = c.noise.boundTolerance;
  j["kv_page_cache"] = pageCacheModeName(c.kvPageCache);
  j["embedder"] = embedderKindName(c.embedder);
  j["prompt_template"] = c.promptTemplate;
  j["store"] = c.storeDirectory.string();
  j["cache_prompts"] = c.cachePromptsSource;
  j["test_prompts"] = c.testPromptsSource;
  j["mode"] = runModeName(c.mode);
  j["admit_min_tokens"] = c.admitMinTokens;
  j["conversation"] = c.conversation;
  j["store_budget_bytes"] = budgetBytes;
  j["eviction"] = evictionPolicyName(c.eviction);
  j["kv_dtype"] = kvDtypeName(c.kvDtype);
  j["cost_model"] = c.costModel ? "on" : "off";
  j["cost_model_margin"] = c.costModelMargin;
  j["model"] = model.directory().string();
  j["weights"] = model.weightsFile().filename().string();
  j["model_preset"] = model.config().syntheticPreset;
  j["n_layer"] = model.config().nLayer;
  j["n_embd"] = model.config().nEmbd;
  j["n_head"] = model.config().nHead;
  j["parameters"] = model.config().parameterCount();
  j["device"] = model.deviceName();
  return j.dump();
}

bool cancelled(const std::atomic<bool>* cancel) {
  return cancel != nullptr && cancel->load();
}

}  // namespace

std::string machineInfoJson(const Model& model) {
  const SystemInfo s = systemInfo();
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  nlohmann::ordered_json j;
  j["hostname"] = host;
  j["cpu_model"] = s.cpuModel;
  j["logical_cores"] = s.logicalCores;
  j["threads"] = model.threads();
  j["threading"] = model.threading();
  j["forward"] = model.forwardKernels();
  j["weights_dtype"] = weightsDtypeName(model.weightsDtype());
  j["device"] = model.deviceName();
  j["cuda_available"] = s.cudaAvailable;
  j["torch_version"] = s.torchVersion;
  j["compiler"] = s.compiler;
  j["kvrecycle_version"] = s.kvrecycleVersion;
  // Provenance of a run made by a Slurm job (e.g. a sweep's array task).
  const auto env = [](const char* name) {
    const char* v = std::getenv(name);
    return std::string(v == nullptr ? "" : v);
  };
  if (!env("SLURM_JOB_ID").empty()) {
    j["slurm"] = {{"job_id", env("SLURM_JOB_ID")},
                  {"array_job_id", env("SLURM_ARRAY_JOB_ID")},
                  {"array_task_id", env("SLURM_ARRAY_TASK_ID")},
                  {"cluster", env("SLURM_CLUSTER_NAME")},
                  {"node", env("SLURMD_NODENAME")}};
  }
  return j.dump();
}

const char* runModeName(RunMode mode) {
  return mode == RunMode::Online ? "online" : "offline";
}

RunMode parseRunMode(const std::string& name) {
  if (name == "offline") return RunMode::Offline;
  if (name == "online") return RunMode::Online;
  throw Error("unknown run mode '" + name + "' (expected offline or online)");
}

const char* pageCacheModeName(PageCacheMode mode) {
  return mode == PageCacheMode::Cold ? "cold" : "warm";
}

PageCacheMode parsePageCacheMode(const std::string& name) {
  if (name == "warm") return PageCacheMode::Warm;
  if (name == "cold") return PageCacheMode::Cold;
  throw Error("unknown K/V page cache mode '" + name + "' (expected warm or cold)");
}

const char* reusePolicyName(ReusePolicy policy) {
  return policy == ReusePolicy::Paper ? "paper" : "longest-prefix";
}

ReusePolicy parseReusePolicy(const std::string& name) {
  if (name == "longest-prefix") return ReusePolicy::LongestPrefix;
  if (name == "paper") return ReusePolicy::Paper;
  throw Error("unknown policy '" + name + "' (expected paper or longest-prefix)");
}

const char* progressPhaseName(ProgressPhase phase) {
  return phase == ProgressPhase::Test ? "test" : "cache";
}

std::vector<std::string> policyNames() {
  return {"longest-prefix", "paper"};
}

void validateExperimentConfig(const ExperimentConfig& c) {
  if (c.minReuse < 1) throw Error("min reuse must be at least 1 token");
  if (c.maxNewTokens < 1) throw Error("max new tokens must be at least 1");
  if (c.repeats < 1) throw Error("repeats must be at least 1");
  if (c.warmup < 0) throw Error("warm-up runs cannot be negative");
  if (!(c.noise.decodeThreshold > 0)) throw Error("the noise threshold must be above 0");
  if (c.noise.maxRemeasure < 0) throw Error("re-measurements cannot be negative");
  if (!(c.noise.boundTolerance >= 0)) throw Error("the bound tolerance cannot be negative");
  if (c.storeDirectory.empty()) throw Error("no K/V store directory given");
  if (c.admitMinTokens < 0) throw Error("the admission threshold cannot be negative");
  if (c.storeBudgetBytes < kKeepStoreBudget) throw Error("a store budget cannot be negative");
  if (!(c.costModelMargin >= 0 && c.costModelMargin < 1)) {
    throw Error("the cost model margin must be at least 0 and below 1");
  }
  validatePromptTemplate(c.promptTemplate);
}

ExperimentOutcome runExperiment(const Model& model, const PromptSet& cachePrompts,
                                const PromptSet& testPrompts, const ExperimentConfig& config,
                                RunStore& store, const ExperimentCallbacks& callbacks,
                                const std::atomic<bool>* cancel) {
  validateExperimentConfig(config);
  if (testPrompts.prompts.empty()) throw Error(testPrompts.source + ": no test prompts");
  const auto cacheTokens = tokenizeSet(model, cachePrompts, config, false);
  std::vector<std::vector<int>> testTokens;
  if (config.conversation) {
    validateConversation(testPrompts);  // turns are tokenized as the conversation unfolds
  } else {
    testTokens = tokenizeSet(model, testPrompts, config, true);
  }
  const auto embedder = makeEmbedder(config.embedder, model);
  KVStore kvStore(config.storeDirectory);
  CalibrationRequest calibration{config.kvDtype, config.kvPageCache, config.warmup, config.repeats};
  std::optional<CostModel> costModel =
      costModelForRun(model, config.storeDirectory, calibration, config.costModel, callbacks.log);
  ResidentStore::Settings storeSettings{
      config.eviction, config.storeBudgetBytes, config.kvDtype, {}};
  if (costModel) {  // the value policy prices entries with the fitted model
    const ModelConfig& mc = model.config();
    const int64_t perPosition =
        storedBytesPerPosition(mc.nLayer, mc.nHead, mc.nEmbd, config.kvDtype);
    storeSettings.savedSeconds = [&costModel, &config, perPosition](int depth) {
      return reuseSavingSeconds(*costModel, depth, perPosition * depth, config.kvDtype,
                                config.kvPageCache);
    };
  }
  ResidentStore resident(kvStore, model, storeSettings, callbacks.log);

  RunRecord record;
  record.name = config.name.empty() ? "run " + utcNowIso8601() : config.name;
  record.tags = config.tags;
  record.modelPath = model.directory().string();
  record.modelFingerprint = model.fingerprint();
  record.synthetic = model.config().synthetic;
  record.configJson = configJson(config, model, resident.budget());
  record.machineJson = machineInfoJson(model);
  record.plannedPrompts = static_cast<int>(testPrompts.prompts.size());
  ExperimentOutcome outcome;
  const auto summaryOf = [&](const std::vector<PromptResult>& done) {
    RunSummary summary = summarizeResults(done);
    summary.plannedPrompts = record.plannedPrompts;
    return summary;
  };
  outcome.runId = store.createRun(record);
  if (callbacks.started) callbacks.started(outcome.runId);

  std::vector<PromptResult> results;
  try {
    std::vector<CachedPrompt> cached =
        buildCache(model, {&cachePrompts, &cacheTokens, config.kvDtype}, kvStore, store, *embedder,
                   callbacks, cancel);
    bool stopped = cancelled(cancel);
    if (!stopped) {
      // The cache set is admitted like any entry; the budget may evict part of it.
      for (const CachedPrompt& c : cached) resident.adopt(kvStore.inspect(c.entryId));
      resident.enforceBudget();
      const size_t built = cached.size();
      cached.erase(
          std::remove_if(cached.begin(), cached.end(),
                         [&](const CachedPrompt& c) { return !resident.resident(c.entryId); }),
          cached.end());
      const ResidentStore::Changes changes = resident.takeChanges();
      for (const std::string& id : changes.removed) store.removeCacheEntry(id);
      for (const KVEntryInfo& info : changes.added)
        store.upsertCacheEntry(cacheEntryRecordOf(info));
      std::optional<EmbeddingIndex> index;
      if (cached.size() == built) index = loadOrBuildIndex(cached, *embedder, kvStore, callbacks);
      CostModel* gate = config.costModel && costModel ? &*costModel : nullptr;
      const PromptLoopInput input{&model,    &testPrompts,   &testTokens, &config,       &kvStore,
                                  &resident, embedder.get(), &store,      outcome.runId, gate};
      stopped =
          runPromptLoop(input, std::move(cached), std::move(index), callbacks, cancel, results);
      // What the run measured refines the stored fit for the next run.
      if (gate != nullptr) saveCostModel(costModelFile(config.storeDirectory), *gate);
    }
    outcome.status = stopped ? RunStatus::Cancelled : RunStatus::Completed;
    outcome.summary = summaryOf(results);
    store.finishRun(outcome.runId, outcome.status, summaryToJson(outcome.summary));
  } catch (const std::exception& e) {
    try {
      store.finishRun(outcome.runId, RunStatus::Failed, summaryToJson(summaryOf(results)),
                      e.what());
    } catch (const std::exception&) {
      // The original error matters more than a failure to record it.
    }
    throw;
  }
  return outcome;
}

}  // namespace kvr
