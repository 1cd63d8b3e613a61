#pragma once
// What differs between runs: summary metrics side by side with deltas against
// the first run, configuration keys whose values differ, and per-prompt
// results joined on the prompt text. Pure data, no widgets.
#include <QList>
#include <QString>
#include <QStringList>
#include <vector>

#include "kvrecycle/results.h"

namespace kvr::ui {

struct ComparedRun {
  kvr::RunRecord run;
  std::vector<kvr::PromptResult> results;
};

struct MetricRow {
  QString metric;
  QList<double> values;  // one per run
  QList<double> deltas;  // value - first run's value
};

struct ConfigRow {
  QString key;
  QStringList values;  // one per run
  bool differs = false;
};

struct PromptRow {
  QString prompt;
  QList<double> speedups;  // NaN where a run lacks the prompt
  QList<int> exact;        // 1, 0, or -1 where missing
};

struct RunComparison {
  QStringList labels;  // "#id name"
  QList<MetricRow> metrics;
  QList<ConfigRow> config;  // all keys; filter on `differs` for "differences only"
  QList<PromptRow> prompts;
};

RunComparison compareRuns(const QList<ComparedRun>& runs);

}  // namespace kvr::ui
