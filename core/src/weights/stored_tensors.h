#pragma once
// The tensors of a weights file or sharded checkpoint as stored, each read on
// demand into a contiguous float32 tensor, so unused tensors (attention mask
// buffers) are never copied or converted. Torch inside.
#include <ATen/ATen.h>

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace kvr {

struct StoredTensor {
  std::string dtype;  // as stored: "F32", "F16", "BF16", "U8", ...
  std::vector<int64_t> shape;
  // A contiguous float32 CPU tensor; throws kvr::Error naming the file and
  // tensor when the dtype is not floating point.
  std::function<at::Tensor()> read;
};

struct StoredWeights {
  std::string format;                           // see WeightsReport::format
  std::filesystem::path file;                   // the weights file, or the shard index
  std::vector<std::filesystem::path> shards;    // files read
  std::map<std::string, StoredTensor> tensors;  // by stored name
  // Entries not used: not tensors, or in a shard the index does not assign them to.
  std::vector<std::string> skipped;
};

// A single weights file in any supported format, judged by its content.
StoredWeights openWeightsFile(const std::filesystem::path& file);
// A sharded checkpoint through its index; every shard is opened once.
StoredWeights openShardedWeights(const std::filesystem::path& indexFile);
// Either of the above, by the file's name (*.index.json is an index).
StoredWeights openWeights(const std::filesystem::path& fileOrIndex);

}  // namespace kvr
