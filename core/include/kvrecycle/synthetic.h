#pragma once
// Synthetic GPT-2-family models: the real architecture and tokenizer with
// seeded random weights, written as a Hugging Face model directory. Their text
// is meaningless; their timings are faithful to the architecture.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "kvrecycle/model_config.h"

namespace kvr {

std::vector<std::string> syntheticPresetNames();
// Throws kvr::Error listing the presets when `name` is unknown.
ModelConfig syntheticPresetConfig(const std::string& name);

struct SyntheticModelOptions {
  std::string preset = "tiny";
  uint64_t seed = 0;
  double initStd = 0.02;  // std of the normal weights (HF GPT-2's initializer_range)
  std::filesystem::path tokenizerDirectory;  // empty = the data directory's copy
  // Reports progress as a fraction in [0, 1].
  std::function<void(double)> progress;
};

// Writes config.json, model.safetensors, vocab.json and merges.txt into `outDir`.
// Same preset and seed give the same bytes. Refuses to overwrite a directory
// holding a model that kvrecycle did not make.
void writeSyntheticModel(const std::filesystem::path& outDir, const SyntheticModelOptions& options);

}  // namespace kvr
