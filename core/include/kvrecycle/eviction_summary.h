#pragma once
// An eviction run summarised per method and budget: the seed's figure is
// fidelity against footprint ratio, one curve per method, points = budgets.
#include <cstdint>
#include <string>
#include <vector>

#include "kvrecycle/eviction_settings.h"

namespace kvr {

struct EvictionSummaryRow {
  EvictionMethod method = EvictionMethod::Full;
  int budget = 0;
  int prompts = 0;
  double footprintRatio = 1;  // mean over prompts
  int64_t peakEntries = 0;    // largest over prompts
  int64_t peakBytes = 0;
  double tokenAgreement = 1;  // mean
  // Median over prompts of the first differing greedy position; a prompt that
  // never diverges counts as its number of new tokens.
  double firstDivergenceMedian = 0;
  double meanLogitDiff = 0;  // mean
  double maxLogitDiff = 0;   // largest
  double nllDelta = 0;       // mean
};

// Eviction with recycling (kvrecycle/evicted_recycling.h), per method x budget.
struct EvictedRecyclingRow {
  EvictionMethod method = EvictionMethod::Full;
  int budget = 0;
  int prompts = 0;              // test prompts that reused a stored prefix
  int64_t storedBytes = 0;      // the evicted prefixes' files
  int64_t storedFullBytes = 0;  // the same prefixes' K/V without eviction (fp32)
  int64_t loadedBytes = 0;      // kept K/V and mask of the reused positions, over prompts
  int64_t loadedFullBytes = 0;  // the same positions without eviction
  double tokenAgreement = 1;    // mean over prompts, against baseline generation
  // Median first differing position; a prompt that never diverges counts as its new tokens.
  double firstDivergenceMedian = 0;
  int exactPrompts = 0;             // prompts whose output equals baseline's, token for token
  double maxFirstLogitDiff = 0;     // largest |logit - baseline's| on the first step
  double loadedBytesRatio() const;  // loaded / loadedFull (1 when nothing was reused)
};

// One row per method x budget, in the order they first appear.
std::vector<EvictionSummaryRow> summarizeEviction(const std::vector<EvictionResultRow>& rows);

// The CLI's line for one row: method, budget, footprint_ratio, peak_entries,
// token_agreement, first_divergence_median, max_logit_diff, nll_delta, ...
std::string evictionSummaryRowJson(const EvictionSummaryRow& row);
// One JSON object per row: method, budget, prompts, stored/loaded bytes,
// loaded_bytes_ratio, token_agreement, exact_prompts, first_divergence_median,
// max_first_logit_diff.
std::string evictedRecyclingRowJson(const EvictedRecyclingRow& row);
// An eviction run's summary_json: {"kind": "eviction", "methods": [rows]},
// plus "recycled": [rows] when the run recycled evicted prefixes.
std::string evictionSummaryJson(const std::vector<EvictionSummaryRow>& rows,
                                const std::vector<EvictedRecyclingRow>& recycled = {});

}  // namespace kvr
