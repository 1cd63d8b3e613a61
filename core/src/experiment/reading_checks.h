#pragma once
// The checks that separate a reading from noise (README: "How a reading is
// judged"). Physics
// bounds what recycling can do: it saves at most the baseline's prefill of the
// k reused tokens, and its TTFT cannot beat a prefill of the m - k new tokens
// plus the load. A reading outside those bounds, or one whose identical decode
// work took visibly different times, is flagged noisy with the reason.
#include "kvrecycle/experiment.h"
#include "kvrecycle/results.h"

namespace kvr {

// Fills idealRecycledTtftSeconds, noisy and noiseReason from the timing fields.
void checkReading(PromptResult& result, const NoiseSettings& noise);

}  // namespace kvr
