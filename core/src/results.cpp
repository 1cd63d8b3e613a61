#include "kvrecycle/results.h"

namespace kvr {
namespace {

double mean(double sum, int count) {
  return count > 0 ? sum / count : 0.0;
}

}  // namespace

RunSummary summarizeResults(const std::vector<PromptResult>& results) {
  RunSummary s;
  s.prompts = static_cast<int>(results.size());
  double speedup = 0, withCache = 0, withoutCache = 0, outputSim = 0, promptSim = 0;
  double baseline = 0, recycled = 0, ttft = 0, fitXY = 0, fitXX = 0;
  int exact = 0;
  for (const PromptResult& r : results) {
    const bool hit = r.reusedTokens > 0 && r.fallbackReason.empty();
    s.cacheHits += hit ? 1 : 0;
    s.tokensReused += hit ? r.reusedTokens : 0;
    s.fallbacks += r.fallbackReason.empty() ? 0 : 1;
    s.highSimilarityPrompts += r.promptSimilarity > 0.8 ? 1 : 0;
    exact += r.exactMatch ? 1 : 0;
    speedup += r.speedupPct;
    (hit ? withCache : withoutCache) += r.speedupPct;
    outputSim += r.outputSimilarity;
    promptSim += r.promptSimilarity;
    baseline += r.baselineTotalSeconds;
    recycled += r.recycledTotalSeconds;
    ttft += r.ttftSpeedup;
    // S = alpha * (k / m), least squares through the origin; k = 0 where nothing was reused.
    const double x =
        r.promptTokens > 0 && hit ? static_cast<double>(r.reusedTokens) / r.promptTokens : 0.0;
    fitXY += x * r.speedupPct;
    fitXX += x * x;
  }
  s.avgSpeedupPct = mean(speedup, s.prompts);
  s.avgSpeedupWithCachePct = mean(withCache, s.cacheHits);
  s.avgSpeedupWithoutCachePct = mean(withoutCache, s.prompts - s.cacheHits);
  s.avgOutputSimilarity = mean(outputSim, s.prompts);
  s.avgPromptSimilarity = mean(promptSim, s.prompts);
  s.latencyBaselineAvgSeconds = mean(baseline, s.prompts);
  s.latencyRecycledAvgSeconds = mean(recycled, s.prompts);
  s.exactMatchRate = s.prompts > 0 ? static_cast<double>(exact) / s.prompts : 0.0;
  s.avgTtftSpeedup = mean(ttft, s.prompts);
  s.alpha = fitXX > 0 ? fitXY / fitXX : 0.0;
  return s;
}

}  // namespace kvr
