#pragma once
// One writer for every table kvrecycle exports, in every format: CSV
// (RFC 4180), Markdown, LaTeX (booktabs) and JSON (typed values). The CLI's
// exports, the workbench's Export table and the prompt-set writer all use it.
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace kvr {

enum class TableFormat { Csv, Markdown, Json, Latex };
// "csv", "md", "json" or "tex" (a file suffix); throws kvr::Error otherwise.
TableFormat parseTableFormat(const std::string& name);

// A cell: empty (null), integer, real, text, or a list of token ids.
using TableCell = std::variant<std::monostate, int64_t, double, std::string, std::vector<int>>;

struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<TableCell>> rows;  // each as long as columns
};

// A cell as text. Full precision (shortest round-trip form) for files meant
// to be read back (CSV); compact (6 significant digits) for reading (Markdown,
// LaTeX). Null and non-finite reals are empty in CSV, "-" otherwise.
std::string cellText(const TableCell& cell, bool compact);

// The whole table, header row first. JSON: an array of objects keyed by column.
std::string writeTable(const Table& table, TableFormat format);

// One CSV field, quoted (and its quotes doubled) when it holds , " CR or LF
// or begins or ends with a space or tab.
std::string csvField(const std::string& text);
// Text made safe inside a Markdown table cell / a LaTeX tabular cell.
std::string markdownCell(const std::string& text);
std::string latexCell(const std::string& text);

}  // namespace kvr
