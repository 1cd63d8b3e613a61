#pragma once
// The legacy (pre-1.6, non-zip) torch.save format of a state dict, parsed
// into plain records without torch: five pickles (magic number, protocol
// version, system info, the state dict with storages as persistent ids, the
// storage keys), then each storage as an 8-byte little-endian element count
// and its raw little-endian bytes, in the order of the keys.
#include <cstddef>
#include <cstdint>
#include <string>

#include "weights/torch_checkpoint.h"

namespace kvr {

// True when the bytes start like a legacy torch.save file (pickle PROTO, then
// torch's magic number).
bool looksLikeLegacyTorchSave(const uint8_t* data, size_t size);

// Parses and checks a whole file in memory; every storage lies inside it.
// Throws kvr::Error naming `where`, the tensor or storage, and what is wrong.
TorchCheckpoint parseLegacyTorchSave(const uint8_t* data, size_t size, const std::string& where);

}  // namespace kvr
