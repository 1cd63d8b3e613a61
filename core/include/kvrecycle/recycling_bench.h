#pragma once
// The recycling benchmark behind `kvrecycle-cli bench`: for each prefix length,
// a synthetic prompt of prefix + suffix tokens whose prefix K/V are stored as a
// real run stores them; time to first token with the prefix loaded from the
// store vs a full prefill, measured like a run (paired, alternated, poisoned
// buffers, noise checks), plus the ideal: the suffix prefill with the prefix
// already in memory, plus copying the prefix's K/V at the measured memcpy rate.
#include <filesystem>
#include <functional>
#include <vector>

#include "kvrecycle/experiment.h"
#include "kvrecycle/results.h"

namespace kvr {

class Model;

struct RecyclingBenchConfig {
  std::vector<int> prefixTokens = {0, 32, 128, 480};
  int suffixTokens = 32;
  int newTokens = 16;
  int repeats = 5;
  int warmup = 1;
  NoiseSettings noise;
  PageCacheMode kvPageCache = PageCacheMode::Warm;
  std::filesystem::path storeDirectory;  // must exist or be creatable
};

struct RecyclingBenchRow {
  int prefixTokens = 0;
  PromptResult result;  // timings, spreads, exactness and noise, as a run records them
  double inMemorySuffixPrefillSeconds = 0;
  double kvBytes = 0;
  double memcpyCopyGBs = 0;  // bytes / second of a plain memcpy, this run
  double kvCopyRateGBs = 0;  // bytes / second of the timed K/V load (0 without a load)
  double ttftRatio = 0;      // recycled / baseline TTFT (medians)
  double idealRatio = 0;     // ideal recycled / baseline TTFT
};

// One row per prefix length, handed to `row` as soon as it is measured.
void runRecyclingBench(const Model& model, const RecyclingBenchConfig& config,
                       const std::function<void(const RecyclingBenchRow&)>& row);

}  // namespace kvr
