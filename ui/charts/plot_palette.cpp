#include "charts/plot_palette.h"

#include <qcustomplot.h>

namespace kvr::ui {

void applyPlotPalette(QCustomPlot& plot, const QColor& text, const QColor& background) {
  QColor grid = text;
  grid.setAlphaF(0.18);
  plot.setBackground(QBrush(background));
  for (QCPAxis* axis : plot.axisRect()->axes()) {
    axis->setBasePen(QPen(text, 1));
    axis->setTickPen(QPen(text, 1));
    axis->setSubTickPen(QPen(text, 1));
    axis->setTickLabelColor(text);
    axis->setLabelColor(text);
    axis->grid()->setPen(QPen(grid, 1, Qt::DotLine));
  }
  plot.legend->setBrush(QBrush(background));
  plot.legend->setBorderPen(Qt::NoPen);
  plot.legend->setTextColor(text);
}

void placeLegendBelow(QCustomPlot& plot, int row, int wrap) {
  plot.axisRect()->insetLayout()->take(plot.legend);
  auto* legendRow = new QCPLayoutGrid;
  legendRow->setMargins(QMargins(6, 0, 6, 6));
  plot.plotLayout()->addElement(row, 0, legendRow);
  legendRow->addElement(0, 0, plot.legend);
  plot.plotLayout()->setRowStretchFactor(row, 0.001);
  plot.legend->setVisible(true);
  plot.legend->setFillOrder(QCPLegend::foColumnsFirst);
  plot.legend->setWrap(wrap);
  plot.legend->setSelectableParts(QCPLegend::spNone);
  plot.legend->setIconSize(22, 11);  // compact: more height for the data
  plot.legend->setColumnSpacing(12);
}

}  // namespace kvr::ui
