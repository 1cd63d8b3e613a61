#include "kvrecycle/generation.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>

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

// Greedy choice; torch returns the first index on ties, so results are deterministic.
int argmaxToken(const at::Tensor& logitsRow) {
  return static_cast<int>(logitsRow.argmax().item<int64_t>());  // item() synchronizes the device
}

void keepLogits(GenerationResult& result, const at::Tensor& row) {
  const at::Tensor cpu = row.to(at::kCPU).contiguous();
  const float* data = cpu.data_ptr<float>();
  result.stepLogits.emplace_back(data, data + cpu.numel());
}

}  // namespace

GenerationResult generateGreedy(const Model& model, KVCache& cache,
                                const std::vector<int>& promptIds,
                                const GenerationOptions& options) {
  checkRequest(model, cache, promptIds, options);
  const Model::Impl& impl = EngineAccess::of(model);
  c10::InferenceMode inference;
  GenerationResult result;
  result.reusedTokens = cache.length();

  const Stopwatch prefill;
  const std::vector<int> fresh(promptIds.begin() + cache.length(), promptIds.end());
  at::Tensor logits = impl.forward(EngineAccess::of(cache), fresh, false)[0];
  int token = argmaxToken(logits);
  result.prefillSeconds = prefill.seconds();
  const auto wantLogits = [&options](size_t step) {
    return options.keepLogitsSteps < 0 || step < static_cast<size_t>(options.keepLogitsSteps);
  };
  if (wantLogits(0)) keepLogits(result, logits);

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
    logits = impl.forward(EngineAccess::of(cache), {token}, false)[0];
    token = argmaxToken(logits);
    if (wantLogits(result.outputIds.size())) keepLogits(result, logits);
  }
  result.decodeSeconds = decode.seconds();
  return result;
}

}  // namespace kvr
