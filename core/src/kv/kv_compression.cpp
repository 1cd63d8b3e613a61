#include "kv/kv_compression.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <xxhash.h>
#include <nlohmann/json.hpp>

#include <cstring>

#include "io/fingerprint.h"
#include "kv/kv_entry_header.h"
#include "kvrecycle/error.h"
#include "kvrecycle/timestamps.h"

namespace kvr {
namespace fs = std::filesystem;
namespace {

std::string tensorName(size_t layer, bool isKey) {
  return "layers." + std::to_string(layer) + (isKey ? ".key" : ".value");
}

DType storedType(KVDtype dtype) {
  switch (dtype) {
    case KVDtype::F16:
      return DType::F16;
    case KVDtype::BF16:
      return DType::BF16;
    case KVDtype::Int8:
      return DType::I8;
    case KVDtype::F32:
      break;
  }
  return DType::F32;
}

at::ScalarType scalarType(KVDtype dtype) {
  switch (dtype) {
    case KVDtype::F16:
      return at::kHalf;
    case KVDtype::BF16:
      return at::kBFloat16;
    case KVDtype::Int8:
      return at::kChar;
    case KVDtype::F32:
      break;
  }
  return at::kFloat;
}

// The xxh3-64 of positions [first, first + count) of one head, in stored bytes.
uint64_t blockHash(const uint8_t* tensor, int64_t stored, int64_t positionBytes, int64_t head,
                   int64_t first, int64_t count) {
  return XXH3_64bits(tensor + (head * stored + first) * positionBytes,
                     static_cast<size_t>(count * positionBytes));
}

// Over the token ids as stored, the block table and the int8 scales.
std::string entryChecksum(const std::string& tokenIdsJson, const void* table, size_t tableBytes,
                          const std::vector<std::pair<const void*, size_t>>& scales) {
  Fingerprinter fp;
  fp.add(tokenIdsJson);
  fp.add(table, tableBytes);
  for (const auto& [data, bytes] : scales) fp.add(data, bytes);
  return "xxh3-128:" + fp.hex();
}

}  // namespace

std::string KVStore::entryIdFor(const std::string& modelFingerprint, const std::vector<int>& tokens,
                                KVDtype dtype) {
  // fp32 entries keep the ids they always had; other precisions are other entries.
  if (dtype == KVDtype::F32) return entryIdFor(modelFingerprint, tokens);
  return entryIdFor(modelFingerprint + ":" + kvDtypeName(dtype), tokens);
}

KVEntryInfo KVStore::save(const Model& model, const KVCache& cache, const std::string& text,
                          KVDtype dtype) const {
  if (dtype == KVDtype::F32) return save(model, cache, text);
  return saveCompressedEntry(*this, model, cache, text, dtype);
}

KVEntryInfo saveCompressedEntry(const KVStore& store, const Model& model, const KVCache& cache,
                                const std::string& text, KVDtype dtype) {
  const KVCache::Impl& c = EngineAccess::of(cache);
  const int64_t length = c.length();
  if (length == 0) throw Error("cannot store an empty K/V cache");
  c10::InferenceMode inference;
  const ModelConfig& config = model.config();
  const int64_t heads = config.nHead, headDim = config.headDim();
  const int64_t blocks = (length + kKVChecksumBlock - 1) / kKVChecksumBlock;
  const bool int8 = dtype == KVDtype::Int8;
  const int64_t positionBytes = headDim * static_cast<int64_t>(dtypeSize(storedType(dtype)));
  std::vector<at::Tensor> host;  // keeps every written buffer alive until the file is written
  std::vector<TensorToWrite> tensors;
  std::vector<uint64_t> table;
  std::vector<std::pair<const void*, size_t>> scales;
  for (size_t l = 0; l < c.keys.size(); ++l) {
    for (const bool isKey : {true, false}) {
      const at::Tensor full = (isKey ? c.keys[l] : c.values[l]).narrow(1, 0, length).to(at::kCPU);
      at::Tensor stored;
      if (int8) {
        // Symmetric per token: each position's headDim values share max|x| / 127.
        at::Tensor scale = full.abs().amax(2).clamp_min(1e-30f).div(127.0f).contiguous();
        stored = full.div(scale.unsqueeze(2)).round().clamp(-127, 127).to(at::kChar).contiguous();
        host.push_back(scale);
        tensors.push_back(
            {tensorName(l, isKey) + "_scale", DType::F32, scale.sizes().vec(), scale.data_ptr()});
        scales.emplace_back(scale.data_ptr(), static_cast<size_t>(scale.numel()) * sizeof(float));
      } else {
        stored = full.to(scalarType(dtype)).contiguous();
      }
      host.push_back(stored);
      tensors.push_back(
          {tensorName(l, isKey), storedType(dtype), stored.sizes().vec(), stored.data_ptr()});
      const auto* bytes = static_cast<const uint8_t*>(stored.data_ptr());
      for (int64_t h = 0; h < heads; ++h) {
        for (int64_t b = 0; b < blocks; ++b) {
          const int64_t first = b * kKVChecksumBlock;
          const int64_t count = std::min<int64_t>(kKVChecksumBlock, length - first);
          table.push_back(blockHash(bytes, length, positionBytes, h, first, count));
        }
      }
    }
  }
  tensors.push_back({kKVChecksumTable,
                     DType::I64,
                     {static_cast<int64_t>(c.keys.size()), 2, heads, blocks},
                     table.data()});
  KVEntryInfo info;
  info.modelFingerprint = model.fingerprint();
  info.tokenIds = c.tokens;
  info.entryId = KVStore::entryIdFor(info.modelFingerprint, info.tokenIds, dtype);
  info.path = store.pathFor(info.entryId);
  info.text = text;
  info.dtype = kvDtypeStorageName(dtype);
  info.createdAt = utcNowIso8601();
  info.formatVersion = kKVEntryFormatVersion;
  info.tokenIdsJson = nlohmann::json(info.tokenIds).dump();
  info.checksum =
      entryChecksum(info.tokenIdsJson, table.data(), table.size() * sizeof(uint64_t), scales);
  std::map<std::string, std::string> metadata = kvEntryMetadata(info, config, length);
  if (int8) metadata["int8_scales"] = "per-token";
  writeSafetensors(info.path, tensors, metadata);
  info.bytes = static_cast<int64_t>(fs::file_size(info.path));
  return info;
}

void loadCompressedPrefix(const SafetensorsFile& file, const KVEntryInfo& info,
                          const ModelConfig& config, int length, KVCache::Impl& c) {
  const std::string where = file.path().string();
  const KVDtype dtype = kvDtypeFromStorageName(info.dtype);
  const bool int8 = dtype == KVDtype::Int8;
  if (info.formatVersion != kKVEntryFormatVersion) {
    throw Error(where + ": a " + info.dtype + " entry needs K/V format version 2");
  }
  const int64_t heads = config.nHead, headDim = config.headDim();
  const int64_t stored = static_cast<int64_t>(info.tokenIds.size());
  const int64_t blocks = (stored + kKVChecksumBlock - 1) / kKVChecksumBlock;
  const int64_t positionBytes = headDim * static_cast<int64_t>(dtypeSize(storedType(dtype)));
  const std::vector<int64_t> shape = {heads, stored, headDim};
  const std::vector<int64_t> scaleShape = {heads, stored};
  std::vector<const uint8_t*> sources, scaleSources;  // [layer * 2 + (0 key, 1 value)]
  std::vector<std::pair<const void*, size_t>> scales;
  for (size_t l = 0; l < c.keys.size(); ++l) {
    for (const bool isKey : {true, false}) {
      const std::string name = tensorName(l, isKey);
      const TensorInfo* t = file.find(name);
      if (t == nullptr || t->dtype != storedType(dtype) || t->shape != shape) {
        throw Error(where + ": tensor '" + name + "' is missing or does not match the model");
      }
      sources.push_back(file.data(*t));
      if (int8) {
        const TensorInfo* s = file.find(name + "_scale");
        if (s == nullptr || s->dtype != DType::F32 || s->shape != scaleShape) {
          throw Error(where + ": int8 scales '" + name + "_scale' are missing or do not match");
        }
        scaleSources.push_back(file.data(*s));
        scales.emplace_back(file.data(*s), static_cast<size_t>(s->end - s->begin));
      }
    }
  }
  const TensorInfo* t = file.find(kKVChecksumTable);
  const std::vector<int64_t> tableShape = {static_cast<int64_t>(c.keys.size()), 2, heads, blocks};
  if (t == nullptr || t->dtype != DType::I64 || t->shape != tableShape) {
    throw Error(where + ": checksum table is missing or does not match the entry");
  }
  const uint8_t* table = file.data(*t);
  if (entryChecksum(info.tokenIdsJson, table, t->end - t->begin, scales) != info.checksum) {
    throw Error(where +
                ": checksum mismatch in the token ids, scales or checksum table "
                "(corrupt K/V file)");
  }
  c.noteWritten(length);
  const int64_t usedBlocks = (length + kKVChecksumBlock - 1) / kKVChecksumBlock;
  for (size_t i = 0; i < sources.size(); ++i) {
    for (int64_t h = 0; h < heads; ++h) {
      for (int64_t b = 0; b < usedBlocks; ++b) {
        const int64_t first = b * kKVChecksumBlock;
        const int64_t count = std::min<int64_t>(kKVChecksumBlock, stored - first);
        uint64_t expected = 0;
        const size_t slot = (i * static_cast<size_t>(heads) + static_cast<size_t>(h)) *
                                static_cast<size_t>(blocks) +
                            static_cast<size_t>(b);
        std::memcpy(&expected, table + slot * sizeof expected, sizeof expected);
        if (blockHash(sources[i], stored, positionBytes, h, first, count) != expected) {
          throw Error(where + ": checksum mismatch in layer " + std::to_string(i / 2) +
                      (i % 2 == 0 ? " keys" : " values") + ", head " + std::to_string(h) +
                      ", positions " + std::to_string(first) + "-" +
                      std::to_string(first + count - 1) + " (corrupt K/V file)");
        }
      }
    }
    at::Tensor& target = i % 2 == 0 ? c.keys[i / 2] : c.values[i / 2];
    const at::Tensor source = at::from_blob(const_cast<uint8_t*>(sources[i]), shape,
                                            at::TensorOptions().dtype(scalarType(dtype)))
                                  .narrow(1, 0, length);
    at::Tensor values = source.to(at::kFloat);
    if (int8) {
      const at::Tensor scale = at::from_blob(const_cast<uint8_t*>(scaleSources[i]), scaleShape,
                                             at::TensorOptions().dtype(at::kFloat))
                                   .narrow(1, 0, length);
      values.mul_(scale.unsqueeze(2));
    }
    target.narrow(1, 0, length).copy_(values);
  }
}

}  // namespace kvr
