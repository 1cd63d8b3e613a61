#include "kvrecycle/table_writer.h"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>
#include <cstdio>

#include "kvrecycle/error.h"

namespace kvr {
namespace {

using Json = nlohmann::ordered_json;

std::string realText(double v, bool compact) {
  if (compact) {
    char text[32];
    std::snprintf(text, sizeof text, "%.6g", v);
    return text;
  }
  char text[32];
  const auto end = std::to_chars(text, text + sizeof text, v).ptr;
  return std::string(text, end);
}

bool isNull(const TableCell& cell) {
  if (std::holds_alternative<std::monostate>(cell)) return true;
  const double* real = std::get_if<double>(&cell);
  return real != nullptr && !std::isfinite(*real);
}

Json cellJson(const TableCell& cell) {
  if (isNull(cell)) return nullptr;
  if (const auto* i = std::get_if<int64_t>(&cell)) return *i;
  if (const auto* d = std::get_if<double>(&cell)) return *d;
  if (const auto* s = std::get_if<std::string>(&cell)) return *s;
  return std::get<std::vector<int>>(cell);
}

std::string rowText(const std::vector<std::string>& cells, const std::string& open,
                    const std::string& separator, const std::string& close) {
  std::string out = open;
  for (size_t i = 0; i < cells.size(); ++i) out += (i > 0 ? separator : "") + cells[i];
  return out + close;
}

template <typename Escape>
std::vector<std::string> texts(const std::vector<TableCell>& row, bool compact, Escape escape) {
  std::vector<std::string> out;
  for (const TableCell& cell : row) out.push_back(escape(cellText(cell, compact)));
  return out;
}

std::vector<std::string> escaped(const std::vector<std::string>& names,
                                 std::string (*escape)(const std::string&)) {
  std::vector<std::string> out;
  for (const auto& name : names) out.push_back(escape(name));
  return out;
}

}  // namespace

TableFormat parseTableFormat(const std::string& name) {
  if (name == "csv") return TableFormat::Csv;
  if (name == "md") return TableFormat::Markdown;
  if (name == "json") return TableFormat::Json;
  if (name == "tex") return TableFormat::Latex;
  throw Error("unknown table format '" + name + "' (expected csv, md, json or tex)");
}

std::string cellText(const TableCell& cell, bool compact) {
  if (isNull(cell)) return compact ? "-" : "";
  if (const auto* i = std::get_if<int64_t>(&cell)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&cell)) return realText(*d, compact);
  if (const auto* s = std::get_if<std::string>(&cell)) return *s;
  return Json(std::get<std::vector<int>>(cell)).dump();
}

std::string csvField(const std::string& s) {
  // Surrounding whitespace is quoted too, for readers that would trim it.
  const auto space = [](char c) { return c == ' ' || c == '\t'; };
  const bool quote = s.find_first_of(",\"\r\n") != std::string::npos ||
                     (!s.empty() && (space(s.front()) || space(s.back())));
  if (!quote) return s;
  std::string out = "\"";
  for (const char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string markdownCell(const std::string& s) {
  std::string out;
  for (const char c : s) {
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
  for (const char c : s) {
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

std::string writeTable(const Table& table, TableFormat format) {
  for (const auto& row : table.rows) {
    if (row.size() != table.columns.size()) {
      throw Error("table row has " + std::to_string(row.size()) + " cells for " +
                  std::to_string(table.columns.size()) + " columns");
    }
  }
  std::string out;
  switch (format) {
    case TableFormat::Csv:
      out = rowText(escaped(table.columns, csvField), "", ",", "\n");
      for (const auto& row : table.rows) {
        out += rowText(texts(row, false, csvField), "", ",", "\n");
      }
      return out;
    case TableFormat::Markdown:
      out = rowText(escaped(table.columns, markdownCell), "| ", " | ", " |\n") + "|";
      for (size_t i = 0; i < table.columns.size(); ++i) out += " --- |";
      out += "\n";
      for (const auto& row : table.rows) {
        out += rowText(texts(row, true, markdownCell), "| ", " | ", " |\n");
      }
      return out;
    case TableFormat::Latex:
      out = "% needs \\usepackage{booktabs}\n\\begin{tabular}{l" +
            std::string(table.columns.empty() ? 0 : table.columns.size() - 1, 'r') +
            "}\n\\toprule\n";
      out += rowText(escaped(table.columns, latexCell), "", " & ", " \\\\\n") + "\\midrule\n";
      for (const auto& row : table.rows) {
        out += rowText(texts(row, true, latexCell), "", " & ", " \\\\\n");
      }
      return out + "\\bottomrule\n\\end{tabular}\n";
    case TableFormat::Json: {
      Json rows = Json::array();
      for (const auto& row : table.rows) {
        Json object = Json::object();
        for (size_t i = 0; i < row.size(); ++i) object[table.columns[i]] = cellJson(row[i]);
        rows.push_back(std::move(object));
      }
      return rows.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
    }
  }
  return out;
}

}  // namespace kvr
