#pragma once
// The Setup tab's experiment: a choice of type (recycling or eviction) over
// the settings of the chosen type. The choice is kept between sessions.
#include <QWidget>

#include "workbench/run_request.h"

class QComboBox;
class QStackedWidget;

namespace kvr::ui {

class ExperimentTypeBox : public QWidget {
  Q_OBJECT
 public:
  // The settings shown for each type.
  ExperimentTypeBox(QWidget* recycling, QWidget* eviction, QWidget* parent = nullptr);
  ExperimentType type() const;
  void setType(ExperimentType type);
  void saveSettings() const;
  void restoreSettings();

 signals:
  void typeChanged(kvr::ui::ExperimentType type);

 private:
  QComboBox* type_;
  QStackedWidget* pages_;
};

}  // namespace kvr::ui
