#pragma once
// A QTableWidget as CSV, Markdown or LaTeX text (for the comparison tables).
#include <QString>

class QTableWidget;

namespace kvr::ui {

// `format` is a file suffix: "csv", "md" or "tex" (anything else: CSV).
QString tableText(const QTableWidget* table, const QString& format);

}  // namespace kvr::ui
