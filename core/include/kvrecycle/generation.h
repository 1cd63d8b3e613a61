#pragma once
// Greedy generation on top of a K/V cache that may already hold a prefix of
// the prompt: the prefix is not recomputed, the rest is prefilled, then decoded.
#include <atomic>
#include <functional>
#include <vector>

#include "kvrecycle/model.h"

namespace kvr {

struct GenerationOptions {
  int maxNewTokens = 32;
  bool ignoreEos = false;
  // Keep the logits that chose the first N output tokens (-1: all). Copies made
  // after the first token count towards decode time, so timed runs keep at most 1.
  int keepLogitsSteps = 0;
  // Checked between decode steps; generation stops early when set.
  const std::atomic<bool>* cancel = nullptr;
};

struct GenerationResult {
  std::vector<int> outputIds;
  int reusedTokens = 0;       // prompt tokens found in the cache, not recomputed
  double prefillSeconds = 0;  // time to first token
  double decodeSeconds = 0;   // the remaining tokens
  bool stoppedAtEos = false;
  bool cancelled = false;
  std::vector<std::vector<float>> stepLogits;  // one per kept output step
};

// The cache's tokens must be a proper prefix of `promptIds` (at least one
// prompt token is always computed); otherwise kvr::Error. Checks that the
// prompt plus maxNewTokens fit the cache.
GenerationResult generateGreedy(const Model& model, KVCache& cache,
                                const std::vector<int>& promptIds,
                                const GenerationOptions& options);

}  // namespace kvr
