#pragma once
// A prompt's store samples as compact JSON: [[seconds, resident, unbounded, event], ...].
#include <string>
#include <vector>

#include "kvrecycle/results.h"

namespace kvr {

std::string storeSamplesToJson(const std::vector<StoreSample>& samples);
// Empty or malformed text gives no samples: a damaged cell must not hide the rest of a run.
std::vector<StoreSample> storeSamplesFromJson(const std::string& json);

}  // namespace kvr
