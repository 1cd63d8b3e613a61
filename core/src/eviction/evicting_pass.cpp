// One pass of the model under an eviction method: the forward pass attends only
// to live entries (model/attention_hooks.h), and after each forward the method
// decides which entries stay live. Footprint and peak are counted as it goes.
#include <algorithm>
#include <memory>

#include "eviction/evicted_prefix.h"
#include "eviction/key_selection.h"
#include "kvrecycle/error.h"
#include "kvrecycle/eviction.h"
#include "model/model_impl.h"

namespace kvr {
namespace {

constexpr int kPoolKernel = 7;  // SnapKV's pooling width

class EvictingCache {
 public:
  EvictingCache(const Model& model, int capacity, const EvictionSettings& settings)
      : model_(model),
        settings_(settings),
        cache_(model.newCache(capacity)),
        mask_(model.config().nLayer, model.config().nHead, cache_->capacity()),
        tap_(model.config().nLayer, model.config().nHead, cache_->capacity()) {
    KVCache::Impl& impl = EngineAccess::of(*cache_);
    if (settings.method != EvictionMethod::Full) impl.keyMask = &mask_;
  }

  int length() const { return cache_->length(); }

  // Runs `tokens`, counting each one's step: the live entries before it plus
  // the new ones up to it, in every layer and head.
  std::vector<float> forward(const std::vector<int>& tokens) {
    const int64_t before = liveEntries();
    const int64_t n = static_cast<int64_t>(tokens.size());
    const int64_t perToken = static_cast<int64_t>(mask_.layers) * mask_.heads;
    pass_.footprint += n * before + perToken * n * (n + 1) / 2;
    pass_.peakEntries = std::max(pass_.peakEntries, before + perToken * n);
    return model_.forward(*cache_, tokens);
  }

  // Scores from the queries at positions >= from (the tap accumulates from then on).
  void tapFrom(int from) {
    std::fill(tap_.sums.begin(), tap_.sums.end(), 0.0f);
    tap_.fromPosition = from;
    EngineAccess::of(*cache_).tap = &tap_;
  }
  void stopTap() { EngineAccess::of(*cache_).tap = nullptr; }

  // Applies the method's selection to every layer (and head) over [0, length).
  void evict() {
    const int length = cache_->length();
    for (int l = 0; l < mask_.layers; ++l) {
      if (settings_.scope == EvictionScope::PerHead) {
        for (int h = 0; h < mask_.heads; ++h) select(mask_.row(l, h), tap_.row(l, h), length);
      } else {
        std::vector<float> pooled(static_cast<size_t>(length), 0.0f);
        for (int h = 0; h < mask_.heads; ++h) {
          const float* scores = tap_.row(l, h);
          for (int p = 0; p < length; ++p) pooled[static_cast<size_t>(p)] += scores[p];
        }
        select(mask_.row(l, 0), pooled.data(), length);
        for (int h = 1; h < mask_.heads; ++h) {
          std::copy_n(mask_.row(l, 0), length, mask_.row(l, h));
        }
      }
    }
  }

  EvictedPass& pass() { return pass_; }

  // The live entries of every layer and head, for storing as a recycled prefix.
  EvictedPrefix keptEntries() const {
    const KVCache::Impl& impl = EngineAccess::of(*cache_);
    EvictedPrefix kept;
    kept.tokens = impl.tokens;
    kept.layers = mask_.layers;
    kept.heads = mask_.heads;
    kept.headDim = model_.config().headDim();
    const int n = cache_->length();
    const auto dim = static_cast<size_t>(kept.headDim);
    kept.live.reserve(static_cast<size_t>(kept.layers) * kept.heads * n);
    for (int l = 0; l < kept.layers; ++l) {
      // [heads, capacity, headDim]; on CUDA this copies the layer to the host.
      const at::Tensor keys = impl.keys[static_cast<size_t>(l)].to(at::kCPU).contiguous();
      const at::Tensor values = impl.values[static_cast<size_t>(l)].to(at::kCPU).contiguous();
      for (int h = 0; h < kept.heads; ++h) {
        const uint8_t* live = mask_.row(l, h);
        for (int p = 0; p < n; ++p) {
          kept.live.push_back(live[p]);
          if (live[p] == 0) continue;
          const size_t at = (static_cast<size_t>(h) * impl.capacity + p) * dim;
          kept.keys.insert(kept.keys.end(), keys.data_ptr<float>() + at,
                           keys.data_ptr<float>() + at + dim);
          kept.values.insert(kept.values.end(), values.data_ptr<float>() + at,
                             values.data_ptr<float>() + at + dim);
        }
      }
    }
    return kept;
  }

 private:
  int64_t liveEntries() const {
    const int length = cache_->length();
    int64_t live = 0;
    for (int l = 0; l < mask_.layers; ++l) {
      for (int h = 0; h < mask_.heads; ++h) live += eviction::liveCount(mask_.row(l, h), length);
    }
    return live;
  }

