#include "kvrecycle/kv_dtype.h"

#include "kvrecycle/error.h"

namespace kvr {
namespace {

struct DtypeNames {
  KVDtype dtype;
  const char* name;
  const char* storage;
};
constexpr DtypeNames kNames[] = {{KVDtype::F32, "fp32", "F32"},
                                 {KVDtype::F16, "fp16", "F16"},
                                 {KVDtype::BF16, "bf16", "BF16"},
                                 {KVDtype::Int8, "int8", "I8"}};

}  // namespace

const char* kvDtypeName(KVDtype dtype) {
  for (const auto& n : kNames) {
    if (n.dtype == dtype) return n.name;
  }
  return "fp32";
}

KVDtype parseKVDtype(const std::string& name) {
  for (const auto& n : kNames) {
    if (name == n.name) return n.dtype;
  }
  throw Error("unknown K/V dtype '" + name + "' (expected fp32, fp16, bf16 or int8)");
}

std::vector<std::string> kvDtypeNames() {
  return {"fp32", "fp16", "bf16", "int8"};
}

const char* kvDtypeStorageName(KVDtype dtype) {
  for (const auto& n : kNames) {
    if (n.dtype == dtype) return n.storage;
  }
  return "F32";
}

KVDtype kvDtypeFromStorageName(const std::string& name) {
  for (const auto& n : kNames) {
    if (name == n.storage) return n.dtype;
  }
  throw Error("unknown K/V entry dtype '" + name + "' (expected F32, F16, BF16 or I8)");
}

}  // namespace kvr
