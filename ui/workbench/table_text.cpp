#include "workbench/table_text.h"

#include <QTableWidget>

#include "kvrecycle/table_writer.h"

namespace kvr::ui {
namespace {

std::string text(const QTableWidgetItem* item) {
  return item != nullptr ? item->text().toStdString() : std::string();
}

}  // namespace

QString tableText(const QTableWidget* t, const QString& format) {
  kvr::Table table;
  for (int c = 0; c < t->columnCount(); ++c)
    table.columns.push_back(text(t->horizontalHeaderItem(c)));
  for (int r = 0; r < t->rowCount(); ++r) {
    std::vector<kvr::TableCell> row;
    for (int c = 0; c < t->columnCount(); ++c) row.emplace_back(text(t->item(r, c)));
    table.rows.push_back(std::move(row));
  }
  return QString::fromStdString(
      kvr::writeTable(table, kvr::parseTableFormat(format.toStdString())));
}

}  // namespace kvr::ui
