#pragma once
// File → Recent prompt files: the last eight prompt CSVs opened (QSettings
// "recentFiles"), each offered as cache or as test prompts.
#include <QObject>

#include "workbench/prompt_role.h"

class QMenu;

namespace kvr::ui {

class RecentFilesMenu : public QObject {
  Q_OBJECT
 public:
  // Fills `menu` (not owned) now and after every add().
  explicit RecentFilesMenu(QMenu* menu, QObject* parent = nullptr);
  void add(const QString& path);  // moves it to the top

 signals:
  void openRequested(const QString& path, kvr::ui::PromptRole role);

 private:
  void refresh();

  QMenu* menu_;
};

}  // namespace kvr::ui
