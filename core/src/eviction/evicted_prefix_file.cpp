// An evicted prefix on disk: safetensors with the kept entries packed (no
// room for the evicted ones), its mask and token ids, the model it belongs
// to and a checksum of everything it holds.
#include <nlohmann/json.hpp>

#include "eviction/evicted_prefix.h"
#include "io/fingerprint.h"
#include "io/safetensors.h"
#include "kvrecycle/error.h"

namespace kvr {
namespace {

constexpr const char* kFormat = "kvrecycle-evicted-prefix";

std::string checksumOf(const std::vector<int32_t>& tokens, const uint8_t* live, size_t liveBytes,
                       const float* keys, const float* values, size_t entryFloats) {
  Fingerprinter f;
  f.add(tokens.data(), tokens.size() * sizeof(int32_t));
  f.add(live, liveBytes);
  f.add(keys, entryFloats * sizeof(float));
  f.add(values, entryFloats * sizeof(float));
  return f.hex();
}

}  // namespace

void writeEvictedPrefix(const std::filesystem::path& path, const EvictedPrefix& prefix,
                        const Model& model, const EvictionSettings& settings) {
  const std::vector<int32_t> tokens(prefix.tokens.begin(), prefix.tokens.end());
  const auto entries = static_cast<int64_t>(prefix.keys.size()) / prefix.headDim;
  const std::map<std::string, std::string> metadata{
      {"format", kFormat},
      {"format_version", "1"},
      {"model_fingerprint", model.fingerprint()},
      {"method", evictionMethodName(settings.method)},
      {"budget", std::to_string(settings.budget)},
      {"checksum", checksumOf(tokens, prefix.live.data(), prefix.live.size(), prefix.keys.data(),
                              prefix.values.data(), prefix.keys.size())}};
  writeSafetensors(path,
                   {{"tokens", DType::I32, {static_cast<int64_t>(tokens.size())}, tokens.data()},
                    {"live",
                     DType::U8,
                     {prefix.layers, prefix.heads, static_cast<int64_t>(tokens.size())},
                     prefix.live.data()},
                    {"keys", DType::F32, {entries, prefix.headDim}, prefix.keys.data()},
                    {"values", DType::F32, {entries, prefix.headDim}, prefix.values.data()}},
                   metadata);
}

EvictedPrefix readEvictedPrefix(const std::filesystem::path& path, const Model& model) {
  const SafetensorsFile file(path);
  const auto& meta = file.header().metadata;
  const auto value = [&](const char* key) -> const std::string& {
    const auto it = meta.find(key);
    if (it == meta.end()) throw Error(path.string() + ": not an evicted prefix (no " + key + ")");
    return it->second;
  };
  if (value("format") != kFormat || value("format_version") != "1") {
    throw Error(path.string() + ": not an evicted prefix of a version this program reads");
  }
  if (value("model_fingerprint") != model.fingerprint()) {
    throw Error(path.string() + ": stored for another model (fingerprint differs)");
  }
  const ModelConfig& config = model.config();
  const auto tensor = [&](const char* name, DType dtype) -> const TensorInfo& {
    const TensorInfo* info = file.find(name);
    if (info == nullptr || info->dtype != dtype) {
      throw Error(path.string() + ": tensor '" + name + "' is missing or of the wrong type");
    }
    return *info;
  };
  const TensorInfo& tokens = tensor("tokens", DType::I32);
  const TensorInfo& live = tensor("live", DType::U8);
  const TensorInfo& keys = tensor("keys", DType::F32);
  const TensorInfo& values = tensor("values", DType::F32);
  const int64_t n = tokens.numel();
  const std::vector<int64_t> maskShape{config.nLayer, config.nHead, n};
  const std::vector<int64_t> entryShape{keys.shape.empty() ? -1 : keys.shape[0], config.headDim()};
  if (n < 1 || live.shape != maskShape || keys.shape != entryShape || values.shape != entryShape) {
    throw Error(path.string() + ": shapes do not fit this model's layers, heads and head size");
  }
  EvictedPrefix prefix;
  prefix.layers = config.nLayer;
  prefix.heads = config.nHead;
  prefix.headDim = config.headDim();
  const auto* ids = reinterpret_cast<const int32_t*>(file.data(tokens));
  prefix.tokens.assign(ids, ids + n);
  const uint8_t* mask = file.data(live);
  prefix.live.assign(mask, mask + live.numel());
  const auto* k = reinterpret_cast<const float*>(file.data(keys));
  const auto* v = reinterpret_cast<const float*>(file.data(values));
  prefix.keys.assign(k, k + keys.numel());
  prefix.values.assign(v, v + values.numel());
  const int64_t kept =
      std::count_if(prefix.live.begin(), prefix.live.end(), [](uint8_t b) { return b != 0; });
  const std::vector<int32_t> idCopy(ids, ids + n);
  if (kept != entryShape[0] ||
      checksumOf(idCopy, mask, prefix.live.size(), k, v, prefix.keys.size()) != value("checksum")) {
    throw Error(path.string() + ": checksum mismatch (the file is damaged)");
  }
  return prefix;
}

}  // namespace kvr
