#pragma once
// A torch.save state dict as plain records, whichever container held it (the
// zip archive of torch >= 1.6 or the legacy format before it). No torch.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "io/safetensors.h"  // kvr::DType
#include "weights/state_dict_unpickler.h"

namespace kvr {

struct TorchStorage {
  DType dtype = DType::F32;
  uint64_t numel = 0;
  uint64_t dataOffset = 0;  // file offset of the first byte
};

// A tensor is a strided view of one storage (offset and strides in elements),
// checked to lie inside it.
struct TorchTensor {
  std::string name;
  std::string storageKey;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<int64_t> strides;
  int64_t storageOffset = 0;
};

struct TorchCheckpoint {
  std::vector<TorchTensor> tensors;  // in the state dict's order
  std::map<std::string, TorchStorage> storages;
  std::vector<std::string> otherEntries;  // state dict entries that are not tensors
  int pickleProtocol = 0;
};

// The tensors of the state dict `root` (storages are left to the caller).
// Throws kvr::Error naming `where` when `root` is not a dict with string keys.
TorchCheckpoint stateDictOf(const pickle::StateDictUnpickler& u, pickle::Ref root,
                            const std::string& where);

// "storage 'KEY' (tensor 'NAME')": names a storage by its first tensor, for messages.
std::string describeStorage(const TorchCheckpoint& checkpoint, const std::string& key);

}  // namespace kvr
