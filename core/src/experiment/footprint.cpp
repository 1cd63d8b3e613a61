#include "experiment/footprint.h"

#include <algorithm>

namespace kvr {

Footprint footprintOf(const std::vector<StoreSample>& samples) {
  Footprint f;
  f.samples = static_cast<int>(samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    const StoreSample& s = samples[i];
    f.peakBytes = std::max(f.peakBytes, s.residentBytes);
    f.admissions += s.event == "admit" ? 1 : 0;
    f.evictions += s.event == "evict" ? 1 : 0;
    f.truncations += s.event == "truncate" ? 1 : 0;
    if (i + 1 < samples.size()) {
      // Held from this sample until the next one; the last sample ends the run.
      const double dt = std::max(0.0, samples[i + 1].seconds - s.seconds);
      f.byteSeconds += static_cast<double>(s.residentBytes) * dt;
      f.unboundedByteSeconds += static_cast<double>(s.unboundedBytes) * dt;
    }
  }
  return f;
}

void addStoreFootprint(RunSummary& s, const std::vector<PromptResult>& results) {
  std::vector<StoreSample> all;
  for (const PromptResult& r : results) {
    all.insert(all.end(), r.storeSamples.begin(), r.storeSamples.end());
    if (r.reusedTokens > 0 && r.fallbackReason.empty()) {
      s.ttftSavedSeconds += r.baselineTtftSeconds - r.recycledTtftSeconds;
    }
  }
  if (s.prompts > 0) s.hitRate = static_cast<double>(s.cacheHits) / s.prompts;
  if (all.empty()) return;  // a run made before the store was sampled
  const Footprint f = footprintOf(all);
  s.peakResidentBytes = f.peakBytes;
  s.footprintByteSeconds = f.byteSeconds;
  s.unboundedFootprintByteSeconds = f.unboundedByteSeconds;
  if (f.unboundedByteSeconds > 0) s.footprintRatio = f.byteSeconds / f.unboundedByteSeconds;
  s.admissions = f.admissions;
  s.evictions = f.evictions;
  s.truncations = f.truncations;
}

}  // namespace kvr
