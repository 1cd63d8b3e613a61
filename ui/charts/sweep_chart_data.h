#pragma once
// What the sweep chart draws, computed apart from drawing so tests can check
// it: a summary metric of each completed cell's run, grouped by the value of
// one axis (x) and of another (one line per value); each point is the median
// over the runs sharing those two values (the other axes vary among them),
// with their min and max as the interval.
#include <QList>
#include <QString>
#include <QStringList>
#include <QVector>
#include <functional>

#include "kvrecycle/results.h"
#include "kvrecycle/sweep_status.h"

namespace kvr::ui {

struct SweepMetric {
  QString key;         // stable name, for settings and file names: "ttft_saved"
  QString label;       // axis title: "TTFT saved, sum over prompts (s)"
  QString shortLabel;  // table header: "TTFT saved (s)"
  std::function<double(const kvr::RunSummary&)> value;  // NaN: not measured in that run
};
// Every metric of RunSummary a sweep can be charted by.
const QList<SweepMetric>& sweepMetrics();
// The metric named `key`, else the first.
const SweepMetric& sweepMetric(const QString& key);

struct SweepChartPoint {
  double x = 0;  // the value, or the category's position (1, 2, ...)
  QString xText;
  double median = 0, low = 0, high = 0;  // low/high: min and max over the runs
  QList<int> cells;                      // the cells whose runs it summarises
};

struct SweepChartLine {
  QString label;                    // "policy=paper"; empty when there is one line
  QVector<SweepChartPoint> points;  // by x
};

struct SweepChartData {
  QString xAxis, lineAxis, metricLabel;
  // x values that are not all numbers (policy names) are categories, in the
  // order the spec lists them, at x = 1, 2, ...
  bool categorical = false;
  QStringList categories;
  // Every value of the x axis in the grid, also those without a completed run
  // yet: x, and the value as the spec writes it.
  QVector<QPair<double, QString>> ticks;
  QVector<SweepChartLine> lines;  // in the order the spec lists the line axis's values
  int runs = 0;                   // completed runs with the metric measured
  int maxRunsPerPoint = 0;
};

// `lineAxis` empty: one line. Cells not completed in the database, and runs
// whose metric is NaN, are left out.
SweepChartData sweepChartData(const kvr::SweepStatus& sweep, const SweepMetric& metric,
                              const QString& xAxis, const QString& lineAxis);

}  // namespace kvr::ui
