#include "workbench/run_comparison.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <cmath>
#include <limits>

#include "charts/quantity_format.h"
#include "kvrecycle/experiment.h"
#include "workbench/run_history_model.h"

namespace kvr::ui {
namespace {

QList<MetricRow> metricRows(const QList<ComparedRun>& runs) {
  using K = kvr::QuantityKind;
  struct Metric {
    const char* name;
    K kind;
    double (*get)(const kvr::RunSummary&);
  };
  static const Metric metrics[] = {
      {"prompts", K::Count, [](const kvr::RunSummary& s) { return double(s.prompts); }},
      {"cache hits", K::Count, [](const kvr::RunSummary& s) { return double(s.cacheHits); }},
      {"tokens reused", K::Count, [](const kvr::RunSummary& s) { return double(s.tokensReused); }},
      {"exact-match rate", K::Fraction, [](const kvr::RunSummary& s) { return s.exactMatchRate; }},
      {"avg speedup", K::Percent, [](const kvr::RunSummary& s) { return s.avgSpeedupPct; }},
      {"avg speedup with cache", K::Percent,
       [](const kvr::RunSummary& s) { return s.avgSpeedupWithCachePct; }},
      {"avg speedup without cache", K::Percent,
       [](const kvr::RunSummary& s) { return s.avgSpeedupWithoutCachePct; }},
      {"avg TTFT speedup", K::Ratio, [](const kvr::RunSummary& s) { return s.avgTtftSpeedup; }},
      {"avg output similarity", K::Fraction,
       [](const kvr::RunSummary& s) { return s.avgOutputSimilarity; }},
      {"avg prompt similarity", K::Fraction,
       [](const kvr::RunSummary& s) { return s.avgPromptSimilarity; }},
      {"high-similarity prompts", K::Count,
       [](const kvr::RunSummary& s) { return double(s.highSimilarityPrompts); }},
      {"avg latency baseline", K::Seconds,
       [](const kvr::RunSummary& s) { return s.latencyBaselineAvgSeconds; }},
      {"avg latency recycled", K::Seconds,
       [](const kvr::RunSummary& s) { return s.latencyRecycledAvgSeconds; }},
      {"alpha (S = alpha k/m)", K::Fraction, [](const kvr::RunSummary& s) { return s.alpha; }},
      {"fallbacks", K::Count, [](const kvr::RunSummary& s) { return double(s.fallbacks); }},
      // The K/V store under a budget (GUIDE §7).
      {"hit rate", K::Fraction, [](const kvr::RunSummary& s) { return s.hitRate; }},
      {"TTFT saved", K::Seconds, [](const kvr::RunSummary& s) { return s.ttftSavedSeconds; }},
      {"peak resident K/V bytes", K::Count,
       [](const kvr::RunSummary& s) { return double(s.peakResidentBytes); }},
      {"footprint (byte-s)", K::Count,
       [](const kvr::RunSummary& s) { return s.footprintByteSeconds; }},
      {"footprint ratio vs unbounded", K::Fraction,
       [](const kvr::RunSummary& s) { return s.footprintRatio; }},
  };
  // Recomputed from the results so running and stored runs agree; once per run.
  QList<kvr::RunSummary> summaries;
  for (const ComparedRun& r : runs) summaries << kvr::summarizeResults(r.results);
  QList<MetricRow> rows;
  for (const Metric& m : metrics) {
    MetricRow row;
    row.metric = QString::fromLatin1(m.name);
    row.kind = m.kind;
    for (const kvr::RunSummary& s : summaries) row.values << m.get(s);
    for (double v : row.values) row.deltas << v - row.values.value(0);
    rows << row;
  }
  return rows;
}

QString jsonText(const QJsonValue& v) {
  if (v.isBool()) return v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
  if (v.isDouble()) return QString::number(v.toDouble(), 'g', 12);
  return v.toVariant().toString();
}

QList<ConfigRow> configRows(const QList<ComparedRun>& runs) {
  QMap<QString, QStringList> values;  // sorted keys
  for (int i = 0; i < runs.size(); ++i) {
    QJsonObject config =
        QJsonDocument::fromJson(QByteArray::fromStdString(runs[i].run.configJson)).object();
    config.insert(QStringLiteral("model_fingerprint"),
                  QString::fromStdString(runs[i].run.modelFingerprint));
    const QJsonObject machine =
        QJsonDocument::fromJson(QByteArray::fromStdString(runs[i].run.machineJson)).object();
    for (auto it = machine.begin(); it != machine.end(); ++it) {
      config.insert(QStringLiteral("machine.") + it.key(), it.value());
    }
    for (auto it = config.begin(); it != config.end(); ++it) {
      QStringList& list = values[it.key()];
      while (list.size() < i) list << QString();
      list << jsonText(it.value());
      if (it.key() == QStringLiteral("store_budget_bytes")) {  // bytes as a reader counts them
        const double bytes = it.value().toDouble();
        list.back() = bytes > 0 ? QStringLiteral("%1 (%2)").arg(list.back(), formatBytes(bytes))
                                : QStringLiteral("0 (none)");
      }
    }
  }
  QList<ConfigRow> rows;
  for (auto it = values.begin(); it != values.end(); ++it) {
    ConfigRow row;
    row.key = it.key();
    row.values = it.value();
    while (row.values.size() < runs.size()) row.values << QString();
    for (const QString& v : row.values) row.differs = row.differs || v != row.values.first();
    rows << row;
  }
  return rows;
}

QList<PromptRow> promptRows(const QList<ComparedRun>& runs) {
  QList<PromptRow> rows;
  QMap<QString, int> rowOf;
  for (int i = 0; i < runs.size(); ++i) {
    for (const kvr::PromptResult& r : runs[i].results) {
      const QString text = QString::fromStdString(r.promptText);
      if (!rowOf.contains(text)) {
        rowOf[text] = static_cast<int>(rows.size());
        PromptRow row;
        row.prompt = text;
        for (int j = 0; j < runs.size(); ++j) {
          row.speedups << std::numeric_limits<double>::quiet_NaN();
          row.exact << -1;
        }
        rows << row;
      }
      PromptRow& row = rows[rowOf[text]];
      row.speedups[i] = r.speedupPct;
      row.exact[i] = r.exactMatch ? 1 : 0;
    }
  }
  return rows;
}

}  // namespace

QString runLabel(const kvr::RunRecord& run) {
  return QStringLiteral("#%1 %2").arg(run.id).arg(QString::fromStdString(run.name));
}

RunSeries runSeries(const ComparedRun& run) {
  RunSeries series{runLabel(run.run), run.results, runDescription(run.run)};
  series.storeBudgetBytes = storeBudgetOf(run.run);
  series.eviction = configValue(run.run, "eviction");
  return series;
}

RunComparison compareRuns(const QList<ComparedRun>& runs) {
  RunComparison c;
  for (const ComparedRun& r : runs) {
    c.labels << runLabel(r.run);
    c.descriptions << runDescription(r.run);
  }
  c.metrics = metricRows(runs);
  c.config = configRows(runs);
  c.prompts = promptRows(runs);
  return c;
}

}  // namespace kvr::ui
