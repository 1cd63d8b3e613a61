#pragma once
// Measures one test prompt: baseline vs recycled generation as paired,
// alternated repeats (paired_measurement.h), then medians and spreads, the
// exactness verdict, and the checks that tell a reading from noise.
#include <atomic>
#include <string>
#include <vector>

#include "experiment/cached_prompt.h"
#include "experiment/reuse_planner.h"
#include "kvrecycle/experiment.h"

namespace kvr {

class Embedder;
class KVCache;
class KVStore;
class Model;

struct MeasurementContext {
  const Model* model = nullptr;
  const KVStore* kvStore = nullptr;
  const Embedder* embedder = nullptr;
  const ExperimentConfig* config = nullptr;
  const std::vector<CachedPrompt>* cached = nullptr;
  const std::atomic<bool>* cancel = nullptr;
};

// The two arms' K/V buffers; separate, so the recycled arm can never read
// what the baseline computed.
struct ArmCaches {
  KVCache* baseline = nullptr;
  KVCache* recycled = nullptr;
};

// Loads `length` positions of a store entry into the empty `cache`, timing only
// the load; with a cold page cache the entry's pages are dropped first (untimed)
// and `pageCache` says whether that took effect ("cold", "cold-failed"), else "warm".
double timedStoreLoad(const KVStore& store, const Model& model, const std::string& entryId,
                      int length, KVCache& cache, PageCacheMode mode, std::string& pageCache);

// The TTFT of the recycled path alone (load of `reuse` positions + prefill of
// the rest, first token included), median over the run's repeats after its
// warm-up; NaN when the load fails. Times the path a cost model declined.
double measureRecycledTtft(const MeasurementContext& context, const std::vector<int>& tokens,
                           const std::string& entryId, int reuse, KVCache& cache);

// The measured fields that need no text: reuse, fallback, medians and
// spreads, output ids, exactness, first divergence and logit difference.
struct PairedMeasurement;
void applyPairs(PromptResult& result, const PairedMeasurement& measurement);

// Fills every measured field of a PromptResult (ids and texts come from the caller).
// Sets `cancelled` when the cancel flag stopped a generation part-way.
PromptResult measurePrompt(const MeasurementContext& context, const std::vector<int>& tokens,
                           const ReusePlan& plan, const ArmCaches& caches, bool& cancelled);

}  // namespace kvr
