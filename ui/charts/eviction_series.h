#pragma once
// One eviction run as its charts draw it: a label for the legend (compare
// view), a description for an exported figure's caption, and the run's
// method x budget summary rows.
#include <QString>
#include <vector>

#include "kvrecycle/eviction_summary.h"

namespace kvr::ui {

struct EvictionSeries {
  QString label;
  std::vector<kvr::EvictionSummaryRow> rows;
  QString description{};
};

}  // namespace kvr::ui
