#pragma once
// How the CPU forward stores a bf16 matrix [rows, cols]: in panels of eight
// rows. Within a panel come columns 0-15 of its eight rows, row after row,
// then columns 16-31 of the same rows, and so on, so a decode step reads each
// panel as one sequential stream. Eight separate bf16 rows of 768 columns are
// only 1.5 KB each, too short for the prefetchers: a matrix-vector product
// over them ran at 40-62 GB/s, over panels at 72-87 (2 threads, this
// project's Zen 5 VM; float32 rows, twice as long, gained nothing from panels
// and stay plain rows). Rows are padded to a multiple of 8 and columns to a
// multiple of 16, with zeros.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "model/cpu/bf16.h"

namespace kvr::cpu {

constexpr int kPanelRows = 8;
constexpr int kPanelCols = 16;

inline size_t paddedPanelCols(int cols) {
  return (static_cast<size_t>(cols) + kPanelCols - 1) / kPanelCols * kPanelCols;
}
inline size_t panelCount(int rows) {
  return (static_cast<size_t>(rows) + kPanelRows - 1) / kPanelRows;
}
// Elements of one panel, and of a whole matrix.
inline size_t panelElements(int cols) {
  return kPanelRows * paddedPanelCols(cols);
}
inline size_t panelMatrixElements(int rows, int cols) {
  return panelCount(rows) * panelElements(cols);
}
// Where element (row, col) lives.
inline size_t panelIndex(int row, int col, int cols) {
  return static_cast<size_t>(row / kPanelRows) * panelElements(cols) +
         static_cast<size_t>(col / kPanelCols) * (kPanelRows * kPanelCols) +
         static_cast<size_t>(row % kPanelRows) * kPanelCols + static_cast<size_t>(col % kPanelCols);
}

// Panels [firstPanel, endPanel) of `to` (zeroed beforehand, for the padding)
// from value(row, col), each rounded to bf16.
template <typename Value>
void packBf16Panels(int rows, int cols, size_t firstPanel, size_t endPanel, const Value& value,
                    uint16_t* to) {
  for (size_t p = firstPanel; p < endPanel; ++p) {
    const int rowEnd = static_cast<int>(std::min<size_t>((p + 1) * kPanelRows, rows));
    for (int c = 0; c < cols; ++c) {
      for (int r = static_cast<int>(p * kPanelRows); r < rowEnd; ++r)
        to[panelIndex(r, c, cols)] = floatToBf16(value(r, c));
    }
  }
}

// y[r] (= or +=) bias[r] + sums[r - first]: the sums of the panel starting at row `first` for the
// rows that fall in [r0, r1).
inline void storePanelRows(const float* sums, int first, const float* bias, float* y, int r0,
                           int r1, bool accumulate) {
  for (int k = 0; k < kPanelRows; ++k) {
    const int r = first + k;
    if (r < r0 || r >= r1) continue;
    const float v = (bias != nullptr ? bias[r] : 0.f) + sums[k];
    y[r] = accumulate ? y[r] + v : v;
  }
}

}  // namespace kvr::cpu
