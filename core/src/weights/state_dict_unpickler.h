#pragma once
// A bounded unpickler for the pickles inside a torch.save file: it knows only
// the opcodes and globals a state dict needs (an OrderedDict of tensors built
// by torch._utils._rebuild_tensor_v2 over persistent storage ids) and refuses
// everything else with an error that names the opcode or global. It never
// executes code: "calling" an allowed global builds a plain record. No torch.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "io/safetensors.h"  // kvr::DType

namespace kvr::pickle {

// Values live in an arena and refer to each other by index, so the memo can
// share them without reference counting and a cyclic pickle cannot leak.
using Ref = uint32_t;

enum class Kind {
  None,
  Bool,
  Int,
  BigInt,
  Float,
  String,
  Tuple,
  List,
  Dict,
  Global,
  Storage,
  Tensor
};
const char* kindName(Kind kind);

struct Object {
  Kind kind = Kind::None;
  int64_t integer = 0;     // Bool, Int; index into storages()/tensors() for Storage/Tensor
  double real = 0;         // Float
  std::string text;        // String; "module.name" for Global; little-endian bytes for BigInt
  std::vector<Ref> items;  // Tuple, List; Dict as key, value, key, value, ...
};

// A storage as a persistent id names it, possibly a view of a root storage
// (pre-1.6 files could record (view_key, offset, size) views).
struct StorageRef {
  std::string key;  // the root storage's key: its data follows the pickles
  DType dtype = DType::F32;
  uint64_t rootNumel = 0;   // elements of the root storage
  uint64_t viewOffset = 0;  // elements; 0 and rootNumel when not a view
  uint64_t viewNumel = 0;
};

// A tensor as _rebuild_tensor_v2 records it, already checked to lie inside
// its storage (view): offset and strides in elements of that storage.
struct TensorRecord {
  size_t storage = 0;  // index into storages()
  int64_t storageOffset = 0;
  std::vector<int64_t> shape;
  std::vector<int64_t> strides;
};

class StateDictUnpickler {
 public:
  // `where` names the source (a file) in error messages.
  StateDictUnpickler(const uint8_t* data, size_t size, std::string where);

  // Reads one pickle starting at `pos` (up to and including STOP), advances
  // `pos` past it and returns its value. The memo is fresh for each pickle,
  // as for successive pickle.load calls. Throws kvr::Error.
  Ref load(size_t& pos);

  const Object& object(Ref ref) const { return objects_[ref]; }
  const std::vector<StorageRef>& storages() const { return storages_; }
  const std::vector<TensorRecord>& tensors() const { return tensors_; }
  int protocol() const { return protocol_; }

 private:
  [[noreturn]] void fail(size_t at, const std::string& what) const;
  Ref make(Object object, size_t at);
  Ref pop(size_t at);
  std::vector<Ref> popToMark(size_t at);
  void push(Ref ref, size_t at);
  const Object& top(size_t at) const;
  Ref global(const std::string& module, const std::string& name, size_t at);
  Ref reduce(Ref callable, Ref args, size_t at);
  Ref persistentLoad(Ref pid, size_t at);
  Ref rebuildTensor(const std::vector<Ref>& args, size_t at);
  int64_t intArg(Ref ref, const char* what, size_t at) const;
  std::vector<int64_t> intTuple(Ref ref, const char* what, size_t at) const;
  const std::string& stringArg(Ref ref, const char* what, size_t at) const;

  const uint8_t* data_;
  size_t size_;
  std::string where_;
  std::vector<Object> objects_;
  std::vector<Ref> stack_;
  std::vector<size_t> marks_;
  std::map<uint32_t, Ref> memo_;
  std::vector<StorageRef> storages_;
  std::map<std::string, size_t> rootStorages_;  // key -> first StorageRef naming it
  std::vector<TensorRecord> tensors_;
  int protocol_ = 0;
};

}  // namespace kvr::pickle
