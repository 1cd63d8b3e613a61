#pragma once
// The test-prompt loop of a run, offline or online: plan the reuse among the
// resident entries, measure, record the hit, admit the prompt's K/V (online),
// sample the store, store the result. In online mode the set of entries the
// planner sees changes with every admission and eviction, so the planner (trie
// and embedding index) is rebuilt whenever it changed.
#include <atomic>
#include <optional>
#include <vector>

#include "experiment/cached_prompt.h"
#include "kvrecycle/experiment.h"
#include "retrieval/embedding_index.h"

namespace kvr {

class CostModel;
class Embedder;
class KVStore;
class Model;
class ResidentStore;

struct PromptLoopInput {
  const Model* model = nullptr;
  const PromptSet* test = nullptr;
  const std::vector<std::vector<int>>* testTokens = nullptr;  // unused for conversations
  const ExperimentConfig* config = nullptr;
  const KVStore* kvStore = nullptr;
  ResidentStore* resident = nullptr;
  const Embedder* embedder = nullptr;
  RunStore* runStore = nullptr;
  int64_t runId = 0;
  // The cost model when the run uses it (nullptr: off); every prompt's
  // measured prefill and load are added to it, so it follows the machine.
  CostModel* costModel = nullptr;
};

// `candidates` are the resident entries a prompt may reuse (the cache set);
// `index` their persisted embedding index, when it matches them. Returns
// whether the run was cancelled; `results` gets every stored result.
bool runPromptLoop(const PromptLoopInput& input, std::vector<CachedPrompt> candidates,
                   std::optional<EmbeddingIndex> index, const ExperimentCallbacks& callbacks,
                   const std::atomic<bool>* cancel, std::vector<PromptResult>& results);

}  // namespace kvr
