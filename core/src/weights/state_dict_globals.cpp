// The globals a state dict's pickle may name, and what "calling" them builds:
// an OrderedDict, storages named by persistent ids, tensors rebuilt over them.
// Everything else is refused by name. The opcode machine is in
// state_dict_unpickler.cpp.
#include <string>
#include <vector>

#include "kvrecycle/error.h"
#include "weights/state_dict_unpickler.h"

namespace kvr::pickle {
namespace {

constexpr size_t kMaxStorages = size_t{1} << 20;
constexpr size_t kMaxDims = 64;

struct StorageType {
  const char* name;
  DType dtype;
};
constexpr StorageType kStorageTypes[] = {
    {"torch.FloatStorage", DType::F32},     {"torch.HalfStorage", DType::F16},
    {"torch.BFloat16Storage", DType::BF16}, {"torch.DoubleStorage", DType::F64},
    {"torch.LongStorage", DType::I64},      {"torch.IntStorage", DType::I32},
    {"torch.ShortStorage", DType::I16},     {"torch.CharStorage", DType::I8},
    {"torch.ByteStorage", DType::U8},       {"torch.BoolStorage", DType::BOOL}};

const StorageType* storageType(const std::string& global) {
  for (const auto& t : kStorageTypes) {
    if (global == t.name) return &t;
  }
  return nullptr;
}

constexpr const char* kOrderedDict = "collections.OrderedDict";
constexpr const char* kRebuildTensorV2 = "torch._utils._rebuild_tensor_v2";
constexpr const char* kRebuildTensor = "torch._utils._rebuild_tensor";
constexpr const char* kRebuildParameter = "torch._utils._rebuild_parameter";
// TorchScript's pickler (torch::pickle_save) tags a dict with its type.
constexpr const char* kRestoreTypeTag = "torch.jit._pickle.restore_type_tag";

bool mulOverflows(uint64_t a, uint64_t b, uint64_t& out) {
  return __builtin_mul_overflow(a, b, &out);
}
bool addOverflows(uint64_t a, uint64_t b, uint64_t& out) {
  return __builtin_add_overflow(a, b, &out);
}
}  // namespace

int64_t StateDictUnpickler::intArg(Ref ref, const char* what, size_t at) const {
  const Object& o = objects_[ref];
  if (o.kind != Kind::Int)
    fail(at, std::string(what) + " is a " + kindName(o.kind) + ", not an int");
  return o.integer;
}

const std::string& StateDictUnpickler::stringArg(Ref ref, const char* what, size_t at) const {
  const Object& o = objects_[ref];
  if (o.kind != Kind::String) {
    fail(at, std::string(what) + " is a " + kindName(o.kind) + ", not a string");
  }
  return o.text;
}

std::vector<int64_t> StateDictUnpickler::intTuple(Ref ref, const char* what, size_t at) const {
  const Object& o = objects_[ref];
  if (o.kind != Kind::Tuple)
    fail(at, std::string(what) + " is a " + kindName(o.kind) + ", not a tuple");
  if (o.items.size() > kMaxDims) fail(at, std::string(what) + " has more than 64 dimensions");
  std::vector<int64_t> out;
  for (Ref item : o.items) {
    const int64_t v = intArg(item, what, at);
    if (v < 0) fail(at, std::string(what) + " has a negative entry " + std::to_string(v));
    out.push_back(v);
  }
  return out;
}

Ref StateDictUnpickler::global(const std::string& module, const std::string& name, size_t at) {
  const std::string full = module + "." + name;
  const bool allowed = full == kOrderedDict || full == kRebuildTensorV2 || full == kRebuildTensor ||
                       full == kRebuildParameter || full == kRestoreTypeTag ||
                       storageType(full) != nullptr;
  if (!allowed) {
    if (module == "torch" && name.size() > 7 && name.compare(name.size() - 7, 7, "Storage") == 0) {
      fail(at, "storage type " + full + " is not supported (weights are float, half or bfloat16)");
    }
    fail(at,
         "refusing global '" + full +
             "': a state dict needs only collections.OrderedDict, torch._utils._rebuild_tensor_v2 "
             "and torch storage types (loading never runs code from the file)");
  }
  Object o;
  o.kind = Kind::Global;
  o.text = full;
  return make(std::move(o), at);
}

Ref StateDictUnpickler::persistentLoad(Ref pidRef, size_t at) {
  const Object& pid = objects_[pidRef];
  if (pid.kind != Kind::Tuple || pid.items.empty()) {
    fail(at, "persistent id is a " + std::string(kindName(pid.kind)) + ", not a storage tuple");
  }
  const std::string& type = stringArg(pid.items[0], "persistent id type", at);
  if (type == "module") fail(at, "the file holds a pickled nn.Module, not a state dict");
  if (type != "storage") fail(at, "unknown persistent id '" + type + "'");
  // (storage, type, key, location, numel) in zip files; legacy files add a view.
  if (pid.items.size() != 5 && pid.items.size() != 6) {
    fail(at, "storage persistent id has " + std::to_string(pid.items.size()) +
                 " fields, expected 5 or 6");
  }
  const Object& typeObj = objects_[pid.items[1]];
  const StorageType* st = typeObj.kind == Kind::Global ? storageType(typeObj.text) : nullptr;
  if (st == nullptr) fail(at, "storage persistent id does not name a storage type");
  StorageRef ref;
  ref.key = stringArg(pid.items[2], "storage key", at);
  stringArg(pid.items[3], "storage location", at);  // any device: we load to the CPU
  const int64_t numel = intArg(pid.items[4], "storage element count", at);
  if (numel < 0) fail(at, "storage '" + ref.key + "' has a negative element count");
  ref.dtype = st->dtype;
  ref.rootNumel = static_cast<uint64_t>(numel);
  ref.viewNumel = ref.rootNumel;
  const auto known = rootStorages_.find(ref.key);
  if (known != rootStorages_.end()) {
    const StorageRef& first = storages_[known->second];
    if (first.dtype != ref.dtype || first.rootNumel != ref.rootNumel) {
      fail(at, "storage '" + ref.key + "' is named twice with different types or sizes");
    }
  }
  const Object none;
  const Object& view = pid.items.size() == 6 ? objects_[pid.items[5]] : none;
  if (view.kind == Kind::Tuple) {
    if (view.items.size() != 3)
      fail(at, "storage view of '" + ref.key + "' is not (key, offset, size)");
    stringArg(view.items[0], "storage view key", at);
    const int64_t offset = intArg(view.items[1], "storage view offset", at);
    const int64_t size = intArg(view.items[2], "storage view size", at);
    uint64_t end = 0;
    if (offset < 0 || size < 0 ||
        addOverflows(static_cast<uint64_t>(offset), static_cast<uint64_t>(size), end) ||
        end > ref.rootNumel) {
      fail(at, "storage view [" + std::to_string(offset) + ", +" + std::to_string(size) +
                   ") lies outside storage '" + ref.key + "' of " + std::to_string(ref.rootNumel) +
                   " elements");
    }
    ref.viewOffset = static_cast<uint64_t>(offset);
    ref.viewNumel = static_cast<uint64_t>(size);
  } else if (view.kind != Kind::None) {
    fail(at, "storage view of '" + ref.key + "' is a " + kindName(view.kind));
  }
  if (storages_.size() >= kMaxStorages) fail(at, "too many storages");
  storages_.push_back(ref);
  if (known == rootStorages_.end()) rootStorages_[ref.key] = storages_.size() - 1;
  Object o;
  o.kind = Kind::Storage;
  o.integer = static_cast<int64_t>(storages_.size() - 1);
  return make(std::move(o), at);
}

Ref StateDictUnpickler::rebuildTensor(const std::vector<Ref>& args, size_t at) {
  const Object& storage = objects_[args[0]];
  if (storage.kind != Kind::Storage)
    fail(at, "tensor storage is a " + std::string(kindName(storage.kind)));
  const StorageRef& s = storages_[static_cast<size_t>(storage.integer)];
  const int64_t offset = intArg(args[1], "tensor storage offset", at);
  TensorRecord t;
  t.storage = static_cast<size_t>(storage.integer);
  t.shape = intTuple(args[2], "tensor size", at);
  t.strides = intTuple(args[3], "tensor stride", at);
  if (t.shape.size() != t.strides.size()) fail(at, "tensor size and stride differ in length");
  if (offset < 0) fail(at, "tensor has a negative storage offset");
  // Every element the view can reach must lie inside its storage (view).
  uint64_t numel = 1, last = static_cast<uint64_t>(offset);
  bool empty = false, overflow = false;
  for (size_t d = 0; d < t.shape.size(); ++d) {
    const uint64_t n = static_cast<uint64_t>(t.shape[d]);
    if (n == 0) empty = true;
    overflow |= mulOverflows(numel, n, numel);
    uint64_t reach = 0;
    if (n > 0) overflow |= mulOverflows(n - 1, static_cast<uint64_t>(t.strides[d]), reach);
    overflow |= addOverflows(last, reach, last);
  }
  if (overflow || (!empty && last >= s.viewNumel) ||
      (empty && static_cast<uint64_t>(offset) > s.viewNumel)) {
    fail(at, "tensor view (offset " + std::to_string(offset) + ") reaches outside its storage '" +
                 s.key + "' of " + std::to_string(s.viewNumel) + " elements");
  }
  if (!empty && numel > s.viewNumel) {
    fail(at, "tensor has " + std::to_string(numel) + " elements, more than its storage '" + s.key +
                 "' holds (" + std::to_string(s.viewNumel) + ")");
  }
  t.storageOffset = offset + static_cast<int64_t>(s.viewOffset);
  tensors_.push_back(std::move(t));
  Object o;
  o.kind = Kind::Tensor;
  o.integer = static_cast<int64_t>(tensors_.size() - 1);
  return make(std::move(o), at);
}

Ref StateDictUnpickler::reduce(Ref callableRef, Ref argsRef, size_t at) {
  const Object& callable = objects_[callableRef];
  const Object& argsObj = objects_[argsRef];
  if (callable.kind != Kind::Global)
    fail(at, "REDUCE calls a " + std::string(kindName(callable.kind)));
  if (argsObj.kind != Kind::Tuple)
    fail(at, "REDUCE arguments are a " + std::string(kindName(argsObj.kind)));
  const std::vector<Ref> args = argsObj.items;
  const std::string& name = callable.text;
  if (name == kOrderedDict) {
    if (!args.empty()) fail(at, "OrderedDict is built with arguments");
    Object o;
    o.kind = Kind::Dict;
    return make(std::move(o), at);
  }
  if (name == kRebuildTensorV2) {
    if (args.size() != 6 && args.size() != 7) fail(at, name + " takes 6 or 7 arguments");
    if (objects_[args[4]].kind != Kind::Bool) fail(at, "requires_grad is not a bool");
    return rebuildTensor(args, at);
  }
  if (name == kRebuildTensor) {
    if (args.size() != 4) fail(at, name + " takes 4 arguments");
    return rebuildTensor(args, at);
  }
  if (name == kRebuildParameter) {
    if (args.size() != 3 || objects_[args[0]].kind != Kind::Tensor) {
      fail(at, name + " takes (tensor, requires_grad, hooks)");
    }
    return args[0];
  }
  if (name == kRestoreTypeTag) {
    if (args.size() != 2 || objects_[args[1]].kind != Kind::String) {
      fail(at, name + " takes (value, type name)");
    }
    return args[0];
  }
  fail(at, name + " is not callable");
}

}  // namespace kvr::pickle
