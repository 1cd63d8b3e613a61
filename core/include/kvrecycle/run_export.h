#pragma once
// A run's results as tables: CSV (one row per prompt, with the run's start
// time and duration; pandas-readable), Markdown, JSON and LaTeX.
#include <string>
#include <utility>
#include <vector>

#include "kvrecycle/eviction_settings.h"
#include "kvrecycle/results.h"
#include "kvrecycle/table_writer.h"

namespace kvr {

std::string exportRun(const RunRecord& run, const std::vector<PromptResult>& results,
                      TableFormat format);

// A run's record (not its results) as one JSON object: the JSON export's "run"
// and each entry of `kvrecycle-cli runs --json`.
std::string runRecordJson(const RunRecord& run);

// A run's configuration as a Markdown table of settings and values.
std::string runConfigurationMarkdown(const RunRecord& run);

// An eviction run's rows (one per prompt x method x budget) in the same
// formats: CSV with the run's columns, Markdown with summary and
// configuration, JSON with run, config, machine, summary and results.
std::string exportEvictionRun(const RunRecord& run, const std::vector<EvictionResultRow>& rows,
                              TableFormat format);

// The study's summary table plus exactness and TTFT: (metric, formatted value)
// rows, shared by the CLI, the exports and the workbench's summary panel.
std::vector<std::pair<std::string, std::string>> summaryRows(const RunSummary& summary);
// Those rows as a Markdown table (the CLI's readable summary).
std::string summaryMarkdown(const RunSummary& summary);

// Seconds between two timestamps written by utcNowIso8601 (0 when either is empty).
double secondsBetween(const std::string& fromIso, const std::string& toIso);

}  // namespace kvr
