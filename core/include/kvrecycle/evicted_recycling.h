#pragma once
// Eviction with recycling (issue 12 item 4): each cache prompt's K/V is stored
// after a method's eviction (only the kept entries), and each test prompt that
// shares a prefix with one loads it and computes only its suffix. Per method
// and budget: the bytes stored and loaded against the full K/V, and what that
// costs in fidelity against baseline generation.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "kvrecycle/eviction_run.h"

namespace kvr {

struct EvictedRecyclingCallbacks {
  std::function<void(int done, int total)> progress;  // settings measured
  const std::atomic<bool>* cancel = nullptr;          // checked between settings
};

// `dir` receives one file per setting and cache prompt. Throws kvr::Error for
// a prompt that does not fit, a file that cannot be written or read back.
std::vector<EvictedRecyclingRow> runEvictedRecycling(
    const Model& model, const PromptSet& cachePrompts, const PromptSet& testPrompts,
    const EvictionRunConfig& config, const std::filesystem::path& dir,
    const EvictedRecyclingCallbacks& callbacks = {});

}  // namespace kvr