  void select(uint8_t* live, const float* scores, int length) const {
    const int budget = settings_.budget;
    switch (settings_.method) {
      case EvictionMethod::Full:
        return;
      case EvictionMethod::Window:
        eviction::keepWindow(live, length, budget, settings_.sinks);
        return;
      case EvictionMethod::Heavy:
        eviction::keepTopScored(live, length, budget, settings_.recentWindow(), scores);
        return;
      case EvictionMethod::Snap:
      case EvictionMethod::Chunked: {
        const std::vector<float> pooled = eviction::maxPooled(scores, length, kPoolKernel);
        eviction::keepTopScored(live, length, budget, settings_.recentWindow(), pooled.data());
        return;
      }
    }
  }

  const Model& model_;
  const EvictionSettings& settings_;
  std::unique_ptr<KVCache> cache_;
  KeyMask mask_;
  AttentionTap tap_;
  EvictedPass pass_;
};

int argmax(const std::vector<float>& logits) {
  return static_cast<int>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

// The prompt, with the method's eviction during and after it; returns the last logits.
std::vector<float> prefill(EvictingCache& cache, const std::vector<int>& prompt,
                           const EvictionSettings& s) {
  const int m = static_cast<int>(prompt.size());
  switch (s.method) {
    case EvictionMethod::Full:
      return cache.forward(prompt);
    case EvictionMethod::Window: {
      std::vector<float> logits = cache.forward(prompt);
      cache.evict();
      return logits;
    }
    case EvictionMethod::Heavy: {  // attention accumulates over the whole pass
      cache.tapFrom(0);
      std::vector<float> logits = cache.forward(prompt);
      cache.evict();
      return logits;
    }
    case EvictionMethod::Snap: {
      cache.tapFrom(std::max(0, m - s.observation));
      std::vector<float> logits = cache.forward(prompt);
      cache.evict();
      cache.stopTap();
      return logits;
    }
    case EvictionMethod::Chunked: {
      std::vector<float> logits;
      for (int from = 0; from < m; from += s.chunk) {
        const int to = std::min(m, from + s.chunk);
        cache.tapFrom(std::max(from, to - s.observation));
        logits = cache.forward(std::vector<int>(prompt.begin() + from, prompt.begin() + to));
        cache.evict();
      }
      cache.stopTap();
      return logits;
    }
  }
  return {};
}

// After each decode step Window and Heavy evict again; Snap and Chunked only append.
bool evictsWhileDecoding(EvictionMethod method) {
  return method == EvictionMethod::Window || method == EvictionMethod::Heavy;
}

template <typename NextToken>
EvictedPass runPass(const Model& model, const std::vector<int>& prompt,
                    const EvictionSettings& settings, int steps, bool keepLogits,
                    NextToken nextToken) {
  settings.validate();
  if (prompt.empty()) throw Error("the prompt has no tokens");
  if (steps < 1) throw Error("an eviction pass needs at least one new token");
  const int capacity = static_cast<int>(prompt.size()) + steps;
  if (capacity - 1 > model.config().nPositions) {
    throw Error("prompt of " + std::to_string(prompt.size()) + " tokens plus " +
                std::to_string(steps) + " new tokens exceeds the model's context of " +
                std::to_string(model.config().nPositions));
  }
  EvictingCache cache(model, std::min(capacity, model.config().nPositions), settings);
  std::vector<float> logits = prefill(cache, prompt, settings);
  EvictedPass& pass = cache.pass();
  for (int step = 0; step < steps; ++step) {
    const int token = nextToken(step, logits);
    pass.outputIds.push_back(token);
    if (keepLogits) pass.stepLogits.push_back(std::move(logits));
    if (step + 1 == steps) break;
    logits = cache.forward({token});
    if (evictsWhileDecoding(settings.method)) cache.evict();
  }
  return std::move(pass);
}

}  // namespace

EvictedPass generateEvicted(const Model& model, const std::vector<int>& prompt,
                            const EvictionSettings& settings, int newTokens, bool keepLogits) {
  return runPass(model, prompt, settings, newTokens, keepLogits,
                 [](int, const std::vector<float>& logits) { return argmax(logits); });
}

EvictedPrefix captureEvictedPrefix(const Model& model, const std::vector<int>& tokens,
                                   const EvictionSettings& settings) {
  settings.validate();
  if (tokens.empty()) throw Error("the prefix has no tokens");
  if (static_cast<int>(tokens.size()) > model.config().nPositions) {
    throw Error("a prefix of " + std::to_string(tokens.size()) +
                " tokens exceeds the model's context of " +
                std::to_string(model.config().nPositions));
  }
  EvictingCache cache(model, static_cast<int>(tokens.size()), settings);
  prefill(cache, tokens, settings);
  return cache.keptEntries();
}

EvictedPass forceEvicted(const Model& model, const std::vector<int>& prompt,
                         const EvictionSettings& settings, const std::vector<int>& reference) {
  return runPass(model, prompt, settings, static_cast<int>(reference.size()), true,
                 [&reference](int step, const std::vector<float>&) {
                   return reference[static_cast<size_t>(step)];
                 });
}

}  // namespace kvr
