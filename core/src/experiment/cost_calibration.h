#pragma once
// Measures what the cost model (experiment/cost_model.h) lacks on this machine:
// prefill seconds at a few lengths, and K/V load seconds at a few prefix
// lengths of a real entry file in the run's dtype and page-cache state
// (warm: read once before timing; cold: the file's pages dropped before each
// load). Each point is the median of repeats after a warm-up. The entry is
// written to a scratch folder in the store (same file system) and removed.
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "experiment/cost_model.h"

namespace kvr {

class Model;

// "<model fingerprint>|<host>|<threads> threads|<device>": a fit holds for one of each.
std::string costModelKey(const Model& model);

struct CalibrationRequest {
  KVDtype dtype = KVDtype::F32;
  PageCacheMode pageCache = PageCacheMode::Warm;
  int warmup = 1;
  int repeats = 3;
};

// Adds samples for whatever `costModel` cannot yet fit; returns whether it measured anything.
bool calibrateCostModel(CostModel& costModel, const Model& model,
                        const std::filesystem::path& storeDirectory,
                        const CalibrationRequest& request,
                        const std::function<void(const std::string&)>& log);

// The run's cost model: the one stored beside the store for this model and
// machine; when `calibrate`, completed by measurement where it lacks what the
// request needs and saved. nullopt when none is stored and none was measured.
std::optional<CostModel> costModelForRun(const Model& model,
                                         const std::filesystem::path& storeDirectory,
                                         const CalibrationRequest& request, bool calibrate,
                                         const std::function<void(const std::string&)>& log);

}  // namespace kvr
