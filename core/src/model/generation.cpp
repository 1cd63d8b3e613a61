#include "kvrecycle/generation.h"

#include <algorithm>
#include <cmath>

#include "kvrecycle/error.h"
#include "kvrecycle/timestamps.h"
#include "model/model_impl.h"

namespace kvr {
namespace {

void checkRequest(const Model& model, const KVCache& cache, const std::vector<int>& prompt,
                  const GenerationOptions& options) {
  if (prompt.empty()) throw Error("the prompt has no tokens");
  if (options.maxNewTokens < 1) throw Error("max new tokens must be at least 1");
  const int needed = static_cast<int>(prompt.size()) + options.maxNewTokens - 1;
  if (needed > cache.capacity()) {
    throw Error("prompt of " + std::to_string(prompt.size()) + " tokens plus " +
                std::to_string(options.maxNewTokens) + " new tokens exceeds the context of " +
                std::to_string(cache.capacity()) + " positions (model " +
                std::to_string(model.config().nPositions) + ")");
  }
  const std::vector<int>& cached = cache.tokens();
  if (cached.size() >= prompt.size() || !std::equal(cached.begin(), cached.end(), prompt.begin())) {
    throw Error("the K/V cache holds " + std::to_string(cached.size()) +
                " tokens that are not a proper prefix of the " + std::to_string(prompt.size()) +
                "-token prompt");
  }
}

// Greedy choice: the first index on ties, as torch's argmax, so results are
// deterministic; a NaN wins (torch treats NaN as the maximum), so a poisoned
// row is never mistaken for a valid choice.
int argmaxToken(const float* row, int size) {
  int best = 0;
  for (int i = 0; i < size; ++i) {
    if (std::isnan(row[i])) return i;
    if (row[i] > row[best]) best = i;
  }
  return best;
}

}  // namespace

GenerationResult generateGreedy(const Model& model, KVCache& cache,
                                const std::vector<int>& promptIds,
                                const GenerationOptions& options) {
  checkRequest(model, cache, promptIds, options);
  const Model::Impl& impl = EngineAccess::of(model);
  GenerationResult result;
  const int vocab = model.config().vocabSize;
  result.reusedTokens = cache.length();

  const Stopwatch prefill;
  KVCache::Impl& kv = EngineAccess::of(cache);
  const int reused = cache.length();
  const float* logits = impl.forward(kv, promptIds.data() + reused,
                                     static_cast<int>(promptIds.size()) - reused, false);
  int token = argmaxToken(logits, vocab);
  result.prefillSeconds = prefill.seconds();
  const auto wantLogits = [&options](size_t step) {
    return options.keepLogitsSteps < 0 || step < static_cast<size_t>(options.keepLogitsSteps);
  };
  const auto keepLogits = [&](const float* row) {
    result.stepLogits.emplace_back(row, row + vocab);
  };
  if (wantLogits(0)) keepLogits(logits);

  const Stopwatch decode;
  while (true) {
    result.outputIds.push_back(token);
    if (token == model.config().eosTokenId && !options.ignoreEos) {
      result.stoppedAtEos = true;
      break;
    }
    if (static_cast<int>(result.outputIds.size()) >= options.maxNewTokens) break;
    if (options.cancel != nullptr && options.cancel->load()) {
      result.cancelled = true;
      break;
    }
    logits = impl.forward(kv, &token, 1, false);
    token = argmaxToken(logits, vocab);
    if (wantLogits(result.outputIds.size())) keepLogits(logits);
  }
  result.decodeSeconds = decode.seconds();
  return result;
}

}  // namespace kvr
