#pragma once
// torch.save's zip format (torch >= 1.6), parsed into plain records without
// torch: an uncompressed zip archive holding <archive>/data.pkl (the state
// dict, storages as persistent ids) and <archive>/data/<key> (each storage's
// raw little-endian bytes). Read here rather than by torch::pickle_load,
// which turns the OrderedDict of a Python state dict into None.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "weights/torch_checkpoint.h"

namespace kvr {

struct ZipEntry {
  uint64_t dataOffset = 0;  // file offset of the entry's (stored) bytes
  uint64_t size = 0;
};

// The entries of a zip archive by name (zip64 included), each checked to lie
// inside the file. Compressed entries are refused. Throws kvr::Error.
std::map<std::string, ZipEntry> readZipDirectory(const uint8_t* data, size_t size,
                                                 const std::string& where);

// Parses and checks a whole file in memory; every storage lies inside it.
// Throws kvr::Error naming `where`, the tensor or storage, and what is wrong.
TorchCheckpoint parseTorchZipSave(const uint8_t* data, size_t size, const std::string& where);

}  // namespace kvr
