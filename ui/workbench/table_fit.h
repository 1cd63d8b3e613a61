#pragma once
// Column widths that read: every column as wide as its header and contents
// (up to a cap, past which the text elides and the tooltip has it all), one
// column taking the room that is left, never the last one by accident.
class QTableView;

namespace kvr::ui {

// Call after the contents changed. `stretchColumn` < 0: no column stretches.
void fitColumns(QTableView* table, int stretchColumn, int maxColumnWidth = 260);
// Rows one line of text high (the style's default is half again as much), so a
// 1280x720 screen shows more than three of them.
void compactRows(QTableView* table);

}  // namespace kvr::ui
