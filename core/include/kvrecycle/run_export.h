#pragma once
// A run's results as tables: CSV (one row per prompt, with the run's start
// time and duration; pandas-readable), Markdown, JSON and LaTeX.
#include <string>
#include <vector>

#include "kvrecycle/results.h"

namespace kvr {

enum class TableFormat { Csv, Markdown, Json, Latex };
// "csv", "md", "json" or "tex"; throws kvr::Error otherwise.
TableFormat parseTableFormat(const std::string& name);

std::string exportRun(const RunRecord& run, const std::vector<PromptResult>& results,
                      TableFormat format);

// The study's summary table plus exactness and TTFT, as Markdown rows (also
// the CLI's readable summary).
std::string summaryMarkdown(const RunSummary& summary);

// Seconds between two timestamps written by utcNowIso8601 (0 when either is empty).
double secondsBetween(const std::string& fromIso, const std::string& toIso);

}  // namespace kvr
