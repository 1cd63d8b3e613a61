#include "kvrecycle/run_export.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <ctime>
#include <iomanip>
#include <sstream>

#include "kvrecycle/error.h"
#include "store/result_columns.h"

namespace kvr {
namespace {

using Json = nlohmann::ordered_json;

std::string num(double v, int precision = 6) {
  std::ostringstream ss;
  ss << std::setprecision(precision) << v;
  return ss.str();
}

// The columns a reader wants in a paper or a README table.
const std::vector<std::string> kCompactColumns = {
    "prompt_id",       "prompt_tokens",   "reused_tokens",     "kv_load_s",
    "baseline_ttft_s", "recycled_ttft_s", "baseline_total_s",  "recycled_total_s",
    "speedup_pct",     "exact_match",     "output_similarity", "noisy"};

// A result's cell for an export: its stored value, except exactness, which is
// only a verdict where K/V were reused (null elsewhere).
TableCell exportCell(const ResultColumn& column, const PromptResult& r) {
  if (column.name == "exact_match" && !r.exactnessTested()) return {};
  return column.get(r);
}

// Every result column, prefixed by `runColumns` of `runCells`.
Table resultsTable(const std::vector<std::string>& runColumns,
                   const std::vector<TableCell>& runCells,
                   const std::vector<PromptResult>& results) {
  Table table;
  table.columns = runColumns;
  for (const ResultColumn& c : resultColumns()) table.columns.push_back(c.name);
  for (const PromptResult& r : results) {
    std::vector<TableCell> row = runCells;
    for (const ResultColumn& c : resultColumns()) row.push_back(exportCell(c, r));
    table.rows.push_back(std::move(row));
  }
  return table;
}

Table compactTable(const std::vector<PromptResult>& results) {
  Table table;
  table.columns = kCompactColumns;
  for (const PromptResult& r : results) {
    std::vector<TableCell> row;
    for (const auto& name : kCompactColumns) row.push_back(exportCell(resultColumn(name), r));
    table.rows.push_back(std::move(row));
  }
  return table;
}

// What a reader needs to reproduce the run, from its stored configuration.
std::string exportCsv(const RunRecord& run, const std::vector<PromptResult>& results) {
  return writeTable(
      resultsTable({"run_id", "run_name", "run_started_at", "run_duration_s", "run_status"},
                   {run.id, run.name, run.createdAt, secondsBetween(run.createdAt, run.finishedAt),
                    std::string(runStatusName(run.status))},
                   results),
      TableFormat::Csv);
}

std::string exportMarkdown(const RunRecord& run, const std::vector<PromptResult>& results) {
  std::ostringstream out;
  out << "# Run " << run.id << ": " << markdownCell(run.name) << "\n\n"
      << "Started " << run.createdAt << ", status " << runStatusName(run.status) << ", model `"
      << run.modelPath << "`"
      << (run.synthetic ? " (synthetic weights: its text is meaningless)" : "") << ".\n\n"
      << "## Summary\n\n"
      << summaryMarkdown(summaryFromJson(run.summaryJson)) << "\n## Configuration\n\n"
      << runConfigurationMarkdown(run) << "\n## Results\n\n"
      << writeTable(compactTable(results), TableFormat::Markdown);
  return out.str();
}

std::string exportLatex(const RunRecord& run, const std::vector<PromptResult>& results) {
  return "% kvrecycle run " + std::to_string(run.id) + " (" + latexCell(run.name) + "), " +
         run.createdAt + "\n" + writeTable(compactTable(results), TableFormat::Latex);
}

std::string exportJson(const RunRecord& run, const std::vector<PromptResult>& results) {
  Json j;
  j["run"] = Json::parse(runRecordJson(run));
  j["config"] = Json::parse(run.configJson.empty() ? "{}" : run.configJson);
  j["machine"] = Json::parse(run.machineJson.empty() ? "{}" : run.machineJson);
  j["summary"] = Json::parse(summaryToJson(summaryFromJson(run.summaryJson)));
  j["results"] = Json::parse(writeTable(resultsTable({}, {}, results), TableFormat::Json));
  return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::time_t parseIso(const std::string& iso) {
  std::tm tm{};
  std::istringstream in(iso);
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%SZ");
  return in.fail() ? 0 : timegm(&tm);
}

}  // namespace

std::string runConfigurationMarkdown(const RunRecord& run) {
  const Json config = Json::parse(run.configJson.empty() ? "{}" : run.configJson, nullptr, false);
  if (!config.is_object()) return "";
  Table table;
  table.columns = {"Setting", "Value"};
  for (const auto& [key, value] : config.items()) {
    table.rows.push_back({key, value.is_string() ? value.get<std::string>() : value.dump()});
  }
  return writeTable(table, TableFormat::Markdown);
}

std::string runRecordJson(const RunRecord& run) {
  Json j = {{"id", run.id},
            {"kind", runKindName(run.kind)},
            {"name", run.name},
            {"notes", run.notes},
            {"tags", run.tags},
            {"created_at", run.createdAt},
            {"finished_at", run.finishedAt},
            {"duration_s", secondsBetween(run.createdAt, run.finishedAt)},
            {"status", runStatusName(run.status)},
            {"model_path", run.modelPath},
            {"model_fingerprint", run.modelFingerprint},
            {"synthetic", run.synthetic},
            {"planned_prompts", run.plannedPrompts},
            {"error", run.error}};
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string exportRun(const RunRecord& run, const std::vector<PromptResult>& results,
                      TableFormat format) {
  switch (format) {
    case TableFormat::Csv:
      return exportCsv(run, results);
    case TableFormat::Markdown:
      return exportMarkdown(run, results);
    case TableFormat::Json:
      return exportJson(run, results);
    case TableFormat::Latex:
      return exportLatex(run, results);
  }
  return {};
}

namespace {

// "8.4 % [-2.1, 19]": a value with its 95 % interval when there is one.
std::string withInterval(double value, const Interval95& ci, int precision,
                         const std::string& unit) {
  std::string out = num(value, precision) + unit;
  if (ci.valid()) out += " [" + num(ci.low, precision) + ", " + num(ci.high, precision) + "]";
  return out;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> summaryRows(const RunSummary& s) {
  const bool partial = s.plannedPrompts > s.prompts;
  const std::string exact = s.reusedPrompts == 0
                                ? std::string("- (no prompt reused K/V)")
                                : num(s.exactMatchRate, 4) + " (" + std::to_string(s.exactReused) +
                                      " of " + std::to_string(s.reusedPrompts) + " reused)";
  std::string alpha = withInterval(s.alpha, s.alphaCi95, 4, "");
  if (!std::isnan(s.alphaR2)) alpha += ", R^2 " + num(s.alphaR2, 3);
  return {
      {"Prompts", std::to_string(s.prompts) +
                      (partial ? " of " + std::to_string(s.plannedPrompts) + " planned" : "")},
      {"Cache hits", std::to_string(s.cacheHits)},
      {"Tokens reused", std::to_string(s.tokensReused)},
      {"End-to-end speedup, overall", withInterval(s.avgSpeedupPct, s.avgSpeedupCi95, 3, " %")},
      {"End-to-end speedup, with cache",
       withInterval(s.avgSpeedupWithCachePct, s.avgSpeedupWithCacheCi95, 3, " %")},
      {"End-to-end speedup, without cache",
       withInterval(s.avgSpeedupWithoutCachePct, s.avgSpeedupWithoutCacheCi95, 3, " %")},
      {"TTFT speedup", withInterval(s.avgTtftSpeedup, s.avgTtftSpeedupCi95, 3, " x")},
      {"Average output similarity", num(s.avgOutputSimilarity, 4)},
      {"Average prompt similarity", num(s.avgPromptSimilarity, 4)},
      {"High-similarity prompts (> 0.8)", std::to_string(s.highSimilarityPrompts)},
      {"Average latency without cache", num(s.latencyBaselineAvgSeconds, 4) + " s"},
      {"Average latency with cache", num(s.latencyRecycledAvgSeconds, 4) + " s"},
      {"Exact-match rate", exact},
      {"Fitted alpha (S = alpha * k/m, noisy left out)", alpha},
      {"Noisy prompts", std::to_string(s.noisyPrompts) + " of " + std::to_string(s.prompts)},
      {"Fallbacks to full prefill", std::to_string(s.fallbacks)},
  };
}

std::string summaryMarkdown(const RunSummary& s) {
  Table table;
  table.columns = {"Metric", "Value"};
  for (const auto& [metric, value] : summaryRows(s)) table.rows.push_back({metric, value});
  return writeTable(table, TableFormat::Markdown);
}

double secondsBetween(const std::string& fromIso, const std::string& toIso) {
  if (fromIso.empty() || toIso.empty()) return 0.0;
  return std::difftime(parseIso(toIso), parseIso(fromIso));
}

}  // namespace kvr
