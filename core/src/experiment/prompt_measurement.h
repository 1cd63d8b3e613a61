#pragma once
// Times one test prompt: baseline and recycled generation, interleaved over
// warm-up and repeats, and compares their outputs.
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

// Fills every measured field of a PromptResult (ids and texts come from the caller).
// Sets `cancelled` when the cancel flag stopped a generation part-way.
PromptResult measurePrompt(const MeasurementContext& context, const std::vector<int>& tokens,
                           const ReusePlan& plan, KVCache& cache, bool& cancelled);

}  // namespace kvr
