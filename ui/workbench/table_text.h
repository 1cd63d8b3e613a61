#pragma once
// A QTableWidget through the engine's one table writer (kvrecycle/table_writer.h).
#include <QString>

class QTableWidget;

namespace kvr::ui {

// `format` is a file suffix: "csv", "md", "tex" or "json"; throws kvr::Error otherwise.
QString tableText(const QTableWidget* table, const QString& format);

}  // namespace kvr::ui
