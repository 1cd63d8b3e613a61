#include "kvrecycle/results.h"

#include <cmath>

#include "experiment/footprint.h"
#include "kvrecycle/stats.h"

namespace kvr {
namespace {

double mean(const std::vector<double>& values) {
  if (values.empty()) return 0.0;
  double sum = 0;
  for (const double v : values) sum += v;
  return sum / static_cast<double>(values.size());
}

Interval95 interval(const BootstrapInterval& b) {
  Interval95 i;
  if (b.valid) i.low = b.low, i.high = b.high;
  return i;
}

bool isHit(const PromptResult& r) {
  return r.reusedTokens > 0 && r.fallbackReason.empty();
}

// k/m as the fit uses it: a prompt that fell back reused nothing.
double reuseDepth(const PromptResult& r) {
  return r.promptTokens > 0 && isHit(r) ? static_cast<double>(r.reusedTokens) / r.promptTokens
                                        : 0.0;
}

}  // namespace

RunSummary summarizeResults(const std::vector<PromptResult>& results) {
  RunSummary s;
  s.prompts = static_cast<int>(results.size());
  std::vector<double> speedups, withCache, withoutCache, ttft;
  std::vector<double> fitX, fitY;  // the fit leaves noisy readings out
  double outputSim = 0, promptSim = 0, baseline = 0, recycled = 0;
  for (const PromptResult& r : results) {
    const bool hit = isHit(r);
    s.cacheHits += hit ? 1 : 0;
    s.tokensReused += hit ? r.reusedTokens : 0;
    s.fallbacks += r.fallbackReason.empty() ? 0 : 1;
    s.highSimilarityPrompts += r.promptSimilarity > 0.8 ? 1 : 0;
    s.noisyPrompts += r.noisy ? 1 : 0;
    if (r.exactnessTested()) {
      ++s.reusedPrompts;
      s.exactReused += r.exactMatch ? 1 : 0;
    }
    speedups.push_back(r.speedupPct);
    (hit ? withCache : withoutCache).push_back(r.speedupPct);
    ttft.push_back(r.ttftSpeedup);
    outputSim += r.outputSimilarity;
    promptSim += r.promptSimilarity;
    baseline += r.baselineTotalSeconds;
    recycled += r.recycledTotalSeconds;
    if (!r.noisy) {
      fitX.push_back(reuseDepth(r));
      fitY.push_back(r.speedupPct);
    }
  }
  const double n = s.prompts > 0 ? s.prompts : 1;
  s.avgSpeedupPct = mean(speedups);
  s.avgSpeedupWithCachePct = mean(withCache);
  s.avgSpeedupWithoutCachePct = mean(withoutCache);
  s.avgOutputSimilarity = outputSim / n;
  s.avgPromptSimilarity = promptSim / n;
  s.latencyBaselineAvgSeconds = baseline / n;
  s.latencyRecycledAvgSeconds = recycled / n;
  s.avgTtftSpeedup = mean(ttft);
  if (s.reusedPrompts > 0) s.exactMatchRate = static_cast<double>(s.exactReused) / s.reusedPrompts;

  s.avgSpeedupCi95 = interval(bootstrapMeanInterval95(speedups));
  s.avgSpeedupWithCacheCi95 = interval(bootstrapMeanInterval95(withCache));
  s.avgSpeedupWithoutCacheCi95 = interval(bootstrapMeanInterval95(withoutCache));
  s.avgTtftSpeedupCi95 = interval(bootstrapMeanInterval95(ttft));

  // S = alpha * (k / m), least squares through the origin; k = 0 where nothing was reused.
  const OriginFit fit = fitThroughOrigin(fitX, fitY);
  s.alpha = fit.slope;
  s.alphaR2 = fit.r2;
  s.alphaCi95 = interval(bootstrapInterval95(fitX.size(), [&](const std::vector<size_t>& sample) {
    std::vector<double> x, y;
    for (const size_t i : sample) x.push_back(fitX[i]), y.push_back(fitY[i]);
    double xx = 0;
    for (const double v : x) xx += v * v;
    return xx > 0 ? fitThroughOrigin(x, y).slope : std::nan("");
  }));
  addStoreFootprint(s, results);
  int right = 0;
  for (const PromptResult& r : results) {
    if (r.costDecision.empty()) continue;
    ++s.costModelDecisions;
    s.costModelDeclined += r.costDecision == "decline" ? 1 : 0;
    right += r.costModelRight ? 1 : 0;
  }
  if (s.costModelDecisions > 0) {
    s.costModelRightRate = static_cast<double>(right) / s.costModelDecisions;
  }
  return s;
}

}  // namespace kvr
