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

}  // namespace kvr::ui
