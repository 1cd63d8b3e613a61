#include "workbench/table_fit.h"

#include <QHeaderView>
#include <QTableView>
#include <algorithm>

namespace kvr::ui {

void fitColumns(QTableView* table, int stretchColumn, int maxColumnWidth) {
  QHeaderView* header = table->horizontalHeader();
  header->setStretchLastSection(false);
  header->setTextElideMode(Qt::ElideRight);
  table->setTextElideMode(Qt::ElideRight);
  table->setWordWrap(false);
  const int columns = header->count();
  for (int c = 0; c < columns; ++c) {
    header->setSectionResizeMode(c, QHeaderView::Interactive);
    if (c == stretchColumn) continue;
    table->resizeColumnToContents(c);
    header->resizeSection(c, std::min(header->sectionSize(c), maxColumnWidth));
  }
  if (stretchColumn >= 0 && stretchColumn < columns) {
    header->setSectionResizeMode(stretchColumn, QHeaderView::Stretch);
  }
}

void compactRows(QTableView* table) {
  const int height = table->fontMetrics().height() + 6;
  table->verticalHeader()->setMinimumSectionSize(height);
  table->verticalHeader()->setDefaultSectionSize(height);
}

}  // namespace kvr::ui
