#pragma once
// Everything the worker needs to run one experiment.
#include <QMetaType>
#include <QString>

#include "kvrecycle/experiment.h"
#include "kvrecycle/prompt_set.h"

namespace kvr::ui {

struct RunRequest {
  kvr::PromptSet cachePrompts;
  kvr::PromptSet testPrompts;
  kvr::ExperimentConfig config;
  QString databasePath;
};

}  // namespace kvr::ui

Q_DECLARE_METATYPE(kvr::ui::RunRequest)
