#pragma once
// One run's per-prompt results as the charts draw them: a label for the
// legend (compare view) and the results in prompt order.
#include <QString>

#include <cstdint>
#include <vector>

#include "kvrecycle/results.h"

namespace kvr::ui {

struct RunSeries {
  QString label;
  std::vector<kvr::PromptResult> results;
  QString description{};  // model, policy, date: the caption of an exported figure
  // The K/V store the run kept: its byte budget (0: none) and eviction policy
  // ("lru", "lfu", "value"; "" when unknown), for the footprint charts.
  int64_t storeBudgetBytes = 0;
  QString eviction{};
};

}  // namespace kvr::ui
