#pragma once
// One run's per-prompt results as the charts draw them: a label for the
// legend (compare view) and the results in prompt order.
#include <QString>

#include <vector>

#include "kvrecycle/results.h"

namespace kvr::ui {

struct RunSeries {
  QString label;
  std::vector<kvr::PromptResult> results;
  QString description{};  // model, policy, date: the caption of an exported figure
};

}  // namespace kvr::ui
