#pragma once
// Reads GPT-2 weights from model.safetensors or pytorch_model.bin into float32
// tensors, checking every name, shape and dtype against the config.
#include <ATen/ATen.h>

#include <filesystem>
#include <map>
#include <string>

#include "kvrecycle/model_config.h"
#include "model_impl.h"

namespace kvr {

using TensorMap = std::map<std::string, at::Tensor>;

// Every floating-point tensor of a weights file, as float32, under its stored name.
TensorMap readSafetensorsTensors(const std::filesystem::path& path);
TensorMap readPytorchBinTensors(const std::filesystem::path& path);
TensorMap readWeightTensors(const std::filesystem::path& path);  // by extension

// The weights file a model directory provides (safetensors preferred).
std::filesystem::path findWeightsFile(const std::filesystem::path& modelDir);

// Throws kvr::Error naming the file and tensor at fault.
GptWeights loadGptWeights(const std::filesystem::path& weightsFile, const ModelConfig& config);

}  // namespace kvr
