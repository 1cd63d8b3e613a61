#pragma once
// Which weights files a model directory has, which one is used, what format a
// file is in (by its first bytes, not its name), and sharded checkpoints'
// index files. No torch.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace kvr {

enum class WeightsFileFormat { Safetensors, TorchZip, TorchLegacy, Unknown };

// "safetensors", "torch-zip", "torch-legacy" or "unknown".
const char* formatName(WeightsFileFormat format);

// Judges the first bytes of a file (16 are enough).
WeightsFileFormat detectWeightsFormat(const uint8_t* head, size_t size);
// Reads the first bytes of `file`; throws kvr::Error when it cannot be read.
WeightsFileFormat detectWeightsFormat(const std::filesystem::path& file);

// The weights files present in `dir`, best first: model.safetensors,
// model.safetensors.index.json, pytorch_model.bin, pytorch_model.bin.index.json
// (the order Hugging Face transformers prefers).
std::vector<std::filesystem::path> weightsCandidates(const std::filesystem::path& dir);

bool isShardIndex(const std::filesystem::path& file);  // name ends in .index.json

// A sharded checkpoint's index: which shard file holds each tensor.
struct ShardIndex {
  std::filesystem::path indexFile;
  std::map<std::string, std::string> weightMap;  // tensor name -> shard file name
  std::vector<std::string> shards;               // distinct shard names, sorted
};

// Parses an index's JSON text. Shard names must stay inside the index's
// directory. Throws kvr::Error naming `indexFile`.
ShardIndex parseShardIndex(const std::string& json, const std::filesystem::path& indexFile);
ShardIndex readShardIndex(const std::filesystem::path& indexFile);

}  // namespace kvr
