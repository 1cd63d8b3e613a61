#pragma once
// Engine records travel between the worker thread and the GUI in queued signals.
#include <QMetaType>

#include "kvrecycle/eviction_settings.h"
#include "kvrecycle/experiment.h"
#include "kvrecycle/results.h"

Q_DECLARE_METATYPE(kvr::PromptResult)
Q_DECLARE_METATYPE(kvr::RunSummary)
Q_DECLARE_METATYPE(kvr::ExperimentProgress)
Q_DECLARE_METATYPE(kvr::EvictionResultRow)

namespace kvr::ui {
void registerMetaTypes();
}
