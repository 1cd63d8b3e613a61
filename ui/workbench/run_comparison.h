#pragma once
// What differs between runs: summary metrics side by side with deltas against
// the first run, configuration keys whose values differ, and per-prompt
// results joined on the prompt text. Pure data, no widgets.
#include <QList>
#include <QString>
#include <QStringList>
#include <vector>

#include "charts/run_series.h"
#include "kvrecycle/eviction_settings.h"
#include "kvrecycle/quantity_text.h"
#include "kvrecycle/results.h"

namespace kvr::ui {

struct ComparedRun {
  kvr::RunRecord run;
  std::vector<kvr::PromptResult> results;
  std::vector<kvr::EvictionResultRow> evictionRows{};  // an eviction run's rows instead
};

struct MetricRow {
  QString metric;
  kvr::QuantityKind kind = kvr::QuantityKind::Fraction;  // how values and deltas print
  QList<double> values;                                  // one per run
  QList<double> deltas;                                  // value - first run's value
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
  QStringList labels;        // "#id name"
  QStringList descriptions;  // model, policy and date of each run, for tooltips and captions
  QList<MetricRow> metrics;
  QList<ConfigRow> config;  // all keys; filter on `differs` for "differences only"
  QList<PromptRow> prompts;
};

RunComparison compareRuns(const QList<ComparedRun>& runs);

// "#12 run name": how every view and figure names a run.
QString runLabel(const kvr::RunRecord& run);
// A stored run as the charts draw it, captioned with model, policy and date.
RunSeries runSeries(const ComparedRun& run);

}  // namespace kvr::ui
