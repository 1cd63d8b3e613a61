#pragma once
// What the K/V store charts draw, taken from one run's prompt results: TTFT
// per conversation turn across sessions, and the resident bytes as a step
// line over the run. Pure data, no widgets.
#include <cstdint>
#include <vector>

#include "kvrecycle/results.h"

namespace kvr::ui {

// One turn index over the sessions that reached it: median, min and max TTFT
// of each arm, in seconds.
struct TurnTtft {
  int turn = 0;
  int sessions = 0;
  double baselineMedian = 0, baselineMin = 0, baselineMax = 0;
  double recycledMedian = 0, recycledMin = 0, recycledMax = 0;
};
// Turns in increasing order; empty when no result is a conversation turn (turn 0).
std::vector<TurnTtft> ttftByTurn(const std::vector<kvr::PromptResult>& results);

// One store sample in run order, with the prompt result that carried it.
struct ResidentStep {
  double seconds = 0;
  int64_t residentBytes = 0;
  int64_t unboundedBytes = 0;
  int resultIndex = 0;
};
std::vector<ResidentStep> residentSteps(const std::vector<kvr::PromptResult>& results);

}  // namespace kvr::ui
