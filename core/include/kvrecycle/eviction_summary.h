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

// One row per method x budget, in the order they first appear.
std::vector<EvictionSummaryRow> summarizeEviction(const std::vector<EvictionResultRow>& rows);

// The CLI's line for one row: method, budget, footprint_ratio, peak_entries,
// token_agreement, first_divergence_median, max_logit_diff, nll_delta, ...
std::string evictionSummaryRowJson(const EvictionSummaryRow& row);
// An eviction run's summary_json: {"kind": "eviction", "methods": [rows]}.
std::string evictionSummaryJson(const std::vector<EvictionSummaryRow>& rows);

}  // namespace kvr
