// kvrecycle: the Qt workbench. `kvrecycle export-charts ...` runs headless.
#include <QApplication>
#include <QIcon>
#include <cstring>

#include "kvrecycle/version.h"
#include "workbench/headless_export.h"
#include "workbench/main_window.h"

int main(int argc, char** argv) {
  const bool headless = argc > 1 && std::strcmp(argv[1], "export-charts") == 0;
  if (headless && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) {
    qputenv("QT_QPA_PLATFORM", "offscreen");
  }
  QApplication app(argc, argv);
  QApplication::setOrganizationName(QStringLiteral("kvrecycle"));
  QApplication::setApplicationName(QStringLiteral("kvrecycle"));
  QApplication::setApplicationVersion(QString::fromUtf8(kvr::kVersion));
  QApplication::setDesktopFileName(QStringLiteral("io.github.kvrecycle"));
  if (headless) return kvr::ui::runHeadlessChartExport(argc, argv);

  QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/kvrecycle.svg")));
  kvr::ui::MainWindow window({});  // sizes itself to the screen (saved geometry, clamped)
  window.show();
  // CSV files given on the command line (e.g. from the desktop entry's %F).
  QStringList files = QApplication::arguments();
  files.removeFirst();
  window.openPromptFiles(files);
  return QApplication::exec();
}
