#include "experiment/prompt_measurement.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "experiment/paired_measurement.h"
#include "experiment/reading_checks.h"
#include "kvrecycle/embedders.h"
#include "kvrecycle/error.h"
#include "kvrecycle/generation.h"
#include "kvrecycle/kv_store.h"
#include "kvrecycle/model.h"
#include "kvrecycle/stats.h"
#include "kvrecycle/timestamps.h"
#include "text/utf8.h"

namespace kvr {
namespace {

int firstDivergence(const std::vector<int>& a, const std::vector<int>& b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return static_cast<int>(i);
  }
  return a.size() == b.size() ? -1 : static_cast<int>(n);
}

// Max |difference| of the first-step logits; NaN when either side is not finite
// (e.g. K/V that were never written), so such a run can never pass as exact.
double maxAbsDiff(const std::vector<std::vector<float>>& a,
                  const std::vector<std::vector<float>>& b) {
  if (a.empty() || b.empty() || a[0].size() != b[0].size()) return 0.0;
  double worst = 0;
  for (size_t i = 0; i < a[0].size(); ++i) {
    const double d = std::fabs(static_cast<double>(a[0][i]) - b[0][i]);
    if (!std::isfinite(d)) return std::nan("");
    worst = std::max(worst, d);
  }
  return worst;
}

template <typename F>
Summary over(const std::vector<RepeatPair>& pairs, F value) {
  std::vector<double> v;
  v.reserve(pairs.size());
  for (const RepeatPair& p : pairs) v.push_back(value(p));
  return summarize(std::move(v));
}

// Loads the planned prefix from the store into the recycled arm's cache, timing
// only the load (a cold page cache is prepared before the clock starts).
PrefixLoader storeLoader(const MeasurementContext& ctx, const std::string& entryId, int reuse,
                         PromptResult& result) {
  return [&ctx, entryId, reuse, &result](KVCache& cache) {
    std::string state;
    const double seconds = timedStoreLoad(*ctx.kvStore, *ctx.model, entryId, reuse, cache,
                                          ctx.config->kvPageCache, state);
    // One failed drop makes the prompt's cold readings suspect: keep that.
    if (result.kvPageCache != "cold-failed") result.kvPageCache = state;
    return seconds;
  };
}

void fillTimings(PromptResult& result, const PairedMeasurement& m) {
  const auto& pairs = m.pairs;
  const Summary baseTtft = over(pairs, [](const RepeatPair& p) { return p.baseline.ttft(); });
  const Summary baseDecode =
      over(pairs, [](const RepeatPair& p) { return p.baseline.decodeSeconds; });
  const Summary baseTotal = over(pairs, [](const RepeatPair& p) { return p.baseline.total(); });
  const Summary load = over(pairs, [](const RepeatPair& p) { return p.recycled.loadSeconds; });
  const Summary recPrefill =
      over(pairs, [](const RepeatPair& p) { return p.recycled.prefillSeconds; });
  const Summary recTtft = over(pairs, [](const RepeatPair& p) { return p.recycled.ttft(); });
  const Summary recDecode =
      over(pairs, [](const RepeatPair& p) { return p.recycled.decodeSeconds; });
  const Summary recTotal = over(pairs, [](const RepeatPair& p) { return p.recycled.total(); });
  // Each repeat's own saving: the two arms of a pair ran back to back, so a
  // slow stretch of the machine mostly cancels out of their difference.
  const Summary speedup = over(pairs, [](const RepeatPair& p) {
    return p.baseline.total() > 0
               ? (p.baseline.total() - p.recycled.total()) / p.baseline.total() * 100.0
               : 0.0;
  });

  result.baselineTtftSeconds = baseTtft.median;
  result.baselineTtftIqrSeconds = baseTtft.iqr;
  result.baselineDecodeSeconds = baseDecode.median;
  result.baselineDecodeIqrSeconds = baseDecode.iqr;
  result.baselineTotalSeconds = baseTotal.median;
  result.baselineTotalIqrSeconds = baseTotal.iqr;
  result.kvLoadSeconds = load.median;
  result.kvLoadIqrSeconds = load.iqr;
  result.recycledPrefillSeconds = recPrefill.median;
  result.recycledTtftSeconds = recTtft.median;
  result.recycledTtftIqrSeconds = recTtft.iqr;
  result.recycledDecodeSeconds = recDecode.median;
  result.recycledDecodeIqrSeconds = recDecode.iqr;
  result.recycledTotalSeconds = recTotal.median;
  result.recycledTotalIqrSeconds = recTotal.iqr;
  result.speedupPct = speedup.median;
  result.speedupIqrPct = speedup.iqr;
  result.ttftSpeedup = recTtft.median > 0 ? baseTtft.median / recTtft.median : 1.0;
  result.measuredRepeats = static_cast<int>(pairs.size());
  result.remeasuredRepeats = m.remeasured;
  result.disturbedRepeats = static_cast<int>(
      std::count_if(pairs.begin(), pairs.end(), [](const RepeatPair& p) { return p.disturbed; }));
  double worst = 0;
  for (const RepeatPair& p : pairs) {
    if (p.comparable) worst = std::max(worst, std::fabs(p.decodeRatio - 1.0));
  }
  result.maxDecodeAsymmetry = worst;
}

}  // namespace

