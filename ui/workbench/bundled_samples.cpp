#include "workbench/bundled_samples.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include "kvrecycle/paths.h"

namespace kvr::ui {

QString samplesDirectory() {
  return QString::fromStdString(kvr::dataDirectory().string()) + QStringLiteral("/samples");
}

QString sampleFile(const QString& name) {
  const QString dir = samplesDirectory();
  const QString path = dir + QLatin1Char('/') + name;
  if (!QFileInfo::exists(path)) {
    QDir().mkpath(dir);
    QFile::copy(QStringLiteral(":/samples/") + name, path);
    QFile::setPermissions(path, QFileDevice::ReadOwner | QFileDevice::WriteOwner);
  }
  return path;
}

bool isSampleFile(const QString& path) {
  return path.startsWith(samplesDirectory());
}

}  // namespace kvr::ui
