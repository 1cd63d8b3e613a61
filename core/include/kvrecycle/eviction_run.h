#pragma once
// An eviction run: every prompt of a set under every method x budget,
// against the full cache, each row stored in the run store as it is measured.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "kvrecycle/eviction_settings.h"
#include "kvrecycle/eviction_summary.h"
#include "kvrecycle/model.h"
#include "kvrecycle/prompt_set.h"
#include "kvrecycle/results.h"
#include "kvrecycle/run_store.h"

namespace kvr {

struct EvictionRunConfig {
  std::string name;  // "" = "eviction <time>"
  std::vector<EvictionMethod> methods{EvictionMethod::Full, EvictionMethod::Window,
                                      EvictionMethod::Snap, EvictionMethod::Heavy,
                                      EvictionMethod::Chunked};
  std::vector<int> budgets{64, 128, 256};
  EvictionSettings base;  // sinks, recent, observation, chunk and scope for every method
  int maxNewTokens = 32;
  std::string promptTemplate = "{prompt}";
  // With recycling (kvrecycle/evicted_recycling.h): when cachePrompts has
  // prompts, each setting also stores their evicted prefixes in
  // evictedStoreDir and the run's prompts reuse them.
  PromptSet cachePrompts;
  std::filesystem::path evictedStoreDir;
};

// Every setting the run measures: full once, each other method at each
// budget. Throws kvr::Error for a setting that cannot work, before any work.
std::vector<EvictionSettings> evictionGrid(const EvictionRunConfig& config);
std::string evictionConfigJson(const EvictionRunConfig& config);

struct EvictionRunCallbacks {
  std::function<void(int64_t runId)> started;
  std::function<void(int done, int total, const std::string& promptId)> progress;
  std::function<void(const EvictionResultRow& row)> rowDone;
  const std::atomic<bool>* cancel = nullptr;  // checked between settings
};

struct EvictionRunOutcome {
  int64_t runId = 0;
  RunStatus status = RunStatus::Completed;
  std::vector<EvictionSummaryRow> summary;
  std::vector<EvictedRecyclingRow> recycled;  // empty without cache prompts
};

// Throws kvr::Error for a prompt that does not fit the context (naming it)
// before the run is created; a failure during the run marks it failed, keeps
// its stored rows and rethrows.
EvictionRunOutcome runEvictionExperiment(const Model& model, const PromptSet& prompts,
                                         const EvictionRunConfig& config, RunStore& store,
                                         const EvictionRunCallbacks& callbacks = {});

}  // namespace kvr
