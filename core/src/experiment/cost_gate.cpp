#include "experiment/cost_gate.h"

#include <cmath>

namespace kvr {

ReusePlan gateReuse(const CostGate& gate, const ReusePlan& plan, int promptTokens,
                    PromptResult& result) {
  if (gate.model == nullptr || plan.entry < 0 || plan.reuse <= 0) return plan;
  const CostPrediction p =
      predictReuse(*gate.model, promptTokens, plan.reuse, gate.bytesPerPosition * plan.reuse,
                   gate.dtype, gate.pageCache, gate.margin);
  result.costPlannedReuse = plan.reuse;
  result.predictedBaselineTtftSeconds = p.baselineTtftSeconds;
  result.predictedRecycledTtftSeconds = p.recycledTtftSeconds;
  result.costDecision = p.recycle ? "recycle" : "decline";
  if (p.recycle) return plan;
  ReusePlan declined = plan;  // the similarity and nearest entry are still reported
  declined.entry = -1;
  declined.reuse = 0;
  return declined;
}

void judgeCostDecision(PromptResult& result) {
  if (result.costDecision.empty()) return;
  const double recycled = result.measuredRecycledPathTtftSeconds();
  // A recycled path that could not be measured (a failed load) was not the faster one.
  const bool recycleWasFaster = std::isfinite(recycled) && result.fallbackReason.empty() &&
                                recycled < result.baselineTtftSeconds;
  result.costModelRight = (result.costDecision == "recycle") == recycleWasFaster;
}

}  // namespace kvr
