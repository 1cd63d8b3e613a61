#include "workbench/splitter_memory.h"

#include <QSettings>
#include <QSplitter>

namespace kvr::ui {

void rememberSplitter(QSplitter* splitter, const QString& key) {
  const QString settingsKey = QStringLiteral("splitters/") + key;
  splitter->restoreState(QSettings().value(settingsKey).toByteArray());
  QObject::connect(splitter, &QSplitter::splitterMoved, splitter, [splitter, settingsKey] {
    QSettings().setValue(settingsKey, splitter->saveState());
  });
}

}  // namespace kvr::ui
