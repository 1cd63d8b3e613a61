#include "kvrecycle/experiment.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "experiment/cache_builder.h"
#include "experiment/prompt_measurement.h"
#include "experiment/reuse_planner.h"
#include "kvrecycle/embedders.h"
#include "kvrecycle/error.h"
#include "kvrecycle/kv_store.h"
#include "kvrecycle/model.h"
#include "kvrecycle/run_store.h"
#include "kvrecycle/system_info.h"
#include "kvrecycle/timestamps.h"

namespace kvr {
namespace {

std::string where(const PromptSet& set, const Prompt& prompt) {
  return set.source + ":" + std::to_string(prompt.line) + ": prompt '" + prompt.id + "'";
}

// Tokens of every prompt as fed to the model; errors name the file, line and prompt.
std::vector<std::vector<int>> tokenizeSet(const Model& model, const PromptSet& set,
                                          const ExperimentConfig& config, bool isTest) {
  const int context = model.config().nPositions;
  std::vector<std::vector<int>> all;
  for (const Prompt& p : set.prompts) {
    std::vector<int> tokens;
    try {
      tokens = model.tokenizer().encode(applyPromptTemplate(config.promptTemplate, p.text));
    } catch (const Error& e) {
      throw Error(where(set, p) + ": " + e.what());
    }
    if (tokens.empty()) throw Error(where(set, p) + ": has no tokens");
    const int needed = static_cast<int>(tokens.size()) + (isTest ? config.maxNewTokens - 1 : 0);
    if (needed > context) {
      throw Error(where(set, p) + ": " + std::to_string(tokens.size()) + " tokens" +
                  (isTest ? " plus " + std::to_string(config.maxNewTokens) + " new tokens" : "") +
                  " exceed the model's context of " + std::to_string(context));
    }
    all.push_back(std::move(tokens));
  }
  return all;
}

std::string configJson(const ExperimentConfig& c, const Model& model) {
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
  j["device"] = model.deviceName();
  j["cuda_available"] = s.cudaAvailable;
  j["torch_version"] = s.torchVersion;
  j["compiler"] = s.compiler;
  j["kvrecycle_version"] = s.kvrecycleVersion;
  return j.dump();
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
  validatePromptTemplate(c.promptTemplate);
}

ExperimentOutcome runExperiment(const Model& model, const PromptSet& cachePrompts,
                                const PromptSet& testPrompts, const ExperimentConfig& config,
                                RunStore& store, const ExperimentCallbacks& callbacks,
                                const std::atomic<bool>* cancel) {
  validateExperimentConfig(config);
  if (testPrompts.prompts.empty()) throw Error(testPrompts.source + ": no test prompts");
  const auto cacheTokens = tokenizeSet(model, cachePrompts, config, false);
  const auto testTokens = tokenizeSet(model, testPrompts, config, true);
  const auto embedder = makeEmbedder(config.embedder, model);
  KVStore kvStore(config.storeDirectory);

  RunRecord record;
  record.name = config.name.empty() ? "run " + utcNowIso8601() : config.name;
  record.modelPath = model.directory().string();
  record.modelFingerprint = model.fingerprint();
  record.synthetic = model.config().synthetic;
  record.configJson = configJson(config, model);
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
    const std::vector<CachedPrompt> cached = buildCache(
        model, {&cachePrompts, &cacheTokens}, kvStore, store, *embedder, callbacks, cancel);
    bool stopped = cancelled(cancel);
    if (!stopped) {
      const ReusePlanner planner(config.policy, config.minReuse, cached,
                                 loadOrBuildIndex(cached, *embedder, kvStore, callbacks));
      const auto baselineCache = model.newCache();
      const auto recycledCache = model.newCache();
      const ArmCaches caches{baselineCache.get(), recycledCache.get()};
      const MeasurementContext context{&model, &kvStore, embedder.get(), &config, &cached, cancel};
      const int total = static_cast<int>(testPrompts.prompts.size());
      for (int i = 0; i < total && !stopped; ++i) {
        const Prompt& prompt = testPrompts.prompts[static_cast<size_t>(i)];
        if (callbacks.progress) callbacks.progress({ProgressPhase::Test, i, total, prompt.id});
        const ReusePlan plan = planner.plan(testTokens[i], embedder->embed(prompt.text));
        PromptResult r = measurePrompt(context, testTokens[i], plan, caches, stopped);
        stopped = stopped || cancelled(cancel);
        if (stopped) break;
        r.index = i;
        r.promptId = prompt.id;
        r.promptText = prompt.text;
        if (!r.fallbackReason.empty() && callbacks.log) {
          callbacks.log("prompt '" + prompt.id +
                        "' fell back to a full prefill: " + r.fallbackReason);
        }
        store.addPromptResult(outcome.runId, r);
        results.push_back(r);
        if (callbacks.promptDone) callbacks.promptDone(r);
      }
      if (callbacks.progress && !stopped)
        callbacks.progress({ProgressPhase::Test, total, total, ""});
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
