#include "kv/kv_entry_header.h"

#include <nlohmann/json.hpp>

#include "kvrecycle/error.h"

namespace kvr {
namespace {

const std::string& metadataValue(const SafetensorsHeader& header, const std::string& key,
                                 const std::filesystem::path& path) {
  const auto it = header.metadata.find(key);
  if (it == header.metadata.end()) {
    throw Error(path.string() + ": not a K/V entry (no " + key + ")");
  }
  return it->second;
}

}  // namespace

std::map<std::string, std::string> kvEntryMetadata(const KVEntryInfo& info,
                                                   const ModelConfig& config, int64_t length) {
  return {{"format", kKVEntryFormat},
          {"format_version", std::to_string(kKVEntryFormatVersion)},
          {"checksum_block_positions", std::to_string(kKVChecksumBlock)},
          {"model_fingerprint", info.modelFingerprint},
          {"token_ids", info.tokenIdsJson},
          {"text", info.text},
          {"dtype", info.dtype},
          {"created_at", info.createdAt},
          {"checksum", info.checksum},
          {"n_layer", std::to_string(config.nLayer)},
          {"n_head", std::to_string(config.nHead)},
          {"head_dim", std::to_string(config.headDim())},
          {"length", std::to_string(length)}};
}

KVEntryInfo parseKVEntryHeader(const SafetensorsHeader& header, const std::filesystem::path& path,
                               uint64_t fileSize) {
  if (metadataValue(header, "format", path) != kKVEntryFormat) {
    throw Error(path.string() + ": not a kvrecycle K/V entry");
  }
  const std::string& version = metadataValue(header, "format_version", path);
  if (version != "1" && version != std::to_string(kKVEntryFormatVersion)) {
    throw Error(path.string() + ": K/V format version " + version + " is not supported");
  }
  KVEntryInfo info;
  info.formatVersion = version == "1" ? 1 : kKVEntryFormatVersion;
  info.tokenIdsJson = metadataValue(header, "token_ids", path);
  info.entryId = path.stem().string();
  info.path = path;
  info.modelFingerprint = metadataValue(header, "model_fingerprint", path);
  info.text = metadataValue(header, "text", path);
  info.dtype = metadataValue(header, "dtype", path);
  info.createdAt = metadataValue(header, "created_at", path);
  info.checksum = metadataValue(header, "checksum", path);
  info.bytes = static_cast<int64_t>(fileSize);
  const nlohmann::json ids =
      nlohmann::json::parse(metadataValue(header, "token_ids", path), nullptr, false);
  if (!ids.is_array()) {
    throw Error(path.string() + ": token_ids metadata is not a JSON array of integers");
  }
  for (const auto& id : ids) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > (1 << 30)) {
      throw Error(path.string() + ": token_ids metadata is not a JSON array of token ids");
    }
    info.tokenIds.push_back(id.get<int>());
  }
  return info;
}

}  // namespace kvr
