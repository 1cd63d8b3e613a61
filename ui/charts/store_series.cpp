#include "charts/store_series.h"

#include <map>

#include "kvrecycle/stats.h"

namespace kvr::ui {

std::vector<TurnTtft> ttftByTurn(const std::vector<kvr::PromptResult>& results) {
  std::map<int, std::pair<std::vector<double>, std::vector<double>>> byTurn;
  for (const kvr::PromptResult& r : results) {
    if (r.turn <= 0) continue;
    byTurn[r.turn].first.push_back(r.baselineTtftSeconds);
    byTurn[r.turn].second.push_back(r.recycledTtftSeconds);
  }
  std::vector<TurnTtft> turns;
  for (const auto& [turn, arms] : byTurn) {
    const kvr::Summary baseline = kvr::summarize(arms.first);
    const kvr::Summary recycled = kvr::summarize(arms.second);
    TurnTtft t;
    t.turn = turn;
    t.sessions = baseline.count;
    t.baselineMedian = baseline.median;
    t.baselineMin = baseline.min;
    t.baselineMax = baseline.max;
    t.recycledMedian = recycled.median;
    t.recycledMin = recycled.min;
    t.recycledMax = recycled.max;
    turns.push_back(t);
  }
  return turns;
}

std::vector<ResidentStep> residentSteps(const std::vector<kvr::PromptResult>& results) {
  std::vector<ResidentStep> steps;
  for (size_t i = 0; i < results.size(); ++i) {
    for (const kvr::StoreSample& s : results[i].storeSamples) {
      steps.push_back({s.seconds, s.residentBytes, s.unboundedBytes, static_cast<int>(i)});
    }
  }
  return steps;
}

}  // namespace kvr::ui
