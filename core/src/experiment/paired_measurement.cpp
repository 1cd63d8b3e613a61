#include "experiment/paired_measurement.h"

#include <cmath>

#include "kvrecycle/error.h"
#include "kvrecycle/model.h"

namespace kvr {
namespace {

struct ArmRun {
  ArmTiming timing;
  GenerationResult result;
};

ArmRun runBaseline(const Model& model, KVCache& cache, const std::vector<int>& tokens,
                   const GenerationOptions& options) {
  cache.reset();
  ArmRun run;
  run.result = generateGreedy(model, cache, tokens, options);
  run.timing.prefillSeconds = run.result.prefillSeconds;
  run.timing.decodeSeconds = run.result.decodeSeconds;
  return run;
}

ArmRun runRecycled(const Model& model, KVCache& cache, const std::vector<int>& tokens,
                   const GenerationOptions& options, int reuse, const PrefixLoader& loader) {
  cache.reset();
  ArmRun run;
  if (reuse > 0) run.timing.loadSeconds = loader(cache);
  run.result = generateGreedy(model, cache, tokens, options);
  run.timing.prefillSeconds = run.result.prefillSeconds;
  run.timing.decodeSeconds = run.result.decodeSeconds;
  return run;
}

void judge(RepeatPair& pair, const GenerationResult& b, const GenerationResult& r,
           double threshold) {
  pair.comparable = b.outputIds == r.outputIds && b.outputIds.size() >= 2 &&
                    pair.baseline.decodeSeconds > 0 && pair.recycled.decodeSeconds > 0;
  if (!pair.comparable) return;
  pair.decodeRatio = pair.recycled.decodeSeconds / pair.baseline.decodeSeconds;
  pair.disturbed = std::fabs(pair.decodeRatio - 1.0) > threshold;
}

}  // namespace

PairedMeasurement measurePairs(const Model& model, const std::vector<int>& tokens,
                               const GenerationOptions& options, int warmup, int repeats,
                               const NoiseSettings& noise, int reuse, const PrefixLoader& loader,
                               KVCache& baselineCache, KVCache& recycledCache) {
  PairedMeasurement m;
  m.reuse = reuse;
  bool haveFirst = false;
  for (int run = 0; static_cast<int>(m.pairs.size()) < repeats; ++run) {
    const bool measured = run >= warmup;
    GenerationOptions opts = options;
    opts.keepLogitsSteps = measured && !haveFirst ? 1 : 0;
    // A B B A ...: a slow stretch of the machine lands on both arms alike.
    const bool baselineFirst = run % 2 == 0;
    ArmRun b, r;
    for (int arm = 0; arm < 2; ++arm) {
      if ((arm == 0) == baselineFirst) {
        b = runBaseline(model, baselineCache, tokens, opts);
        m.cancelled = b.result.cancelled;
      } else {
        try {
          r = runRecycled(model, recycledCache, tokens, opts, m.reuse, loader);
        } catch (const Error& e) {
          // A corrupt or foreign entry: from now on a full prefill, and say why.
          // Repeats measured with the prefix no longer describe this arm.
          m.fallbackReason = e.what();
          m.reuse = 0;
          m.pairs.clear();
          m.remeasured = 0;
          haveFirst = false;
          r = runRecycled(model, recycledCache, tokens, opts, 0, loader);
        }
        m.cancelled = r.result.cancelled;
      }
      if (m.cancelled) return m;
    }
    if (!measured) continue;
    RepeatPair pair{b.timing, r.timing};
    judge(pair, b.result, r.result, noise.decodeThreshold);
    if (!haveFirst && opts.keepLogitsSteps == 1) {
      m.baselineFirst = std::move(b.result);
      m.recycledFirst = std::move(r.result);
      haveFirst = true;
    }
    if (pair.disturbed && m.remeasured < noise.maxRemeasure) {
      ++m.remeasured;
      continue;
    }
    m.pairs.push_back(pair);
  }
  return m;
}

}  // namespace kvr
