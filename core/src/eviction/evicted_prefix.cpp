// Loading a stored evicted prefix into a fresh cache and generating from it.
#include "eviction/evicted_prefix.h"

#include <algorithm>

#include "kvrecycle/error.h"
#include "model/attention_hooks.h"
#include "model/model_impl.h"

namespace kvr {

int64_t EvictedPrefix::liveEntries(int upTo) const {
  const int n = static_cast<int>(tokens.size());
  upTo = std::clamp(upTo, 0, n);
  int64_t count = 0;
  for (size_t row = 0; row < static_cast<size_t>(layers) * heads; ++row) {
    const uint8_t* mask = live.data() + row * n;
    count += std::count(mask, mask + upTo, uint8_t{1});
  }
  return count;
}

int64_t EvictedPrefix::loadBytes(int upTo) const {
  const int64_t mask =
      static_cast<int64_t>(layers) * heads * std::clamp<int64_t>(upTo, 0, tokens.size());
  return liveEntries(upTo) * headDim * 2 * static_cast<int64_t>(sizeof(float)) + mask;
}

int64_t EvictedPrefix::fullBytes(int upTo) const {
  const int64_t n = std::clamp<int64_t>(upTo, 0, tokens.size());
  return static_cast<int64_t>(layers) * heads * n * headDim * 2 *
         static_cast<int64_t>(sizeof(float));
}

EvictedPass generateFromEvictedPrefix(const Model& model, const EvictedPrefix& prefix, int reuse,
                                      const std::vector<int>& prompt, int newTokens) {
  const ModelConfig& config = model.config();
  if (prefix.layers != config.nLayer || prefix.heads != config.nHead ||
      prefix.headDim != config.headDim()) {
    throw Error("the stored prefix was made for another model shape");
  }
  if (reuse < 1 || reuse >= static_cast<int>(prompt.size()) ||
      reuse > static_cast<int>(prefix.tokens.size()) ||
      !std::equal(prompt.begin(), prompt.begin() + reuse, prefix.tokens.begin())) {
    throw Error("the prompt does not start with " + std::to_string(reuse) +
                " tokens of the stored prefix, with a suffix left to compute");
  }
  if (newTokens < 1) throw Error("generation needs at least one new token");
  const int capacity = static_cast<int>(prompt.size()) + newTokens;
  if (capacity - 1 > config.nPositions) {
    throw Error("prompt of " + std::to_string(prompt.size()) + " tokens plus " +
                std::to_string(newTokens) + " new tokens exceeds the model's context of " +
                std::to_string(config.nPositions));
  }
  std::unique_ptr<KVCache> cache = model.newCache(std::min(capacity, config.nPositions));
  KVCache::Impl& impl = EngineAccess::of(*cache);
  KeyMask mask(prefix.layers, prefix.heads, impl.capacity);
  const int n = static_cast<int>(prefix.tokens.size());
  const auto dim = static_cast<size_t>(prefix.headDim);
  size_t entry = 0;  // index of the next stored entry, in storage order
  for (int l = 0; l < prefix.layers; ++l) {
    at::Tensor keys = at::zeros({prefix.heads, impl.capacity, prefix.headDim}, at::kFloat);
    at::Tensor values = at::zeros_like(keys);
    for (int h = 0; h < prefix.heads; ++h) {
      const uint8_t* live = prefix.live.data() + (static_cast<size_t>(l) * prefix.heads + h) * n;
      uint8_t* attends = mask.row(l, h);
      for (int p = 0; p < n; ++p) {
        if (live[p] == 0) {
          if (p < reuse) attends[p] = 0;
          continue;
        }
        if (p < reuse) {  // entries past the reused part are never read
          const size_t at = (static_cast<size_t>(h) * impl.capacity + p) * dim;
          std::copy_n(prefix.keys.data() + entry * dim, dim, keys.data_ptr<float>() + at);
          std::copy_n(prefix.values.data() + entry * dim, dim, values.data_ptr<float>() + at);
        }
        ++entry;
      }
    }
    impl.keys[static_cast<size_t>(l)].copy_(keys);  // to the cache's device
    impl.values[static_cast<size_t>(l)].copy_(values);
  }
  impl.tokens.assign(prompt.begin(), prompt.begin() + reuse);
  impl.noteWritten(reuse);
  impl.keyMask = &mask;

  EvictedPass pass;
  std::vector<float> logits =
      model.forward(*cache, std::vector<int>(prompt.begin() + reuse, prompt.end()));
  for (int step = 0; step < newTokens; ++step) {
    const int token =
        static_cast<int>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    pass.outputIds.push_back(token);
    pass.stepLogits.push_back(logits);
    if (step + 1 == newTokens) break;
    logits = model.forward(*cache, {token});
  }
  return pass;
}

}  // namespace kvr
