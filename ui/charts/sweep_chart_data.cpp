#include "charts/sweep_chart_data.h"

#include <QMap>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "kvrecycle/stats.h"
#include "kvrecycle/store_budget.h"

namespace kvr::ui {
namespace {

QString valueOf(const kvr::SweepCellStatus& cell, const QString& axis) {
  for (const kvr::SweepSetting& s : cell.axisValues) {
    if (QString::fromStdString(s.option) == axis) return QString::fromStdString(s.value);
  }
  return QString();
}

// The axis's values in grid order (the spec's order: cells are row-major).
QStringList valuesInOrder(const kvr::SweepStatus& sweep, const QString& axis) {
  QStringList values;
  for (const kvr::SweepCellStatus& cell : sweep.cells) {
    const QString v = valueOf(cell, axis);
    if (!values.contains(v)) values << v;
  }
  return values;
}

// A number for each value ("8", "0.5", "64M"), or none when one is not ("paper", "none").
std::optional<QVector<double>> numericValues(const QStringList& values) {
  QVector<double> out;
  for (const QString& v : values) {
    bool ok = false;
    double x = v.toDouble(&ok);
    if (!ok && v != QStringLiteral("none")) {
      try {
        x = static_cast<double>(kvr::parseByteSize(v.toStdString()));
        ok = true;
      } catch (const std::exception&) {
      }
    }
    if (!ok || !std::isfinite(x)) return std::nullopt;
    out << x;
  }
  return out;
}

double nan() {
  return std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

const QList<SweepMetric>& sweepMetrics() {
  using S = kvr::RunSummary;
  static const QList<SweepMetric> metrics = {
      {QStringLiteral("ttft_saved"), QStringLiteral("TTFT saved, sum over prompts (s)"),
       QStringLiteral("TTFT saved (s)"), [](const S& s) { return s.ttftSavedSeconds; }},
      {QStringLiteral("ttft_speedup"), QStringLiteral("Average TTFT speedup (x)"),
       QStringLiteral("TTFT speedup"), [](const S& s) { return s.avgTtftSpeedup; }},
      {QStringLiteral("avg_speedup"), QStringLiteral("Average end-to-end speedup (%)"),
       QStringLiteral("Speedup (%)"), [](const S& s) { return s.avgSpeedupPct; }},
      {QStringLiteral("speedup_with_cache"),
       QStringLiteral("Average speedup, prompts with a cache hit (%)"),
       QStringLiteral("Speedup, hits (%)"), [](const S& s) { return s.avgSpeedupWithCachePct; }},
      {QStringLiteral("exact_rate"), QStringLiteral("Exact-match rate of reused prompts"),
       QStringLiteral("Exact rate"), [](const S& s) { return s.exactMatchRate; }},
      {QStringLiteral("hit_rate"), QStringLiteral("Cache hit rate"), QStringLiteral("Hit rate"),
       [](const S& s) { return s.hitRate; }},
      {QStringLiteral("tokens_reused"), QStringLiteral("Tokens reused"),
       QStringLiteral("Tokens reused"),
       [](const S& s) { return static_cast<double>(s.tokensReused); }},
      {QStringLiteral("footprint_ratio"), QStringLiteral("K/V footprint ratio (vs unbounded)"),
       QStringLiteral("Footprint ratio"), [](const S& s) { return s.footprintRatio; }},
      {QStringLiteral("peak_resident"), QStringLiteral("Peak resident K/V (MiB)"),
       QStringLiteral("Peak K/V (MiB)"),
       [](const S& s) { return s.peakResidentBytes / (1024.0 * 1024.0); }},
      {QStringLiteral("latency_baseline"), QStringLiteral("Average baseline latency (s)"),
       QStringLiteral("Baseline (s)"), [](const S& s) { return s.latencyBaselineAvgSeconds; }},
      {QStringLiteral("latency_recycled"), QStringLiteral("Average recycled latency (s)"),
       QStringLiteral("Recycled (s)"), [](const S& s) { return s.latencyRecycledAvgSeconds; }},
      {QStringLiteral("alpha"), QStringLiteral("Fitted alpha of S = alpha k/m"),
       QStringLiteral("alpha"), [](const S& s) { return s.alpha; }},
      {QStringLiteral("output_similarity"), QStringLiteral("Average output similarity"),
       QStringLiteral("Output similarity"), [](const S& s) { return s.avgOutputSimilarity; }},
      {QStringLiteral("noisy_prompts"), QStringLiteral("Noisy prompts"),
       QStringLiteral("Noisy prompts"),
       [](const S& s) { return static_cast<double>(s.noisyPrompts); }},
      {QStringLiteral("evictions"), QStringLiteral("Store evictions"), QStringLiteral("Evictions"),
       [](const S& s) { return static_cast<double>(s.evictions); }},
  };
  return metrics;
}

const SweepMetric& sweepMetric(const QString& key) {
  for (const SweepMetric& m : sweepMetrics()) {
    if (m.key == key) return m;
  }
  return sweepMetrics().front();
}

SweepChartData sweepChartData(const kvr::SweepStatus& sweep, const SweepMetric& metric,
                              const QString& xAxis, const QString& lineAxis) {
  SweepChartData data;
  data.xAxis = xAxis;
  data.lineAxis = lineAxis;
  data.metricLabel = metric.label;
  const QStringList xValues = valuesInOrder(sweep, xAxis);
  const std::optional<QVector<double>> numeric = numericValues(xValues);
  data.categorical = !numeric.has_value();
  if (data.categorical) data.categories = xValues;
  for (int i = 0; i < xValues.size(); ++i) {
    data.ticks.append({data.categorical ? i + 1.0 : (*numeric)[i], xValues[i]});
  }
  const QStringList lineValues =
      lineAxis.isEmpty() ? QStringList{QString()} : valuesInOrder(sweep, lineAxis);

  // line value -> x value -> (metric values, cells)
  QMap<QString, QMap<QString, QPair<QVector<double>, QList<int>>>> groups;
  for (const kvr::SweepCellStatus& cell : sweep.cells) {
    if (cell.state != kvr::SweepCellState::Completed || !cell.run) continue;
    const double v = cell.run->summaryJson.empty()
                         ? nan()
                         : metric.value(kvr::summaryFromJson(cell.run->summaryJson));
    if (!std::isfinite(v)) continue;
    auto& group =
        groups[lineAxis.isEmpty() ? QString() : valueOf(cell, lineAxis)][valueOf(cell, xAxis)];
    group.first << v;
    group.second << cell.cell;
    ++data.runs;
  }
  for (const QString& lineValue : lineValues) {
    SweepChartLine line;
    line.label = lineAxis.isEmpty() ? QString() : lineAxis + QLatin1Char('=') + lineValue;
    const auto byX = groups.value(lineValue);
    for (int i = 0; i < xValues.size(); ++i) {
      const auto found = byX.find(xValues[i]);
      if (found == byX.end()) continue;
      const auto& [values, cells] = found.value();
      const kvr::Summary s = kvr::summarize(std::vector<double>(values.begin(), values.end()));
      SweepChartPoint p;
      p.x = data.categorical ? i + 1 : (*numeric)[i];
      p.xText = xValues[i];
      p.median = s.median;
      p.low = s.min;
      p.high = s.max;
      p.cells = cells;
      line.points << p;
      data.maxRunsPerPoint = std::max(data.maxRunsPerPoint, static_cast<int>(values.size()));
    }
    std::sort(line.points.begin(), line.points.end(),
              [](const SweepChartPoint& a, const SweepChartPoint& b) { return a.x < b.x; });
    data.lines << line;
  }
  return data;
}

}  // namespace kvr::ui
