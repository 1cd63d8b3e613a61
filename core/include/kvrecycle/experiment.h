#pragma once
// The experiment: build the K/V cache from the cache prompts, then for every
// test prompt run the baseline (full prefill + greedy decode) and the recycled
// generation (load the K/V of a matching cached prefix, prefill the rest,
// decode), timed with warm-up and repeats, and store each result as it completes.
#include <atomic>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "kvrecycle/embedders.h"
#include "kvrecycle/kv_dtype.h"
#include "kvrecycle/prompt_set.h"
#include "kvrecycle/results.h"
#include "kvrecycle/store_budget.h"

namespace kvr {

class Model;
class RunStore;

// Where a timed K/V load reads from: the page cache as the store left it
// (warm), or the disk, after the entry's pages were dropped (cold).
enum class PageCacheMode { Warm, Cold };
const char* pageCacheModeName(PageCacheMode mode);          // "warm", "cold"
PageCacheMode parsePageCacheMode(const std::string& name);  // throws kvr::Error

// How a cached entry is chosen for a test prompt (see experiment/reuse_planner.h).
enum class ReusePolicy { LongestPrefix, Paper };
const char* reusePolicyName(ReusePolicy policy);        // "longest-prefix", "paper"
ReusePolicy parseReusePolicy(const std::string& name);  // throws kvr::Error when unknown

// offline - the study: the cache set fills the store, then the test prompts are measured;
// online  - the test prompts are processed in order and each one's K/V (prompt
//           and generated tokens) is admitted to the store after it, so later
//           prompts can reuse it; a cache set, when given, is admitted first.
enum class RunMode { Offline, Online };
const char* runModeName(RunMode mode);          // "offline", "online"
RunMode parseRunMode(const std::string& name);  // throws kvr::Error when unknown

struct NoiseSettings {
  // A repeat is disturbed when the two arms' decode times (identical outputs)
  // differ by more than this fraction; it is measured again, up to maxRemeasure times.
  double decodeThreshold = 0.05;
  int maxRemeasure = 3;
  // Slack past a physical bound, as a fraction of the baseline TTFT, before a
  // reading is flagged noisy.
  double boundTolerance = 0.10;
};

struct ExperimentConfig {
  std::string name;                                 // "" = "run <created time>"
  std::vector<std::string> tags;                    // stored with the run (e.g. a sweep cell's)
  ReusePolicy policy = ReusePolicy::LongestPrefix;  // Paper: the study's rule
  int minReuse = 1;  // longest-prefix: reuse only r >= minReuse tokens
  int maxNewTokens = 32;
  bool ignoreEos = false;
  int repeats = 3;  // measured runs per prompt and mode (median and spread reported)
  int warmup = 1;   // unmeasured runs per prompt and mode before them
  NoiseSettings noise;
  PageCacheMode kvPageCache = PageCacheMode::Warm;
  EmbedderKind embedder = EmbedderKind::Hashed;
  std::string promptTemplate = "{prompt}";
  std::filesystem::path storeDirectory;  // the K/V store
  std::string cachePromptsSource;        // CSV paths, recorded with the run
  RunMode mode = RunMode::Offline;
  int admitMinTokens = 0;  // online: admit only prompts of at least this many tokens (0: all)
  // Test prompts are conversation turns (ids s<S>-t<T>, DialoGPT text): each
  // turn's history is rebuilt from the model's own replies to the earlier
  // turns, as a chat server would (experiment/conversation.h).
  bool conversation = false;
  // Resident K/V bytes allowed in the store (0: no budget); persisted with the
  // store, kKeepStoreBudget keeps the persisted one.
  int64_t storeBudgetBytes = kKeepStoreBudget;
  EvictionPolicy eviction = EvictionPolicy::Lru;
  // Precision of the entries this run writes (kvrecycle/kv_dtype.h). The
  // recycled arm's exactness fields then measure the fidelity against fp32:
  // identical tokens, first divergence, max |logit difference| on the first step.
  KVDtype kvDtype = KVDtype::F32;
  std::string testPromptsSource;
  // The cost model (issue 11 item 5): calibrated and stored per model and
  // machine beside the store; when on, a prompt recycles only when the
  // predicted recycled TTFT is below the predicted baseline TTFT x (1 - margin).
  bool costModel = false;
  double costModelMargin = 0.05;
};

// Checks the settings; throws kvr::Error naming the bad one.
void validateExperimentConfig(const ExperimentConfig& config);
std::vector<std::string> policyNames();

enum class ProgressPhase { Cache, Test };            // building the K/V cache, measuring
const char* progressPhaseName(ProgressPhase phase);  // "cache", "test"

struct ExperimentProgress {
  ProgressPhase phase = ProgressPhase::Cache;
  int done = 0;
  int total = 0;
  std::string detail;  // the prompt being worked on
};

struct ExperimentCallbacks {
  std::function<void(const ExperimentProgress&)> progress;
  std::function<void(int64_t runId)> started;
  std::function<void(const PromptResult&)> promptDone;  // after it is stored
  std::function<void(const std::string&)> log;
};

struct ExperimentOutcome {
  int64_t runId = 0;
  RunStatus status = RunStatus::Completed;
  RunSummary summary;
};

// Validates every prompt first (a bad input creates no run), then runs.
// Cancellation is checked between decode steps and between prompts; a
// cancelled run keeps its completed results. Other failures mark the run
// failed, keep its results, and rethrow.
ExperimentOutcome runExperiment(const Model& model, const PromptSet& cachePrompts,
                                const PromptSet& testPrompts, const ExperimentConfig& config,
                                RunStore& store, const ExperimentCallbacks& callbacks = {},
                                const std::atomic<bool>* cancel = nullptr);

// Where a measurement ran (host, CPU, threads, device, library versions), as a
// JSON object: stored with every run and printed with every benchmark row.
std::string machineInfoJson(const Model& model);

}  // namespace kvr
