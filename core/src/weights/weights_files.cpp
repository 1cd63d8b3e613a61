#include "weights/weights_files.h"

#include <nlohmann/json.hpp>

#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "kvrecycle/error.h"
#include "weights/torch_legacy_format.h"

namespace kvr {
namespace fs = std::filesystem;

namespace {
// An index lists each tensor once; a file beyond this is not an index.
constexpr size_t kMaxIndexBytes = 64u << 20;
}  // namespace

const char* formatName(WeightsFileFormat format) {
  switch (format) {
    case WeightsFileFormat::Safetensors:
      return "safetensors";
    case WeightsFileFormat::TorchZip:
      return "torch-zip";
    case WeightsFileFormat::TorchLegacy:
      return "torch-legacy";
    case WeightsFileFormat::Unknown:
      break;
  }
  return "unknown";
}

WeightsFileFormat detectWeightsFormat(const uint8_t* head, size_t size) {
  if (size >= 4 && std::memcmp(head, "PK\x03\x04", 4) == 0) return WeightsFileFormat::TorchZip;
  if (looksLikeLegacyTorchSave(head, size)) return WeightsFileFormat::TorchLegacy;
  // safetensors: an 8-byte little-endian header length, then the JSON header.
  if (size >= 9 && head[8] == '{') return WeightsFileFormat::Safetensors;
  return WeightsFileFormat::Unknown;
}

WeightsFileFormat detectWeightsFormat(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(file.string() + ": cannot open file");
  uint8_t head[32] = {};
  in.read(reinterpret_cast<char*>(head), sizeof head);
  return detectWeightsFormat(head, static_cast<size_t>(in.gcount()));
}

std::vector<fs::path> weightsCandidates(const fs::path& dir) {
  std::vector<fs::path> found;
  for (const char* name : {"model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                           "pytorch_model.bin.index.json"}) {
    if (fs::exists(dir / name)) found.push_back(dir / name);
  }
  return found;
}

bool isShardIndex(const fs::path& file) {
  const std::string name = file.filename().string();
  const std::string suffix = ".index.json";
  return name.size() > suffix.size() &&
         name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

ShardIndex parseShardIndex(const std::string& text, const fs::path& indexFile) {
  const std::string where = indexFile.string();
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": invalid JSON: " + e.what());
  }
  if (!json.is_object()) throw Error(where + ": not a JSON object");
  const auto map = json.find("weight_map");
  if (map == json.end() || !map->is_object()) throw Error(where + ": no \"weight_map\" object");
  ShardIndex index;
  index.indexFile = indexFile;
  std::set<std::string> shards;
  for (auto it = map->begin(); it != map->end(); ++it) {
    if (!it.value().is_string()) {
      throw Error(where + ": tensor '" + it.key() + "': shard name is not a string");
    }
    const std::string shard = it.value().get<std::string>();
    const fs::path p(shard);
    bool escapes = shard.empty() || p.is_absolute();
    for (const auto& part : p) escapes |= part == "..";
    if (escapes) {
      throw Error(where + ": tensor '" + it.key() + "': shard '" + shard +
                  "' is not a file beside the index");
    }
    index.weightMap[it.key()] = shard;
    shards.insert(shard);
  }
  if (index.weightMap.empty()) throw Error(where + ": \"weight_map\" is empty");
  index.shards.assign(shards.begin(), shards.end());
  return index;
}

ShardIndex readShardIndex(const fs::path& indexFile) {
  std::ifstream in(indexFile, std::ios::binary);
  if (!in) throw Error(indexFile.string() + ": cannot open file");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (ss.str().size() > kMaxIndexBytes)
    throw Error(indexFile.string() + ": too large for an index");
  return parseShardIndex(ss.str(), indexFile);
}

}  // namespace kvr
