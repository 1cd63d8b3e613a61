// Exports of eviction runs: the per-prompt rows and the per-method summary.
#include <nlohmann/json.hpp>
#include <sstream>

#include "kvrecycle/eviction_summary.h"
#include "kvrecycle/run_export.h"

namespace kvr {
namespace {

using Json = nlohmann::ordered_json;

Table rowsTable(const std::vector<std::string>& runColumns, const std::vector<TableCell>& runCells,
                const std::vector<EvictionResultRow>& rows) {
  Table t;
  t.columns = runColumns;
  for (const char* c :
       {"prompt_index", "prompt_id", "method", "budget", "prompt_tokens", "new_tokens", "footprint",
        "footprint_ratio", "peak_entries", "peak_bytes", "token_agreement", "first_divergence",
        "mean_logit_diff", "max_logit_diff", "nll", "nll_delta"}) {
    t.columns.emplace_back(c);
  }
  for (const EvictionResultRow& r : rows) {
    const EvictionFidelity& f = r.fidelity;
    std::vector<TableCell> row = runCells;
    const std::vector<TableCell> cells{
        int64_t{r.promptIndex},
        r.promptId,
        std::string(evictionMethodName(r.method)),
        int64_t{r.budget},
        int64_t{r.promptTokens},
        int64_t{r.newTokens},
        f.footprint,
        f.footprintRatio,
        f.peakEntries,
        f.peakBytes,
        f.tokenAgreement,
        f.firstDivergence >= 0 ? TableCell(int64_t{f.firstDivergence}) : TableCell(),
        f.meanLogitDiff,
        f.maxLogitDiff,
        f.nll,
        f.nllDelta};
    row.insert(row.end(), cells.begin(), cells.end());
    t.rows.push_back(std::move(row));
  }
  return t;
}

Table summaryTable(const std::vector<EvictionSummaryRow>& summary) {
  Table t;
  t.columns = {"method",
               "budget",
               "prompts",
               "footprint ratio",
               "peak entries",
               "token agreement",
               "first divergence (median)",
               "max |dlogit|",
               "NLL delta"};
  for (const EvictionSummaryRow& s : summary) {
    t.rows.push_back({std::string(evictionMethodName(s.method)),
                      s.method == EvictionMethod::Full ? TableCell() : TableCell(int64_t{s.budget}),
                      int64_t{s.prompts}, s.footprintRatio, s.peakEntries, s.tokenAgreement,
                      s.firstDivergenceMedian, s.maxLogitDiff, s.nllDelta});
  }
  return t;
}

}  // namespace

std::string exportEvictionRun(const RunRecord& run, const std::vector<EvictionResultRow>& rows,
                              TableFormat format) {
  const std::vector<EvictionSummaryRow> summary = summarizeEviction(rows);
  switch (format) {
    case TableFormat::Csv:
      return writeTable(
          rowsTable({"run_id", "run_name", "run_started_at", "run_status"},
                    {run.id, run.name, run.createdAt, std::string(runStatusName(run.status))},
                    rows),
          TableFormat::Csv);
    case TableFormat::Markdown: {
      std::ostringstream out;
      out << "# Eviction run " << run.id << ": " << markdownCell(run.name) << "\n\n"
          << "Started " << run.createdAt << ", status " << runStatusName(run.status) << ", model `"
          << run.modelPath << "`"
          << (run.synthetic ? " (synthetic weights: random weights attend almost uniformly, so "
                              "these results show the mechanics and the footprint, not quality)"
                            : "")
          << ".\n\n## Summary\n\n"
          << writeTable(summaryTable(summary), TableFormat::Markdown) << "\n## Configuration\n\n"
          << runConfigurationMarkdown(run) << "\n## Results\n\n"
          << writeTable(rowsTable({}, {}, rows), TableFormat::Markdown);
      return out.str();
    }
    case TableFormat::Latex:
      return "% kvrecycle eviction run " + std::to_string(run.id) + " (" + latexCell(run.name) +
             ")\n" + writeTable(summaryTable(summary), TableFormat::Latex);
    case TableFormat::Json: {
      Json j;
      j["run"] = Json::parse(runRecordJson(run));
      j["config"] = Json::parse(run.configJson.empty() ? "{}" : run.configJson);
      j["machine"] = Json::parse(run.machineJson.empty() ? "{}" : run.machineJson);
      j["summary"] = Json::parse(evictionSummaryJson(summary))["methods"];
      j["results"] = Json::parse(writeTable(rowsTable({}, {}, rows), TableFormat::Json));
      return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
    }
  }
  return {};
}

}  // namespace kvr
