#pragma once
// The metadata of a K/V entry file, parsed from its safetensors header. No
// torch here, so the fuzzers can exercise it on arbitrary bytes.
#include <cstdint>
#include <filesystem>

#include "kvrecycle/kv_store.h"
#include "kvrecycle/safetensors.h"

namespace kvr {

inline constexpr const char* kKVEntryFormat = "kvrecycle-kv";
inline constexpr const char* kKVEntryFormatVersion = "1";

// Throws kvr::Error naming `path` when the header is not a kvrecycle K/V entry.
KVEntryInfo parseKVEntryHeader(const SafetensorsHeader& header, const std::filesystem::path& path,
                               uint64_t fileSize);

}  // namespace kvr
