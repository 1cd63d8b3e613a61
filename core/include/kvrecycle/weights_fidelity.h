#pragma once
// How far a model reading its weights in a lower precision (bf16) strays from
// the same weights in float32: what bench-engine reports next to the speed.
#include <vector>

#include "kvrecycle/model.h"

namespace kvr {

struct WeightsFidelity {
  int promptTokens = 0;
  int generatedTokens = 0;
  // Free-running greedy generation from the prompt by each model.
  int greedyAgreement = 0;   // generated positions where both chose the same token
  int firstDivergence = -1;  // index of the first differing generated token; -1: none
  // Both models read the reference's sequence (prompt + its output); at each of
  // the generatedTokens positions that chose an output token:
  double teacherForcedTop1Agreement = 0;  // fraction where the argmax agrees
  double maxAbsLogitDelta = 0;            // over those positions, the whole vocabulary
  double referenceLogitSpread = 0;        // max - min of the reference's logits there
};

// `reference` and `candidate` must share the architecture; prompt plus
// newTokens must fit the context. Throws kvr::Error otherwise.
WeightsFidelity measureWeightsFidelity(const Model& reference, const Model& candidate,
                                       const std::vector<int>& prompt, int newTokens);

}  // namespace kvr
