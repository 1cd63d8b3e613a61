#pragma once
// Wall-clock timestamps as kvrecycle records them: ISO 8601, UTC, whole seconds.
#include <string>

namespace kvr {

// The current time, e.g. "2026-11-23T04:05:06Z".
std::string utcNowIso8601();

}  // namespace kvr
