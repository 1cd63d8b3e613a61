#include "weights/torch_checkpoint.h"

#include "kvrecycle/error.h"

namespace kvr {

using pickle::Kind;
using pickle::Object;

TorchCheckpoint stateDictOf(const pickle::StateDictUnpickler& u, pickle::Ref rootRef,
                            const std::string& where) {
  const Object& root = u.object(rootRef);
  if (root.kind != Kind::Dict) {
    throw Error(where + ": holds a " + pickle::kindName(root.kind) +
                ", not a state dict (a dict of tensors)");
  }
  TorchCheckpoint out;
  out.pickleProtocol = u.protocol();
  for (size_t i = 0; i + 1 < root.items.size(); i += 2) {
    const Object& key = u.object(root.items[i]);
    const Object& value = u.object(root.items[i + 1]);
    if (key.kind != Kind::String) throw Error(where + ": state dict key is not a string");
    if (value.kind != Kind::Tensor) {
      out.otherEntries.push_back(key.text);
      continue;
    }
    const pickle::TensorRecord& rec = u.tensors()[static_cast<size_t>(value.integer)];
    const pickle::StorageRef& storage = u.storages()[rec.storage];
    TorchTensor t;
    t.name = key.text;
    t.storageKey = storage.key;
    t.dtype = storage.dtype;
    t.shape = rec.shape;
    t.strides = rec.strides;
    t.storageOffset = rec.storageOffset;
    out.tensors.push_back(std::move(t));
  }
  return out;
}

std::string describeStorage(const TorchCheckpoint& checkpoint, const std::string& key) {
  for (const auto& t : checkpoint.tensors) {
    if (t.storageKey == key) return "storage '" + key + "' (tensor '" + t.name + "')";
  }
  return "storage '" + key + "'";
}

}  // namespace kvr
