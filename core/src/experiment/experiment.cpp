#include "kvrecycle/experiment.h"

#include <unistd.h>

#include <algorithm>

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
  j["policy"] = c.policy;
  j["min_reuse"] = c.minReuse;
  j["max_new_tokens"] = c.maxNewTokens;
  j["ignore_eos"] = c.ignoreEos;
  j["repeats"] = c.repeats;
  j["warmup"] = c.warmup;
  j["embedder"] = c.embedder;
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
  j["device"] = model.deviceName();
  j["cuda_available"] = s.cudaAvailable;
  j["torch_version"] = s.torchVersion;
  j["compiler"] = s.compiler;
  j["kvrecycle_version"] = s.kvrecycleVersion;
  return j.dump();
}

std::vector<std::string> policyNames() {
  return {"longest-prefix", "paper"};
}

void validateExperimentConfig(const ExperimentConfig& c) {
  if (c.policy != "paper" && c.policy != "longest-prefix") {
    throw Error("unknown policy '" + c.policy + "' (expected paper or longest-prefix)");
  }
  if (c.minReuse < 1) throw Error("min reuse must be at least 1 token");
  if (c.maxNewTokens < 1) throw Error("max new tokens must be at least 1");
  if (c.repeats < 1) throw Error("repeats must be at least 1");
  if (c.warmup < 0) throw Error("warm-up runs cannot be negative");
  if (c.storeDirectory.empty()) throw Error("no K/V store directory given");
  validatePromptTemplate(c.promptTemplate);
  const auto names = embedderNames();
  if (std::find(names.begin(), names.end(), c.embedder) == names.end()) {
    throw Error("unknown embedder '" + c.embedder + "' (expected hashed or model)");
  }
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
  ExperimentOutcome outcome;
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
      const auto cache = model.newCache();
      const MeasurementContext context{&model, &kvStore, embedder.get(), &config, &cached, cancel};
      const int total = static_cast<int>(testPrompts.prompts.size());
      for (int i = 0; i < total && !stopped; ++i) {
        const Prompt& prompt = testPrompts.prompts[static_cast<size_t>(i)];
        if (callbacks.progress) callbacks.progress({"test", i, total, prompt.id});
        const ReusePlan plan = planner.plan(testTokens[i], embedder->embed(prompt.text));
        PromptResult r = measurePrompt(context, testTokens[i], plan, *cache, stopped);
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
      if (callbacks.progress && !stopped) callbacks.progress({"test", total, total, ""});
    }
    outcome.status = stopped ? RunStatus::Cancelled : RunStatus::Completed;
    outcome.summary = summarizeResults(results);
    store.finishRun(outcome.runId, outcome.status, summaryToJson(outcome.summary));
  } catch (const std::exception& e) {
    try {
      store.finishRun(outcome.runId, RunStatus::Failed, summaryToJson(summarizeResults(results)),
                      e.what());
    } catch (const std::exception&) {
      // The original error matters more than a failure to record it.
    }
    throw;
  }
  return outcome;
}

std::string summaryToJson(const RunSummary& s) {
  nlohmann::ordered_json j;
  j["prompts"] = s.prompts;
  j["cache_hits"] = s.cacheHits;
  j["tokens_reused"] = s.tokensReused;
  j["avg_speedup_pct"] = s.avgSpeedupPct;
  j["avg_speedup_with_cache_pct"] = s.avgSpeedupWithCachePct;
  j["avg_speedup_without_cache_pct"] = s.avgSpeedupWithoutCachePct;
  j["avg_output_similarity"] = s.avgOutputSimilarity;
  j["avg_prompt_similarity"] = s.avgPromptSimilarity;
  j["high_similarity_prompts"] = s.highSimilarityPrompts;
  j["latency_baseline_avg_s"] = s.latencyBaselineAvgSeconds;
  j["latency_recycled_avg_s"] = s.latencyRecycledAvgSeconds;
  j["exact_match_rate"] = s.exactMatchRate;
  j["avg_ttft_speedup"] = s.avgTtftSpeedup;
  j["alpha"] = s.alpha;
  j["fallbacks"] = s.fallbacks;
  return j.dump();
}

RunSummary summaryFromJson(const std::string& json) {
  RunSummary s;
  if (json.empty()) return s;
  const nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
  if (!j.is_object()) return s;
  s.prompts = j.value("prompts", 0);
  s.cacheHits = j.value("cache_hits", 0);
  s.tokensReused = j.value("tokens_reused", int64_t{0});
  s.avgSpeedupPct = j.value("avg_speedup_pct", 0.0);
  s.avgSpeedupWithCachePct = j.value("avg_speedup_with_cache_pct", 0.0);
  s.avgSpeedupWithoutCachePct = j.value("avg_speedup_without_cache_pct", 0.0);
  s.avgOutputSimilarity = j.value("avg_output_similarity", 0.0);
  s.avgPromptSimilarity = j.value("avg_prompt_similarity", 0.0);
  s.highSimilarityPrompts = j.value("high_similarity_prompts", 0);
  s.latencyBaselineAvgSeconds = j.value("latency_baseline_avg_s", 0.0);
  s.latencyRecycledAvgSeconds = j.value("latency_recycled_avg_s", 0.0);
  s.exactMatchRate = j.value("exact_match_rate", 0.0);
  s.avgTtftSpeedup = j.value("avg_ttft_speedup", 0.0);
  s.alpha = j.value("alpha", 0.0);
  s.fallbacks = j.value("fallbacks", 0);
  return s;
}

}  // namespace kvr
