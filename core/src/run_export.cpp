#include "kvrecycle/run_export.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <ctime>
#include <functional>
#include <iomanip>
#include <sstream>

#include "kvrecycle/error.h"
#include "kvrecycle/experiment.h"

namespace kvr {
namespace {

using Json = nlohmann::ordered_json;

// One exported column: its name and its typed value for a result.
struct Column {
  const char* name;
  std::function<Json(const PromptResult&)> value;
};

std::string num(double v, int precision = 6) {
  std::ostringstream ss;
  ss << std::setprecision(precision) << v;
  return ss.str();
}

const std::vector<Column>& columns() {
  using R = const PromptResult&;
  static const std::vector<Column> all = {
      {"index", [](R r) { return Json(r.index); }},
      {"prompt_id", [](R r) { return Json(r.promptId); }},
      {"prompt", [](R r) { return Json(r.promptText); }},
      {"prompt_tokens", [](R r) { return Json(r.promptTokens); }},
      {"reused_tokens", [](R r) { return Json(r.reusedTokens); }},
      {"cached_prompt_id", [](R r) { return Json(r.cachedPromptId); }},
      {"cached_entry", [](R r) { return Json(r.cachedEntryId); }},
      {"prompt_similarity", [](R r) { return Json(r.promptSimilarity); }},
      {"kv_load_s", [](R r) { return Json(r.kvLoadSeconds); }},
      {"kv_load_iqr_s", [](R r) { return Json(r.kvLoadIqrSeconds); }},
      {"kv_page_cache", [](R r) { return Json(r.kvPageCache); }},
      {"baseline_ttft_s", [](R r) { return Json(r.baselineTtftSeconds); }},
      {"baseline_ttft_iqr_s", [](R r) { return Json(r.baselineTtftIqrSeconds); }},
      {"baseline_decode_s", [](R r) { return Json(r.baselineDecodeSeconds); }},
      {"baseline_decode_iqr_s", [](R r) { return Json(r.baselineDecodeIqrSeconds); }},
      {"baseline_total_s", [](R r) { return Json(r.baselineTotalSeconds); }},
      {"baseline_total_iqr_s", [](R r) { return Json(r.baselineTotalSpreadSeconds); }},
      {"recycled_prefill_s", [](R r) { return Json(r.recycledPrefillSeconds); }},
      {"recycled_ttft_s", [](R r) { return Json(r.recycledTtftSeconds); }},
      {"recycled_ttft_iqr_s", [](R r) { return Json(r.recycledTtftIqrSeconds); }},
      {"ideal_recycled_ttft_s", [](R r) { return Json(r.idealRecycledTtftSeconds); }},
      {"recycled_decode_s", [](R r) { return Json(r.recycledDecodeSeconds); }},
      {"recycled_decode_iqr_s", [](R r) { return Json(r.recycledDecodeIqrSeconds); }},
      {"recycled_total_s", [](R r) { return Json(r.recycledTotalSeconds); }},
      {"recycled_total_iqr_s", [](R r) { return Json(r.recycledTotalSpreadSeconds); }},
      {"speedup_pct", [](R r) { return Json(r.speedupPct); }},
      {"speedup_iqr_pct", [](R r) { return Json(r.speedupIqrPct); }},
      {"ttft_speedup", [](R r) { return Json(r.ttftSpeedup); }},
      {"measured_repeats", [](R r) { return Json(r.measuredRepeats); }},
      {"remeasured_repeats", [](R r) { return Json(r.remeasuredRepeats); }},
      {"disturbed_repeats", [](R r) { return Json(r.disturbedRepeats); }},
      {"max_decode_asymmetry", [](R r) { return Json(r.maxDecodeAsymmetry); }},
      {"noisy", [](R r) { return Json(r.noisy ? 1 : 0); }},
      {"noise_reason", [](R r) { return Json(r.noiseReason); }},
      // Exactness is only tested where K/V were reused; elsewhere it is null.
      {"exact_match",
       [](R r) { return r.exactnessTested() ? Json(r.exactMatch ? 1 : 0) : Json(nullptr); }},
      {"first_divergence", [](R r) { return Json(r.firstDivergence); }},
      {"max_logit_diff", [](R r) { return Json(r.maxLogitDiff); }},
      {"output_similarity", [](R r) { return Json(r.outputSimilarity); }},
      {"baseline_tokens", [](R r) { return Json(r.baselineTokensGenerated); }},
      {"recycled_tokens", [](R r) { return Json(r.recycledTokensGenerated); }},
      {"fallback_reason", [](R r) { return Json(r.fallbackReason); }},
      {"baseline_output", [](R r) { return Json(r.baselineOutput); }},
      {"recycled_output", [](R r) { return Json(r.recycledOutput); }},
      {"baseline_output_ids", [](R r) { return Json(r.baselineOutputIds); }},
      {"recycled_output_ids", [](R r) { return Json(r.recycledOutputIds); }},
  };
  return all;
}

// A value as table text: strings verbatim, numbers compactly, lists as JSON.
std::string text(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_float()) return num(value.get<double>());
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// The columns a reader wants in a paper or a README table.
const std::vector<std::string> kCompactColumns = {
    "prompt_id",       "prompt_tokens",   "reused_tokens",     "kv_load_s",
    "baseline_ttft_s", "recycled_ttft_s", "baseline_total_s",  "recycled_total_s",
    "speedup_pct",     "exact_match",     "output_similarity", "noisy"};

std::string csvField(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string markdownCell(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string latexCell(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
      case '%':
      case '$':
      case '#':
      case '_':
      case '{':
      case '}':
        out += '\\';
        out += c;
        break;
      case '~':
        out += "\\textasciitilde{}";
        break;
      case '^':
        out += "\\textasciicircum{}";
        break;
      case '\\':
        out += "\\textbackslash{}";
        break;
      case '\n':
      case '\r':
        out += ' ';
        break;
      default:
        out += c;
    }
  }
  return out;
}

const Column& column(const std::string& name) {
  for (const Column& c : columns()) {
    if (name == c.name) return c;
  }
  throw Error("unknown column " + name);
}

std::string exportCsv(const RunRecord& run, const std::vector<PromptResult>& results) {
  std::ostringstream out;
  out << "run_id,run_name,run_started_at,run_duration_s,run_status";
  for (const Column& c : columns()) out << ',' << c.name;
  out << '\n';
  const std::string duration = num(secondsBetween(run.createdAt, run.finishedAt));
  for (const PromptResult& r : results) {
    out << run.id << ',' << csvField(run.name) << ',' << run.createdAt << ',' << duration << ','
        << runStatusName(run.status);
    for (const Column& c : columns()) out << ',' << csvField(text(c.value(r)));
    out << '\n';
  }
  return out.str();
}

std::string exportMarkdown(const RunRecord& run, const std::vector<PromptResult>& results) {
  std::ostringstream out;
  out << "# Run " << run.id << ": " << markdownCell(run.name) << "\n\n"
      << "Started " << run.createdAt << ", status " << runStatusName(run.status) << ", model `"
      << run.modelPath << "`"
      << (run.synthetic ? " (synthetic weights: its text is meaningless)" : "") << ".\n\n"
      << summaryMarkdown(summaryFromJson(run.summaryJson)) << "\n| ";
  for (const auto& name : kCompactColumns) out << name << " | ";
  out << "\n|";
  for (size_t i = 0; i < kCompactColumns.size(); ++i) out << " --- |";
  out << "\n";
  for (const PromptResult& r : results) {
    out << "| ";
    for (const auto& name : kCompactColumns)
      out << markdownCell(text(column(name).value(r))) << " | ";
    out << "\n";
  }
  return out.str();
}

std::string exportLatex(const RunRecord& run, const std::vector<PromptResult>& results) {
  std::ostringstream out;
  out << "% kvrecycle run " << run.id << " (" << latexCell(run.name) << "), " << run.createdAt
      << "; needs \\usepackage{booktabs}\n"
      << "\\begin{tabular}{l" << std::string(kCompactColumns.size() - 1, 'r') << "}\n\\toprule\n";
  for (size_t i = 0; i < kCompactColumns.size(); ++i) {
    out << (i ? " & " : "") << latexCell(kCompactColumns[i]);
  }
  out << " \\\\\n\\midrule\n";
  for (const PromptResult& r : results) {
    for (size_t i = 0; i < kCompactColumns.size(); ++i) {
      out << (i ? " & " : "") << latexCell(text(column(kCompactColumns[i]).value(r)));
    }
    out << " \\\\\n";
  }
  out << "\\bottomrule\n\\end{tabular}\n";
  return out.str();
}

std::string exportJson(const RunRecord& run, const std::vector<PromptResult>& results) {
  Json j;
  j["run"] = {{"id", run.id},
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
              {"error", run.error}};
  j["config"] = Json::parse(run.configJson.empty() ? "{}" : run.configJson);
  j["machine"] = Json::parse(run.machineJson.empty() ? "{}" : run.machineJson);
  j["summary"] = Json::parse(summaryToJson(summaryFromJson(run.summaryJson)));
  Json rows = Json::array();
  for (const PromptResult& r : results) {
    Json row;
    for (const Column& c : columns()) row[c.name] = c.value(r);
    rows.push_back(std::move(row));
  }
  j["results"] = rows;
  return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::time_t parseIso(const std::string& iso) {
  std::tm tm{};
  std::istringstream in(iso);
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%SZ");
  return in.fail() ? 0 : timegm(&tm);
}

}  // namespace

TableFormat parseTableFormat(const std::string& name) {
  if (name == "csv") return TableFormat::Csv;
  if (name == "md") return TableFormat::Markdown;
  if (name == "json") return TableFormat::Json;
  if (name == "tex") return TableFormat::Latex;
  throw Error("unknown format '" + name + "' (expected csv, md, json or tex)");
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
  std::ostringstream out;
  out << "| Metric | Value |\n| --- | --- |\n";
  for (const auto& [metric, value] : summaryRows(s))
    out << "| " << metric << " | " << value << " |\n";
  return out.str();
}

double secondsBetween(const std::string& fromIso, const std::string& toIso) {
  if (fromIso.empty() || toIso.empty()) return 0.0;
  return std::difftime(parseIso(toIso), parseIso(fromIso));
}

}  // namespace kvr
