#include "kvrecycle/eviction_run.h"

#include <nlohmann/json.hpp>

#include "experiment/prompt_tokens.h"
#include "kvrecycle/error.h"
#include "kvrecycle/evicted_recycling.h"
#include "kvrecycle/eviction.h"
#include "kvrecycle/experiment.h"
#include "kvrecycle/timestamps.h"

namespace kvr {
namespace {

struct PromptTokens {
  std::vector<int> prompt;
  std::vector<int> reference;  // empty: full's greedy output is the reference
  int newTokens = 0;
};

std::vector<PromptTokens> tokenize(const Model& model, const PromptSet& set,
                                   const EvictionRunConfig& config) {
  std::vector<PromptTokens> all;
  for (size_t i = 0; i < set.prompts.size(); ++i) {
    const Prompt& p = set.prompts[i];
    const std::string reference = i < set.references.size() ? set.references[i] : "";
    PromptTokens t;
    t.prompt = tokenizeFor(model, set, p, config.promptTemplate, p.text);
    if (!reference.empty()) t.reference = tokenizeFor(model, set, p, "{prompt}", reference);
    if (t.reference.size() > static_cast<size_t>(config.maxNewTokens)) {
      t.reference.resize(static_cast<size_t>(config.maxNewTokens));
    }
    t.newTokens = t.reference.empty() ? config.maxNewTokens : static_cast<int>(t.reference.size());
    requireFits(model, set, p, t.prompt.size(), t.newTokens);
    all.push_back(std::move(t));
  }
  return all;
}

bool cancelled(const std::atomic<bool>* cancel) {
  return cancel != nullptr && cancel->load();
}

}  // namespace

std::vector<EvictionSettings> evictionGrid(const EvictionRunConfig& config) {
  if (config.maxNewTokens < 1) throw Error("max new tokens must be at least 1");
  if (config.methods.empty()) throw Error("no eviction methods to measure");
  std::vector<EvictionSettings> grid;
  for (EvictionMethod method : config.methods) {
    EvictionSettings s = config.base;
    s.method = method;
    if (method == EvictionMethod::Full) {
      s.budget = 0;
      grid.push_back(s);
      continue;
    }
    if (config.budgets.empty()) throw Error("no budgets for the eviction methods");
    for (int budget : config.budgets) {
      s.budget = budget;
      s.validate();
      grid.push_back(s);
    }
  }
  return grid;
}

std::string evictionConfigJson(const EvictionRunConfig& c) {
  nlohmann::ordered_json j;
  j["kind"] = "eviction";
  j["methods"] = nlohmann::ordered_json::array();
  for (EvictionMethod m : c.methods) j["methods"].push_back(evictionMethodName(m));
  j["budgets"] = c.budgets;
  j["sinks"] = c.base.sinks;
  j["recent"] = c.base.recent;
  j["observation"] = c.base.observation;
  j["chunk"] = c.base.chunk;
  j["scope"] = evictionScopeName(c.base.scope);
  j["max_new_tokens"] = c.maxNewTokens;
  j["prompt_template"] = c.promptTemplate;
  if (!c.cachePrompts.prompts.empty()) {
    j["recycle_cache_prompts"] = c.cachePrompts.source;
    j["evicted_store"] = c.evictedStoreDir.string();
  }
  return j.dump();
}

EvictionRunOutcome runEvictionExperiment(const Model& model, const PromptSet& prompts,
                                         const EvictionRunConfig& config, RunStore& store,
                                         const EvictionRunCallbacks& callbacks) {
  const std::vector<EvictionSettings> grid = evictionGrid(config);
  const std::vector<PromptTokens> tokens = tokenize(model, prompts, config);
  if (!config.cachePrompts.prompts.empty() && config.evictedStoreDir.empty()) {
    throw Error("recycling evicted prefixes needs a folder to store them in");
  }

  RunRecord record;
  record.kind = RunKind::Eviction;
  record.name = config.name.empty() ? "eviction " + utcNowIso8601() : config.name;
  record.modelPath = model.directory().string();
  record.modelFingerprint = model.fingerprint();
  record.synthetic = model.config().synthetic;
  record.configJson = evictionConfigJson(config);
  record.machineJson = machineInfoJson(model);
  record.plannedPrompts = static_cast<int>(prompts.prompts.size());
  EvictionRunOutcome outcome;
  outcome.runId = store.createRun(record);
  if (callbacks.started) callbacks.started(outcome.runId);

  std::vector<EvictionResultRow> rows;
  try {
    const int total = static_cast<int>(prompts.prompts.size());
    bool stopped = false;
    for (int i = 0; i < total && !stopped; ++i) {
      const Prompt& prompt = prompts.prompts[static_cast<size_t>(i)];
      const PromptTokens& t = tokens[static_cast<size_t>(i)];
      if (callbacks.progress) callbacks.progress(i, total, prompt.id);
      const EvictionReference full = evictionReference(model, t.prompt, t.newTokens, t.reference);
      for (const EvictionSettings& s : grid) {
        if (cancelled(callbacks.cancel)) {
          stopped = true;
          break;
        }
        EvictionResultRow row;
        row.promptIndex = i;
        row.promptId = prompt.id;
        row.method = s.method;
        row.budget = s.budget;
        row.promptTokens = static_cast<int>(t.prompt.size());
        row.newTokens = t.newTokens;
        row.fidelity = evaluateEviction(model, t.prompt, s, full);
        store.addEvictionResult(outcome.runId, row);
        rows.push_back(row);
        if (callbacks.rowDone) callbacks.rowDone(row);
      }
    }
    if (!stopped && !config.cachePrompts.prompts.empty()) {
      EvictedRecyclingCallbacks recycling;
      recycling.cancel = callbacks.cancel;
      if (callbacks.progress) {
        recycling.progress = [&](int done, int settings) {
          if (done < settings) callbacks.progress(total, total, "recycling evicted prefixes");
        };
      }
      outcome.recycled = runEvictedRecycling(model, config.cachePrompts, prompts, config,
                                             config.evictedStoreDir, recycling);
      stopped = cancelled(callbacks.cancel);
    }
    if (callbacks.progress && !stopped) callbacks.progress(total, total, "");
    outcome.status = stopped ? RunStatus::Cancelled : RunStatus::Completed;
    outcome.summary = summarizeEviction(rows);
    store.finishRun(outcome.runId, outcome.status,
                    evictionSummaryJson(outcome.summary, outcome.recycled));
  } catch (const std::exception& e) {
    try {
      store.finishRun(outcome.runId, RunStatus::Failed,
                      evictionSummaryJson(summarizeEviction(rows)), e.what());
    } catch (const std::exception&) {
      // The original error matters more than a failure to record it.
    }
    throw;
  }
  return outcome;
}

}  // namespace kvr
