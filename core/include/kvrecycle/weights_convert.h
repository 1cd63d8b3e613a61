#pragma once
// Converts a weights file between model.safetensors and pytorch_model.bin
// (the zip format of torch.save), keeping every tensor name and value.
#include <filesystem>

namespace kvr {

// The output format follows `to`'s extension (.safetensors or .bin). Tensors
// are written as float32. Throws kvr::Error naming the file at fault.
void convertWeights(const std::filesystem::path& from, const std::filesystem::path& to);

}  // namespace kvr
