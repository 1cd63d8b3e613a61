// A method against the full cache on the same prompt: greedy agreement, logit
// differences and the reference's likelihood under teacher forcing, footprint.
#include <algorithm>
#include <cmath>

#include "kvrecycle/error.h"
#include "kvrecycle/eviction.h"

namespace kvr {
namespace {

// Mean over steps of -log p(reference token), in nats.
double meanNll(const EvictedPass& forced) {
  double total = 0;
  for (size_t i = 0; i < forced.stepLogits.size(); ++i) {
    const std::vector<float>& logits = forced.stepLogits[i];
    const double top = *std::max_element(logits.begin(), logits.end());
    double sum = 0;
    for (float x : logits) sum += std::exp(static_cast<double>(x) - top);
    total += top + std::log(sum) - logits[static_cast<size_t>(forced.outputIds[i])];
  }
  return forced.stepLogits.empty() ? 0 : total / static_cast<double>(forced.stepLogits.size());
}

}  // namespace

EvictionReference evictionReference(const Model& model, const std::vector<int>& prompt,
                                    int newTokens, const std::vector<int>& reference) {
  EvictionReference full;
  const EvictionSettings none;
  full.greedy = generateEvicted(model, prompt, none, newTokens, false);
  full.forced =
      forceEvicted(model, prompt, none, reference.empty() ? full.greedy.outputIds : reference);
  full.nll = meanNll(full.forced);
  return full;
}

EvictionFidelity evaluateEviction(const Model& model, const std::vector<int>& prompt,
                                  const EvictionSettings& settings, const EvictionReference& full) {
  const int newTokens = static_cast<int>(full.greedy.outputIds.size());
  const EvictedPass greedy = generateEvicted(model, prompt, settings, newTokens, false);
  const EvictedPass forced = forceEvicted(model, prompt, settings, full.forced.outputIds);

  EvictionFidelity f;
  f.footprint = greedy.footprint;
  f.footprintRatio = full.greedy.footprint > 0 ? static_cast<double>(greedy.footprint) /
                                                     static_cast<double>(full.greedy.footprint)
                                               : 1.0;
  f.peakEntries = greedy.peakEntries;
  const ModelConfig& c = model.config();
  f.peakBytes = greedy.peakEntries * 2 * c.headDim() * static_cast<int64_t>(sizeof(float));

  int same = 0;
  for (int i = 0; i < newTokens; ++i) {
    const bool equal =
        greedy.outputIds[static_cast<size_t>(i)] == full.greedy.outputIds[static_cast<size_t>(i)];
    same += equal ? 1 : 0;
    if (!equal && f.firstDivergence < 0) f.firstDivergence = i;
  }
  f.tokenAgreement = newTokens > 0 ? static_cast<double>(same) / newTokens : 1.0;

  double sum = 0;
  size_t count = 0;
  for (size_t s = 0; s < forced.stepLogits.size(); ++s) {
    const std::vector<float>& a = forced.stepLogits[s];
    const std::vector<float>& b = full.forced.stepLogits[s];
    for (size_t v = 0; v < a.size(); ++v) {
      const double d = std::abs(static_cast<double>(a[v]) - b[v]);
      sum += d;
      f.maxLogitDiff = std::max(f.maxLogitDiff, d);
    }
    count += a.size();
  }
  f.meanLogitDiff = count > 0 ? sum / static_cast<double>(count) : 0;
  f.nll = meanNll(forced);
  f.nllDelta = f.nll - full.nll;
  return f;
}

}  // namespace kvr