double timedStoreLoad(const KVStore& store, const Model& model, const std::string& entryId,
                      int length, KVCache& cache, PageCacheMode mode, std::string& pageCache) {
  if (mode == PageCacheMode::Cold) {
    pageCache = store.dropFromPageCache(entryId) ? "cold" : "cold-failed";
  } else {
    pageCache = "warm";
  }
  const Stopwatch clock;
  store.loadPrefix(model, entryId, length, cache);
  model.synchronize();
  return clock.seconds();
}

double measureRecycledTtft(const MeasurementContext& ctx, const std::vector<int>& tokens,
                           const std::string& entryId, int reuse, KVCache& cache) {
  GenerationOptions options;
  options.maxNewTokens = 1;  // the first token ends the TTFT
  options.cancel = ctx.cancel;
  std::vector<double> ttft;
  try {
    for (int run = 0; run < ctx.config->warmup + ctx.config->repeats; ++run) {
      cache.reset();
      std::string state;
      const double load = timedStoreLoad(*ctx.kvStore, *ctx.model, entryId, reuse, cache,
                                         ctx.config->kvPageCache, state);
      const GenerationResult g = generateGreedy(*ctx.model, cache, tokens, options);
      if (run >= ctx.config->warmup) ttft.push_back(load + g.prefillSeconds);
    }
  } catch (const Error&) {
    cache.reset();
    return std::nan("");
  }
  cache.reset();
  return summarize(std::move(ttft)).median;
}

void applyPairs(PromptResult& result, const PairedMeasurement& m) {
  result.reusedTokens = m.reuse;
  result.fallbackReason = m.fallbackReason;
  if (m.reuse == 0) result.kvPageCache.clear();
  fillTimings(result, m);
  result.baselineOutputIds = m.baselineFirst.outputIds;
  result.recycledOutputIds = m.recycledFirst.outputIds;
  result.baselineTokensGenerated = static_cast<int>(result.baselineOutputIds.size());
  result.recycledTokensGenerated = static_cast<int>(result.recycledOutputIds.size());
  result.maxLogitDiff = maxAbsDiff(m.baselineFirst.stepLogits, m.recycledFirst.stepLogits);
  result.exactMatch =
      result.baselineOutputIds == result.recycledOutputIds && !std::isnan(result.maxLogitDiff);
  result.firstDivergence = firstDivergence(result.baselineOutputIds, result.recycledOutputIds);
  if (result.firstDivergence < 0 && !result.exactMatch) result.firstDivergence = 0;
}

PromptResult measurePrompt(const MeasurementContext& ctx, const std::vector<int>& tokens,
                           const ReusePlan& plan, const ArmCaches& caches, bool& cancelled) {
  const Model& model = *ctx.model;
  const ExperimentConfig& config = *ctx.config;
  GenerationOptions options;
  options.maxNewTokens = config.maxNewTokens;
  options.ignoreEos = config.ignoreEos;
  options.cancel = ctx.cancel;

  PromptResult result;
  result.promptTokens = static_cast<int>(tokens.size());
  result.promptSimilarity = plan.promptSimilarity;
  const CachedPrompt* entry = plan.entry >= 0 ? &(*ctx.cached)[plan.entry] : nullptr;
  if (entry == nullptr && plan.nearestEntry >= 0) entry = &(*ctx.cached)[plan.nearestEntry];
  if (entry != nullptr) {
    result.cachedEntryId = plan.entry >= 0 ? entry->entryId : "";
    result.cachedPromptId = entry->promptId;
    result.cachedPromptText = entry->text;
  }
  const std::string entryId = plan.entry >= 0 ? (*ctx.cached)[plan.entry].entryId : "";
  const PairedMeasurement m = measurePairs(
      model, tokens, options, config.warmup, config.repeats, config.noise, plan.reuse,
      storeLoader(ctx, entryId, plan.reuse, result), *caches.baseline, *caches.recycled);
  if (m.cancelled || m.pairs.empty()) {
    cancelled = true;
    return result;
  }
  applyPairs(result, m);
  const Gpt2Tokenizer& tokenizer = model.tokenizer();
  result.baselineOutput = text::toValidUtf8(tokenizer.decode(result.baselineOutputIds));
  result.recycledOutput = text::toValidUtf8(tokenizer.decode(result.recycledOutputIds));
  result.outputSimilarity = result.baselineOutput == result.recycledOutput
                                ? 1.0
                                : cosineSimilarity(ctx.embedder->embed(result.baselineOutput),
                                                   ctx.embedder->embed(result.recycledOutput));
  checkReading(result, config.noise);
  return result;
}

}  // namespace kvr
