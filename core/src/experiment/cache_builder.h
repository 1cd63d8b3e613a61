#pragma once
// Builds the K/V cache of a run: one forward pass per cache prompt whose entry
// is not yet in the store (entries persist between runs), an embedding per
// prompt, and the faiss index over them, persisted beside the store.
#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "experiment/cached_prompt.h"
#include "kvrecycle/experiment.h"
#include "retrieval/embedding_index.h"

namespace kvr {

class Embedder;
class KVStore;
struct KVEntryInfo;
class Model;

struct CacheBuildInput {
  const PromptSet* prompts = nullptr;
  const std::vector<std::vector<int>>* tokens = nullptr;  // per prompt, template applied
  KVDtype dtype = KVDtype::F32;                           // of the entries it writes
};

// The run store's record of an entry.
CacheEntryRecord cacheEntryRecordOf(const KVEntryInfo& info);

// Returns the cached prompts in prompt order. Records every entry in the run store.
std::vector<CachedPrompt> buildCache(const Model& model, const CacheBuildInput& input,
                                     KVStore& kvStore, RunStore& runStore, const Embedder& embedder,
                                     const ExperimentCallbacks& callbacks,
                                     const std::atomic<bool>* cancel);

// Loads the persisted index for exactly these entries and embedder, or builds and saves it.
EmbeddingIndex loadOrBuildIndex(const std::vector<CachedPrompt>& cached, const Embedder& embedder,
                                const KVStore& kvStore, const ExperimentCallbacks& callbacks);

}  // namespace kvr
