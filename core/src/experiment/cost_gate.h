#pragma once
// The cost model's place in the prompt loop: before a prompt recycles, predict
// both TTFTs and keep or drop the planned reuse; once it was measured, judge
// the decision against the path that was measured faster.
#include "experiment/cost_model.h"
#include "experiment/reuse_planner.h"
#include "kvrecycle/results.h"

namespace kvr {

struct CostGate {
  const CostModel* model = nullptr;  // nullptr: the cost model is off
  KVDtype dtype = KVDtype::F32;      // of the entries loaded
  PageCacheMode pageCache = PageCacheMode::Warm;
  double margin = 0.05;
  int64_t bytesPerPosition = 0;  // stored bytes per position in `dtype`
};

// The plan to measure: `plan` itself, or no reuse when the gate declines it.
// Fills the result's prediction fields (nothing when the gate is off or the
// plan reuses nothing).
ReusePlan gateReuse(const CostGate& gate, const ReusePlan& plan, int promptTokens,
                    PromptResult& result);

// Sets costModelRight from the measured TTFTs (a no-op without a decision).
void judgeCostDecision(PromptResult& result);

}  // namespace kvr
