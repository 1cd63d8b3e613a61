#pragma once
// The metadata of a K/V entry file, parsed from its safetensors header. No
// torch here, so the fuzzers can exercise it on arbitrary bytes.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "io/safetensors.h"
#include "kvrecycle/kv_store.h"

namespace kvr {

inline constexpr const char* kKVEntryFormat = "kvrecycle-kv";
// Version 2 adds a table of xxh3-64 checksums, one per block of
// kKVChecksumBlock positions of each head of each K and V tensor, so a load
// verifies exactly the blocks it reads. Version 1 (one checksum over all data)
// is still read.
inline constexpr int kKVEntryFormatVersion = 2;
inline constexpr int kKVChecksumBlock = 64;
inline constexpr const char* kKVChecksumTable = "checksums";

// The metadata an entry file is written with (the fields parseKVEntryHeader reads, plus shapes).
std::map<std::string, std::string> kvEntryMetadata(const KVEntryInfo& info,
                                                   const ModelConfig& config, int64_t length);

// Throws kvr::Error naming `path` when the header is not a kvrecycle K/V entry.
KVEntryInfo parseKVEntryHeader(const SafetensorsHeader& header, const std::filesystem::path& path,
                               uint64_t fileSize);

}  // namespace kvr
