#include "kvrecycle/weights_fidelity.h"

#include <algorithm>
#include <cmath>

#include "kvrecycle/error.h"
#include "kvrecycle/generation.h"

namespace kvr {
namespace {

std::vector<int> greedy(const Model& model, const std::vector<int>& prompt, int newTokens) {
  GenerationOptions options;
  options.maxNewTokens = newTokens;
  options.ignoreEos = true;
  const auto cache = model.newCache();
  return generateGreedy(model, *cache, prompt, options).outputIds;
}

// Logits of every position of `sequence`, [sequence.size(), vocab].
std::vector<float> allLogits(const Model& model, const std::vector<int>& sequence) {
  const auto cache = model.newCache(static_cast<int>(sequence.size()));
  return model.forward(*cache, sequence, /*allLogits=*/true);
}

}  // namespace

WeightsFidelity measureWeightsFidelity(const Model& reference, const Model& candidate,
                                       const std::vector<int>& prompt, int newTokens) {
  const ModelConfig& c = reference.config();
  if (c.toJson() != candidate.config().toJson()) {
    throw Error("weights fidelity: the two models differ in architecture");
  }
  if (prompt.empty() || newTokens < 1 ||
      static_cast<int>(prompt.size()) + newTokens > c.nPositions) {
    throw Error("weights fidelity: the prompt plus " + std::to_string(newTokens) +
                " new tokens must fit the context of " + std::to_string(c.nPositions));
  }
  WeightsFidelity f;
  f.promptTokens = static_cast<int>(prompt.size());
  const std::vector<int> expected = greedy(reference, prompt, newTokens);
  const std::vector<int> got = greedy(candidate, prompt, newTokens);
  f.generatedTokens = static_cast<int>(expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    const bool same = i < got.size() && got[i] == expected[i];
    f.greedyAgreement += same ? 1 : 0;
    if (!same && f.firstDivergence < 0) f.firstDivergence = static_cast<int>(i);
  }

  // The positions that chose output token i: the prompt's last, then each output but the last.
  std::vector<int> sequence = prompt;
  sequence.insert(sequence.end(), expected.begin(), expected.end() - 1);
  const std::vector<float> a = allLogits(reference, sequence);
  const std::vector<float> b = allLogits(candidate, sequence);
  const size_t vocab = static_cast<size_t>(c.vocabSize);
  int agree = 0;
  float low = INFINITY, high = -INFINITY;
  for (size_t pos = prompt.size() - 1; pos < sequence.size(); ++pos) {
    const float* ra = a.data() + pos * vocab;
    const float* rb = b.data() + pos * vocab;
    agree += std::max_element(ra, ra + vocab) - ra == std::max_element(rb, rb + vocab) - rb;
    for (size_t v = 0; v < vocab; ++v) {
      const double delta = std::fabs(static_cast<double>(ra[v]) - rb[v]);
      // A NaN or infinity on either side is the largest possible difference.
      f.maxAbsLogitDelta = std::isfinite(delta) ? std::max(f.maxAbsLogitDelta, delta) : INFINITY;
      low = std::min(low, ra[v]);
      high = std::max(high, ra[v]);
    }
  }
  f.teacherForcedTop1Agreement = static_cast<double>(agree) / f.generatedTokens;
  f.referenceLogitSpread = static_cast<double>(high) - low;
  return f;
}

}  // namespace kvr
