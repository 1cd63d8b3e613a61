#pragma once
// K/V eviction inside one generation, judged by its KV footprint (GUIDE §7,
// arXiv 2506.17121): which cached entries a method keeps, how many entries it
// holds over the steps of a generation, and what that costs in fidelity
// against the full cache.
#include <cstdint>
#include <vector>

#include "kvrecycle/eviction_settings.h"
#include "kvrecycle/model.h"

namespace kvr {

// One pass of a model over a prompt and its continuation under eviction.
struct EvictedPass {
  std::vector<int> outputIds;                  // generated tokens, or the reference fed
  std::vector<std::vector<float>> stepLogits;  // the logits before each output token
  // KV footprint: over every token step, the live entries (token x layer x
  // head) that step's query could attend to; prefill counts token by token.
  int64_t footprint = 0;
  int64_t peakEntries = 0;  // the most live entries held at once
};

// Greedy generation of exactly `newTokens` tokens (end-of-text does not stop
// it, so every method runs the same number of steps). keepLogits keeps each step's logits.
EvictedPass generateEvicted(const Model& model, const std::vector<int>& prompt,
                            const EvictionSettings& settings, int newTokens, bool keepLogits);

// Teacher forcing: feeds `reference` after the prompt and keeps the logits that predict each
// of its tokens.
EvictedPass forceEvicted(const Model& model, const std::vector<int>& prompt,
                         const EvictionSettings& settings, const std::vector<int>& reference);

struct EvictionReference {
  EvictedPass greedy;  // full's greedy output and footprint
  EvictedPass forced;  // full's logits along the reference
  double nll = 0;
};

// `reference`: the continuation to score; empty = full's own greedy output.
EvictionReference evictionReference(const Model& model, const std::vector<int>& prompt,
                                    int newTokens, const std::vector<int>& reference);

EvictionFidelity evaluateEviction(const Model& model, const std::vector<int>& prompt,
                                  const EvictionSettings& settings, const EvictionReference& full);

}  // namespace kvr
