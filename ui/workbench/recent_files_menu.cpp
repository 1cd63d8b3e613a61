#include "workbench/recent_files_menu.h"

#include <QFileInfo>
#include <QMenu>
#include <QSettings>

namespace kvr::ui {
namespace {

constexpr int kMaxRecentFiles = 8;
const QString kSettingsKey = QStringLiteral("recentFiles");

}  // namespace

RecentFilesMenu::RecentFilesMenu(QMenu* menu, QObject* parent) : QObject(parent), menu_(menu) {
  refresh();
}

void RecentFilesMenu::add(const QString& path) {
  QSettings s;
  QStringList recent = s.value(kSettingsKey).toStringList();
  recent.removeAll(path);
  recent.prepend(path);
  while (recent.size() > kMaxRecentFiles) recent.removeLast();
  s.setValue(kSettingsKey, recent);
  refresh();
}

void RecentFilesMenu::refresh() {
  menu_->clear();
  const QStringList recent = QSettings().value(kSettingsKey).toStringList();
  for (const QString& path : recent) {
    QMenu* item = menu_->addMenu(QFileInfo(path).fileName());
    item->setToolTip(path);
    item->addAction(tr("as cache prompts"), this,
                    [this, path] { emit openRequested(path, PromptRole::Cache); });
    item->addAction(tr("as test prompts"), this,
                    [this, path] { emit openRequested(path, PromptRole::Test); });
  }
  menu_->setEnabled(!recent.isEmpty());
}

}  // namespace kvr::ui
