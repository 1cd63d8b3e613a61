#pragma once
// The run's K/V footprint (GUIDE §7) from the resident-bytes samples its
// prompts carry: the step function "resident bytes since the last sample" is
// integrated over the run's seconds. The unbounded store is simulated on the
// same timeline (same admissions, no eviction), so the ratio compares the two
// stores over exactly the same seconds.
#include <vector>

#include "kvrecycle/results.h"

namespace kvr {

struct Footprint {
  int64_t peakBytes = 0;
  double byteSeconds = 0;
  double unboundedByteSeconds = 0;
  int admissions = 0, evictions = 0, truncations = 0;
  int samples = 0;
};

Footprint footprintOf(const std::vector<StoreSample>& samples);
// Fills the summary's footprint, hit rate and TTFT saved from the prompts.
void addStoreFootprint(RunSummary& summary, const std::vector<PromptResult>& results);

}  // namespace kvr
