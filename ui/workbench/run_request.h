#pragma once
// Everything the worker needs to run one experiment of either kind.
#include <QMetaType>
#include <QString>

#include "kvrecycle/eviction_run.h"
#include "kvrecycle/experiment.h"
#include "kvrecycle/prompt_set.h"

namespace kvr::ui {

// What the Setup tab's Run starts: a recycling study, or eviction inside a generation.
enum class ExperimentType { Recycling, Eviction };

struct RunRequest {
  kvr::PromptSet cachePrompts;
  kvr::PromptSet testPrompts;
  kvr::ExperimentConfig config;
  QString databasePath;
};

// The test prompts under every method x budget (kvrecycle-cli evict).
struct EvictionRequest {
  kvr::PromptSet prompts;
  kvr::EvictionRunConfig config;
  QString databasePath;
};

}  // namespace kvr::ui

Q_DECLARE_METATYPE(kvr::ui::RunRequest)
Q_DECLARE_METATYPE(kvr::ui::EvictionRequest)
