#pragma once
// What was loaded from a model directory's weights: which file, in which
// format, which stored tensors were used, ignored or missing. No torch types,
// so Qt code may include it.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace kvr {

struct WeightsReport {
  // "safetensors", "torch-zip", "torch-legacy", or one of them + "-sharded".
  std::string format;
  std::filesystem::path file;                      // the weights file, or a sharded index
  std::vector<std::filesystem::path> shards;       // the files read (just `file` unless sharded)
  std::vector<std::filesystem::path> alsoPresent;  // other weights files in the directory, unused
  std::map<std::string, int> dtypes;               // stored dtype ("F32", ...) -> tensors used
  int64_t parameters = 0;                          // elements used, a tied head counted once
  bool tiedHead = true;                            // no lm_head.weight, or one equal to wte.weight
  std::vector<std::string> ignored;   // stored tensors the model does not use (attn.bias, ...)
  std::vector<std::string> missing;   // tensors the model needs that are absent
  std::vector<std::string> problems;  // tensors with a wrong shape or dtype
  // xxh3-128 (hex) of the architecture and the float32 weights under their
  // canonical names: the same for every file format. Empty when incomplete.
  std::string fingerprint;

  bool complete() const { return missing.empty() && problems.empty(); }
};

// Reads config.json and the weights of a model directory (or hub cache
// directory) and reports on them, without a tokenizer or a forward pass.
// Missing or mis-shaped tensors are listed, not thrown; an unreadable file
// throws kvr::Error naming it.
WeightsReport inspectModelWeights(const std::filesystem::path& dir);

}  // namespace kvr
