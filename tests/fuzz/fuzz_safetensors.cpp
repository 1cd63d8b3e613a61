// libFuzzer harness: safetensors header parsing (kvr::parseSafetensorsHeader)
// on a whole file in memory. A header that parses must describe tensors that
// lie inside the data section and whose byte sizes match shape and dtype.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "io/safetensors.h"
#include "kvrecycle/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kvr::SafetensorsHeader header;
  try {
    header = kvr::parseSafetensorsHeader(data, size, size, "fuzz");
  } catch (const kvr::Error&) {
    return 0;
  }
  if (header.dataOffset < 8 || header.dataOffset > size) std::abort();
  const uint64_t dataSize = size - header.dataOffset;
  for (const auto& [name, info] : header.tensors) {
    if (name != info.name) std::abort();
    for (int64_t d : info.shape) {
      if (d < 0) std::abort();
    }
    const int64_t numel = info.numel();
    if (numel < 0) std::abort();
    const size_t elementSize = kvr::dtypeSize(info.dtype);
    if (elementSize == 0 || std::strlen(kvr::dtypeName(info.dtype)) == 0) std::abort();
    if (info.begin > info.end || info.end > dataSize) std::abort();
    if (info.end - info.begin != static_cast<uint64_t>(numel) * elementSize) std::abort();
    // Touch the tensor's first and last bytes, as a reader of the data would.
    if (info.end > info.begin) {
      volatile uint8_t sink = data[header.dataOffset + info.begin];
      sink = data[header.dataOffset + info.end - 1];
      (void)sink;
    }
  }
  for (const auto& [key, value] : header.metadata) {
    if (key.size() + value.size() > size) std::abort();
  }
  return 0;
}
