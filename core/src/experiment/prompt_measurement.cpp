#include "experiment/prompt_measurement.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "kvrecycle/embedders.h"
#include "kvrecycle/error.h"
#include "kvrecycle/generation.h"
#include "kvrecycle/kv_store.h"
#include "kvrecycle/model.h"
#include "kvrecycle/stats.h"
#include "text/utf8.h"

namespace kvr {
namespace {

using Clock = std::chrono::steady_clock;

struct Timings {
  std::vector<double> load, prefill, decode, ttft, total;
  void add(double loadS, const GenerationResult& r) {
    load.push_back(loadS);
    prefill.push_back(r.prefillSeconds);
    decode.push_back(r.decodeSeconds);
    ttft.push_back(loadS + r.prefillSeconds);
    total.push_back(loadS + r.prefillSeconds + r.decodeSeconds);
  }
};

struct Outcome {
  GenerationResult first;  // the first measured run: its tokens and first-step logits
  Timings timings;
  bool cancelled = false;
};

int firstDivergence(const std::vector<int>& a, const std::vector<int>& b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return static_cast<int>(i);
  }
  return a.size() == b.size() ? -1 : static_cast<int>(n);
}

double maxAbsDiff(const std::vector<std::vector<float>>& a,
                  const std::vector<std::vector<float>>& b) {
  if (a.empty() || b.empty() || a[0].size() != b[0].size()) return 0.0;
  double worst = 0;
  for (size_t i = 0; i < a[0].size(); ++i) {
    worst = std::max(worst, static_cast<double>(std::fabs(a[0][i] - b[0][i])));
  }
  return worst;
}

}  // namespace

PromptResult measurePrompt(const MeasurementContext& ctx, const std::vector<int>& tokens,
                           const ReusePlan& plan, KVCache& cache, bool& cancelled) {
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
  int reuse = plan.reuse;

  Outcome baseline, recycled;
  const int runs = config.warmup + config.repeats;
  for (int run = 0; run < runs && !cancelled; ++run) {
    const bool measured = run >= config.warmup;
    options.keepLogitsSteps = run == config.warmup ? 1 : 0;

    cache.truncate(0);
    GenerationResult b = generateGreedy(model, cache, tokens, options);
    cancelled = b.cancelled;
    if (measured) baseline.timings.add(0.0, b);
    if (run == config.warmup) baseline.first = std::move(b);
    if (cancelled) break;

    cache.truncate(0);
    double loadSeconds = 0;
    if (reuse > 0) {
      const auto start = Clock::now();
      try {
        ctx.kvStore->loadPrefix(model, (*ctx.cached)[plan.entry].entryId, reuse, cache);
        model.synchronize();
      } catch (const Error& e) {
        // A corrupt or foreign entry: fall back to a full prefill, and say why.
        result.fallbackReason = e.what();
        reuse = 0;
        cache.truncate(0);
      }
      loadSeconds = std::chrono::duration<double>(Clock::now() - start).count();
      if (reuse == 0) loadSeconds = 0;
    }
    GenerationResult r = generateGreedy(model, cache, tokens, options);
    cancelled = r.cancelled;
    if (measured) recycled.timings.add(loadSeconds, r);
    if (run == config.warmup) recycled.first = std::move(r);
  }
  if (cancelled || baseline.timings.total.empty() || recycled.timings.total.empty()) {
    cancelled = true;
    return result;
  }

  result.reusedTokens = reuse;
  const Summary baseTotal = summarize(baseline.timings.total);
  const Summary recTotal = summarize(recycled.timings.total);
  result.baselineTtftSeconds = summarize(baseline.timings.ttft).median;
  result.baselineDecodeSeconds = summarize(baseline.timings.decode).median;
  result.baselineTotalSeconds = baseTotal.median;
  result.baselineTotalSpreadSeconds = baseTotal.iqr;
  result.kvLoadSeconds = summarize(recycled.timings.load).median;
  result.recycledPrefillSeconds = summarize(recycled.timings.prefill).median;
  result.recycledTtftSeconds = summarize(recycled.timings.ttft).median;
  result.recycledDecodeSeconds = summarize(recycled.timings.decode).median;
  result.recycledTotalSeconds = recTotal.median;
  result.recycledTotalSpreadSeconds = recTotal.iqr;
  result.speedupPct =
      baseTotal.median > 0 ? (baseTotal.median - recTotal.median) / baseTotal.median * 100.0 : 0.0;
  result.ttftSpeedup = result.recycledTtftSeconds > 0
                           ? result.baselineTtftSeconds / result.recycledTtftSeconds
                           : 1.0;

  result.baselineOutputIds = baseline.first.outputIds;
  result.recycledOutputIds = recycled.first.outputIds;
  result.baselineTokensGenerated = static_cast<int>(result.baselineOutputIds.size());
  result.recycledTokensGenerated = static_cast<int>(result.recycledOutputIds.size());
  result.exactMatch = result.baselineOutputIds == result.recycledOutputIds;
  result.firstDivergence = firstDivergence(result.baselineOutputIds, result.recycledOutputIds);
  result.maxLogitDiff = maxAbsDiff(baseline.first.stepLogits, recycled.first.stepLogits);
  const Gpt2Tokenizer& tokenizer = model.tokenizer();
  result.baselineOutput = text::toValidUtf8(tokenizer.decode(result.baselineOutputIds));
  result.recycledOutput = text::toValidUtf8(tokenizer.decode(result.recycledOutputIds));
  result.outputSimilarity = result.baselineOutput == result.recycledOutput
                                ? 1.0
                                : cosineSimilarity(ctx.embedder->embed(result.baselineOutput),
                                                   ctx.embedder->embed(result.recycledOutput));
  return result;
}

}  // namespace kvr
