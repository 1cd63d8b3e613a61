#pragma once
// Reads GPT-2 weights from a model directory (safetensors, torch.save zip or
// legacy .bin, or a sharded checkpoint of either) into float32 tensors,
// checking every name, shape and dtype against the config.
#include <ATen/ATen.h>

#include <filesystem>
#include <map>
#include <string>

#include "kvrecycle/model_config.h"
#include "kvrecycle/weights_report.h"
#include "model/model_impl.h"

namespace kvr {

using TensorMap = std::map<std::string, at::Tensor>;

// Every tensor of one weights file (any format) except attention-mask buffers,
// as float32 under its stored name; a non-floating tensor throws kvr::Error.
TensorMap readWeightTensors(const std::filesystem::path& path);

struct LoadedWeights {
  GptWeights weights;
  WeightsReport report;
};

// Loads the directory's preferred weights (see weightsCandidates). Strict: the
// first missing or mis-shaped tensor throws kvr::Error naming the file and
// tensor (loading a model). Not strict: they are listed in the report
// (inspection). Throws when the directory has no weights.
LoadedWeights loadGptWeights(const std::filesystem::path& modelDir, const ModelConfig& config,
                             bool strict = true);

}  // namespace kvr
