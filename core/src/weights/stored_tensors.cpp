#include "weights/stored_tensors.h"

#include <cstring>
#include <memory>
#include <optional>
#include <set>

#include "io/mapped_file.h"
#include "io/safetensors.h"
#include "kvrecycle/error.h"
#include "weights/torch_legacy_format.h"
#include "weights/torch_zip_format.h"
#include "weights/weights_files.h"

// Stored data is little-endian (safetensors, and torch.save on every machine).
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "weights are read as little-endian");

namespace kvr {
namespace fs = std::filesystem;
namespace {

std::optional<at::ScalarType> scalarTypeOf(DType dtype) {
  switch (dtype) {
    case DType::F32:
      return at::kFloat;
    case DType::F16:
      return at::kHalf;
    case DType::BF16:
      return at::kBFloat16;
    case DType::F64:
      return at::kDouble;
    case DType::I64:
      return at::kLong;
    case DType::I32:
      return at::kInt;
    case DType::I16:
      return at::kShort;
    case DType::I8:
      return at::kChar;
    case DType::U8:
      return at::kByte;
    case DType::BOOL:
      return at::kBool;
  }
  return std::nullopt;
}

bool isWeightDType(DType dtype) {
  return dtype == DType::F32 || dtype == DType::F16 || dtype == DType::BF16 || dtype == DType::F64;
}

[[noreturn]] void refuseDType(const std::string& where, const std::string& name,
                              const std::string& dtype) {
  throw Error(where + ": tensor '" + name + "' has dtype " + dtype +
              "; weights must be F32, F16, BF16 or F64");
}

// One copy into a fresh contiguous float32 tensor, converting on the way.
at::Tensor float32Copy(const at::Tensor& source) {
  return at::empty(source.sizes(), at::TensorOptions().dtype(at::kFloat)).copy_(source);
}

StoredWeights openSafetensors(const fs::path& path) {
  const auto file = std::make_shared<const SafetensorsFile>(path);
  StoredWeights out;
  for (const auto& [name, info] : file->header().tensors) {
    StoredTensor t;
    t.dtype = dtypeName(info.dtype);
    t.shape = info.shape;
    t.read = [file, info = info, where = path.string()] {
      if (!isWeightDType(info.dtype)) refuseDType(where, info.name, dtypeName(info.dtype));
      const at::Tensor view = at::from_blob(const_cast<uint8_t*>(file->data(info)), info.shape,
                                            at::TensorOptions().dtype(*scalarTypeOf(info.dtype)));
      return float32Copy(view);
    };
    out.tensors.emplace(name, std::move(t));
  }
  return out;
}

// A torch.save file stays mapped while its tensors are read; each storage is
// copied out once (aligned, as torch needs) and shared by the tensors viewing it.
struct TorchSaveSource {
  TorchSaveSource(const fs::path& path, WeightsFileFormat format)
      : where(path.string()),
        file(path),
        checkpoint(format == WeightsFileFormat::TorchZip
                       ? parseTorchZipSave(file.data(), file.size(), where)
                       : parseLegacyTorchSave(file.data(), file.size(), where)) {}

  at::Tensor storage(const std::string& key) {
    const auto cached = storages.find(key);
    if (cached != storages.end()) return cached->second;
    const TorchStorage& s = checkpoint.storages.at(key);
    at::Tensor t = at::empty({static_cast<int64_t>(s.numel)},
                             at::TensorOptions().dtype(*scalarTypeOf(s.dtype)));
    if (s.numel > 0) std::memcpy(t.data_ptr(), file.data() + s.dataOffset, t.nbytes());
    storages.emplace(key, t);
    return t;
  }

  at::Tensor read(const TorchTensor& t) {
    if (!isWeightDType(t.dtype)) refuseDType(where, t.name, dtypeName(t.dtype));
    const at::Tensor whole = storage(t.storageKey);
    const at::Tensor view = whole.as_strided(t.shape, t.strides, t.storageOffset);
    // A float32 tensor that is its whole storage needs no second copy.
    if (t.dtype == DType::F32 && t.storageOffset == 0 && view.numel() == whole.numel() &&
        view.is_contiguous()) {
      return view;
    }
    return float32Copy(view);
  }

  std::string where;
  io::MappedFile file;
  TorchCheckpoint checkpoint;
  std::map<std::string, at::Tensor> storages;
};

StoredWeights openTorchSave(const fs::path& path, WeightsFileFormat format) {
  const auto source = std::make_shared<TorchSaveSource>(path, format);
  StoredWeights out;
  for (const auto& name : source->checkpoint.otherEntries) {
    out.skipped.push_back(name + " (not a tensor)");
  }
  for (size_t i = 0; i < source->checkpoint.tensors.size(); ++i) {
    const TorchTensor& tt = source->checkpoint.tensors[i];
    StoredTensor t;
    t.dtype = dtypeName(tt.dtype);
    t.shape = tt.shape;
    t.read = [source, i] { return source->read(source->checkpoint.tensors[i]); };
    out.tensors[tt.name] = std::move(t);  // a repeated name: the last wins, as in Python
  }
  return out;
}

}  // namespace

StoredWeights openWeightsFile(const fs::path& file) {
  const WeightsFileFormat format = detectWeightsFormat(file);
  StoredWeights out;
  switch (format) {
    case WeightsFileFormat::Safetensors:
      out = openSafetensors(file);
      break;
    case WeightsFileFormat::TorchZip:
    case WeightsFileFormat::TorchLegacy:
      out = openTorchSave(file, format);
      break;
    case WeightsFileFormat::Unknown:
      throw Error(file.string() +
                  ": not a weights file kvrecycle reads (expected safetensors, or torch.save's zip "
                  "or legacy format)");
  }
  out.format = formatName(format);
  out.file = file;
  out.shards = {file};
  return out;
}

StoredWeights openShardedWeights(const fs::path& indexFile) {
  const ShardIndex index = readShardIndex(indexFile);
  const fs::path dir = indexFile.parent_path();
  for (const auto& shard : index.shards) {
    if (!fs::exists(dir / shard)) {
      throw Error(indexFile.string() + ": shard '" + shard + "' is missing (" +
                  (dir / shard).string() + ")");
    }
  }
  StoredWeights out;
  out.file = indexFile;
  std::set<std::string> formats;
  for (const auto& shard : index.shards) {
    StoredWeights part = openWeightsFile(dir / shard);
    formats.insert(part.format);
    out.shards.push_back(dir / shard);
    for (auto& s : part.skipped) out.skipped.push_back(shard + ": " + s);
    for (auto& [name, tensor] : part.tensors) {
      const auto listed = index.weightMap.find(name);
      if (listed != index.weightMap.end() && listed->second == shard) {
        out.tensors.emplace(name, std::move(tensor));
      } else {
        out.skipped.push_back(shard + ": " + name + " (not listed for this shard in the index)");
      }
    }
  }
  for (const auto& [name, shard] : index.weightMap) {
    if (out.tensors.count(name) == 0) {
      throw Error(indexFile.string() + ": tensor '" + name + "' is listed in shard '" + shard +
                  "' but absent from it");
    }
  }
  for (const auto& f : formats) out.format += (out.format.empty() ? "" : "+") + f;
  out.format += "-sharded";
  return out;
}

StoredWeights openWeights(const fs::path& fileOrIndex) {
  return isShardIndex(fileOrIndex) ? openShardedWeights(fileOrIndex) : openWeightsFile(fileOrIndex);
}

}  // namespace kvr
