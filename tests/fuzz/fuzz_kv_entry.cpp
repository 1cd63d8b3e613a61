// libFuzzer harness: reading a K/V entry file's header without torch
// (kvr::parseSafetensorsHeader, then kvr::parseKVEntryHeader), as
// KVStore::inspect does before any tensor is touched.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "io/safetensors.h"
#include "kv/kv_entry_header.h"
#include "kvrecycle/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kvr::KVEntryInfo info;
  try {
    const kvr::SafetensorsHeader header = kvr::parseSafetensorsHeader(data, size, size, "fuzz");
    info = kvr::parseKVEntryHeader(header, "fuzz.safetensors", size);
  } catch (const kvr::Error&) {
    return 0;
  }
  if (info.entryId != "fuzz" || info.bytes != static_cast<int64_t>(size)) std::abort();
  for (int id : info.tokenIds) {
    if (id < 0) std::abort();
  }
  if (info.text.size() + info.modelFingerprint.size() + info.checksum.size() > size) std::abort();
  return 0;
}
