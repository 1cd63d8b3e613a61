#include "kvrecycle/kv_store.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <signal.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>

#include "fingerprint.h"
#include "kv_entry_header.h"
#include "kvrecycle/error.h"
#include "kvrecycle/safetensors.h"
#include "kvrecycle/timestamps.h"
#include "model_impl.h"

namespace kvr {
namespace fs = std::filesystem;
namespace {

std::string keyName(size_t layer) {
  return "layers." + std::to_string(layer) + ".key";
}
std::string valueName(size_t layer) {
  return "layers." + std::to_string(layer) + ".value";
}

// "<name>.tmp.<pid>" files whose writer process no longer exists.
void removeStaleTemporaryFiles(const fs::path& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    const size_t mark = name.rfind(".tmp.");
    if (mark == std::string::npos) continue;
    const std::string pid = name.substr(mark + 5);
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (::kill(static_cast<pid_t>(std::stol(pid)), 0) == -1 && errno == ESRCH) {
      fs::remove(entry.path(), ec);
    }
  }
}

std::string checksumOf(const uint8_t* data, size_t size) {
  Fingerprinter fp;
  fp.add(data, size);
  return "xxh3-128:" + fp.hex();
}

}  // namespace

KVStore::KVStore(fs::path directory) : directory_(std::move(directory)) {
  std::error_code ec;
  fs::create_directories(directory_, ec);
  if (ec) throw Error(directory_.string() + ": cannot create K/V store: " + ec.message());
  removeStaleTemporaryFiles(directory_);
}

std::vector<std::string> KVStore::entryIds() const {
  std::vector<std::string> ids;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(directory_, ec)) {
    if (entry.path().extension() == ".safetensors") ids.push_back(entry.path().stem().string());
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

KVEntryInfo KVStore::verify(const Model& model, const std::string& entryId) const {
  const KVEntryInfo header = inspect(entryId);
  if (header.tokenIds.empty()) throw Error(pathFor(entryId).string() + ": entry holds no tokens");
  // Sized to the entry (newCache caps it at the model's context), not to the whole context.
  const auto cache = model.newCache(static_cast<int>(header.tokenIds.size()));
  return loadPrefix(model, entryId, cache->capacity(), *cache);
}

std::string KVStore::entryIdFor(const std::string& modelFingerprint,
                                const std::vector<int>& tokens) {
  Fingerprinter fp;
  fp.add(modelFingerprint);
  fp.add(tokens.data(), tokens.size() * sizeof(int));
  return fp.hex();
}

fs::path KVStore::pathFor(const std::string& entryId) const {
  return directory_ / (entryId + ".safetensors");
}

bool KVStore::contains(const std::string& entryId) const {
  return fs::exists(pathFor(entryId));
}

KVEntryInfo KVStore::save(const Model& model, const KVCache& cache, const std::string& text) const {
  const KVCache::Impl& c = cache.impl();
  const int64_t length = c.length();
  if (length == 0) throw Error("cannot store an empty K/V cache");
  c10::InferenceMode inference;
  // Host copies of positions [0, length) in file order: key, value per layer.
  std::vector<at::Tensor> host;
  std::vector<TensorToWrite> tensors;
  Fingerprinter checksum;
  for (size_t l = 0; l < c.keys.size(); ++l) {
    for (const bool isKey : {true, false}) {
      const at::Tensor& buffer = isKey ? c.keys[l] : c.values[l];
      host.push_back(buffer.narrow(1, 0, length).to(at::kCPU).contiguous());
      const at::Tensor& t = host.back();
      tensors.push_back(
          {isKey ? keyName(l) : valueName(l), DType::F32, t.sizes().vec(), t.data_ptr<float>()});
      checksum.add(t.data_ptr<float>(), static_cast<size_t>(t.numel()) * sizeof(float));
    }
  }
  const ModelConfig& config = model.config();
  KVEntryInfo info;
  info.modelFingerprint = model.fingerprint();
  info.tokenIds = c.tokens;
  info.entryId = entryIdFor(info.modelFingerprint, info.tokenIds);
  info.path = pathFor(info.entryId);
  info.text = text;
  info.dtype = "F32";
  info.createdAt = utcNowIso8601();
  info.checksum = "xxh3-128:" + checksum.hex();
  writeSafetensors(info.path, tensors,
                   {{"format", kKVEntryFormat},
                    {"format_version", kKVEntryFormatVersion},
                    {"model_fingerprint", info.modelFingerprint},
                    {"token_ids", nlohmann::json(info.tokenIds).dump()},
                    {"text", text},
                    {"dtype", info.dtype},
                    {"created_at", info.createdAt},
                    {"checksum", info.checksum},
                    {"n_layer", std::to_string(config.nLayer)},
                    {"n_head", std::to_string(config.nHead)},
                    {"head_dim", std::to_string(config.headDim())},
                    {"length", std::to_string(length)}});
  info.bytes = static_cast<int64_t>(fs::file_size(info.path));
  return info;
}

KVEntryInfo KVStore::inspect(const std::string& entryId) const {
  const SafetensorsFile file(pathFor(entryId));
  return parseKVEntryHeader(file.header(), file.path(), file.size());
}

KVEntryInfo KVStore::loadPrefix(const Model& model, const std::string& entryId, int length,
                                KVCache& cache) const {
  const SafetensorsFile file(pathFor(entryId));
  const std::string where = file.path().string();
  KVEntryInfo info = parseKVEntryHeader(file.header(), file.path(), file.size());
  if (info.modelFingerprint != model.fingerprint()) {
    throw Error(where + ": K/V entry was made by model " + info.modelFingerprint +
                ", not by the loaded model " + model.fingerprint());
  }
  const uint64_t dataOffset = file.header().dataOffset;
  if (checksumOf(file.bytes() + dataOffset, file.size() - dataOffset) != info.checksum) {
    throw Error(where + ": checksum mismatch (corrupt K/V file)");
  }
  const ModelConfig& config = model.config();
  const int64_t stored = static_cast<int64_t>(info.tokenIds.size());
  if (length < 1 || length > stored || length > cache.capacity()) {
    throw Error(where + ": cannot load " + std::to_string(length) + " positions from an entry of " +
                std::to_string(stored));
  }
  KVCache::Impl& c = cache.impl();
  if (c.length() != 0) throw Error("K/V must be loaded into an empty cache");
  const std::vector<int64_t> shape = {config.nHead, stored, config.headDim()};
  c10::InferenceMode inference;
  try {
    for (size_t l = 0; l < c.keys.size(); ++l) {
      for (const bool isKey : {true, false}) {
        const std::string name = isKey ? keyName(l) : valueName(l);
        const TensorInfo* t = file.find(name);
        if (t == nullptr || t->dtype != DType::F32 || t->shape != shape) {
          throw Error(where + ": tensor '" + name + "' is missing or does not match the model");
        }
        const at::Tensor stored_ = at::from_blob(const_cast<uint8_t*>(file.data(*t)), shape,
                                                 at::TensorOptions().dtype(at::kFloat));
        (isKey ? c.keys[l] : c.values[l]).narrow(1, 0, length).copy_(stored_.narrow(1, 0, length));
      }
    }
  } catch (const c10::Error& e) {
    throw Error(where + ": cannot copy K/V: " + e.what_without_backtrace());
  }
  c.tokens.assign(info.tokenIds.begin(), info.tokenIds.begin() + length);
  return info;
}

}  // namespace kvr
