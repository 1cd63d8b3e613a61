#include "kvrecycle/recycling_bench.h"


#include "experiment/paired_measurement.h"
#include "experiment/prompt_measurement.h"
#include "experiment/reading_checks.h"
#include "kvrecycle/generation.h"
#include "kvrecycle/kv_store.h"
#include "kvrecycle/model.h"
#include "kvrecycle/stats.h"
#include "kvrecycle/system_info.h"
#include "kvrecycle/workloads.h"

namespace kvr {
namespace {

double medianSuffixPrefill(const Model& model, const std::vector<int>& prompt, int prefix,
                           const KVCache& held, KVCache& cache, const GenerationOptions& options,
                           int runs, int warmup) {
  std::vector<double> samples;
  for (int run = 0; run < warmup + runs; ++run) {
    cache.reset();
    cache.copyPrefixFrom(held, prefix);  // in memory: no load at all
    const GenerationResult r = generateGreedy(model, cache, prompt, options);
    if (run >= warmup) samples.push_back(r.prefillSeconds);
  }
  return summarize(samples).median;
}

}  // namespace

void runRecyclingBench(const Model& model, const RecyclingBenchConfig& config,
                       const std::function<void(const RecyclingBenchRow&)>& row) {
  const KVStore store(config.storeDirectory);
  const double copyRate = measureMemcpyRates().copyGBs;
  GenerationOptions options;
  options.maxNewTokens = config.newTokens;
  options.ignoreEos = true;
  const auto baselineCache = model.newCache();
  const auto recycledCache = model.newCache();
  const auto held = model.newCache();  // the prefix kept in memory, for the ideal

  for (const int prefix : config.prefixTokens) {
    const std::vector<int> prompt =
        syntheticTokenIds(prefix + config.suffixTokens, model.config().vocabSize, 977 + prefix);
    std::string entry;
    held->reset();
    if (prefix > 0) {
      model.forward(*held, std::vector<int>(prompt.begin(), prompt.begin() + prefix));
      entry = store.save(model, *held, "bench prefix").entryId;
    }
    RecyclingBenchRow out;
    out.prefixTokens = prefix;
    PromptResult& r = out.result;
    r.promptTokens = static_cast<int>(prompt.size());
    const PrefixLoader load = [&](KVCache& cache) {
      return timedStoreLoad(store, model, entry, prefix, cache, config.kvPageCache, r.kvPageCache);
    };
    const PairedMeasurement m =
        measurePairs(model, prompt, options, config.warmup, config.repeats, config.noise, prefix,
                     load, *baselineCache, *recycledCache);
    applyPairs(r, m);
    checkReading(r, config.noise);

    out.kvBytes = static_cast<double>(recycledCache->bytesPerPosition()) * prefix;
    out.memcpyCopyGBs = copyRate;
    out.kvCopyRateGBs = r.kvLoadSeconds > 0 ? out.kvBytes / r.kvLoadSeconds / 1e9 : 0.0;
    out.inMemorySuffixPrefillSeconds = medianSuffixPrefill(
        model, prompt, prefix, *held, *recycledCache, options, config.repeats, config.warmup);
    const double ideal = out.inMemorySuffixPrefillSeconds + out.kvBytes / (copyRate * 1e9);
    out.ttftRatio = r.recycledTtftSeconds / r.baselineTtftSeconds;
    out.idealRatio = ideal / r.baselineTtftSeconds;
    row(out);
  }
}

}  // namespace kvr
