#pragma once
// A splitter that remembers where the user left it (QSettings, per key):
// restored now, saved whenever it is moved.
#include <QString>

class QSplitter;

namespace kvr::ui {

void rememberSplitter(QSplitter* splitter, const QString& key);

}  // namespace kvr::ui
