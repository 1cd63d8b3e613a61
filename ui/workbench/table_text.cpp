#include "workbench/table_text.h"

#include <QTableWidget>

namespace kvr::ui {
namespace {

QString cell(const QTableWidget* t, int row, int col) {
  const QTableWidgetItem* item = t->item(row, col);
  return item != nullptr ? item->text() : QString();
}

QString header(const QTableWidget* t, int col) {
  const QTableWidgetItem* item = t->horizontalHeaderItem(col);
  return item != nullptr ? item->text() : QString();
}

QString csvField(QString s) {
  if (!s.contains(QLatin1Char(',')) && !s.contains(QLatin1Char('"')) &&
      !s.contains(QLatin1Char('\n'))) {
    return s;
  }
  return QLatin1Char('"') + s.replace(QLatin1Char('"'), QStringLiteral("\"\"")) + QLatin1Char('"');
}

QString latex(QString s) {
  for (const char* c : {"\\", "&", "%", "$", "#", "_", "{", "}"}) {
    s.replace(QLatin1String(c), QStringLiteral("\\") + QLatin1String(c));
  }
  return s;
}

}  // namespace

QString tableText(const QTableWidget* t, const QString& format) {
  QString out;
  const int cols = t->columnCount();
  QStringList heads;
  for (int c = 0; c < cols; ++c) heads << header(t, c);
  if (format == QStringLiteral("md")) {
    out += QStringLiteral("| ") + heads.join(QStringLiteral(" | ")) + QStringLiteral(" |\n|");
    for (int c = 0; c < cols; ++c) out += QStringLiteral(" --- |");
    out += QLatin1Char('\n');
    for (int r = 0; r < t->rowCount(); ++r) {
      QStringList row;
      for (int c = 0; c < cols; ++c)
        row << cell(t, r, c).replace(QLatin1Char('|'), QStringLiteral("\\|"));
      out += QStringLiteral("| ") + row.join(QStringLiteral(" | ")) + QStringLiteral(" |\n");
    }
    return out;
  }
  if (format == QStringLiteral("tex")) {
    out += QStringLiteral("\\begin{tabular}{l%1}\n\\toprule\n")
               .arg(QString(cols - 1, QLatin1Char('r')));
    QStringList latexHeads;
    for (const QString& h : heads) latexHeads << latex(h);
    out += latexHeads.join(QStringLiteral(" & ")) + QStringLiteral(" \\\\\n\\midrule\n");
    for (int r = 0; r < t->rowCount(); ++r) {
      QStringList row;
      for (int c = 0; c < cols; ++c) row << latex(cell(t, r, c));
      out += row.join(QStringLiteral(" & ")) + QStringLiteral(" \\\\\n");
    }
    return out + QStringLiteral("\\bottomrule\n\\end{tabular}\n");
  }
  QStringList csvHeads;
  for (const QString& h : heads) csvHeads << csvField(h);
  out += csvHeads.join(QLatin1Char(',')) + QLatin1Char('\n');
  for (int r = 0; r < t->rowCount(); ++r) {
    QStringList row;
    for (int c = 0; c < cols; ++c) row << csvField(cell(t, r, c));
    out += row.join(QLatin1Char(',')) + QLatin1Char('\n');
  }
  return out;
}

}  // namespace kvr::ui
