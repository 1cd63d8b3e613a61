#include "weights/torch_legacy_format.h"

#include <cstring>

#include "kvrecycle/error.h"
#include "weights/state_dict_unpickler.h"

namespace kvr {
namespace {

using pickle::Kind;
using pickle::Object;

// torch/serialization.py: MAGIC_NUMBER = 0x1950a86a20f9469cfc6c, PROTOCOL_VERSION = 1001.
constexpr uint8_t kMagicLe[] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
constexpr int64_t kProtocolVersion = 1001;

const Object* dictValue(const pickle::StateDictUnpickler& u, const Object& dict,
                        const std::string& key) {
  for (size_t i = 0; i + 1 < dict.items.size(); i += 2) {
    const Object& k = u.object(dict.items[i]);
    if (k.kind == Kind::String && k.text == key) return &u.object(dict.items[i + 1]);
  }
  return nullptr;
}

}  // namespace

bool looksLikeLegacyTorchSave(const uint8_t* data, size_t size) {
  // PROTO n, an optional protocol-4 FRAME, then LONG1 of 10 bytes: the magic number.
  size_t pos = 2;
  if (size < pos || data[0] != 0x80 || data[1] < 2 || data[1] > 5) return false;
  if (size > pos && data[pos] == 0x95) pos += 9;
  if (size < pos + 2 + sizeof kMagicLe || data[pos] != 0x8a || data[pos + 1] != sizeof kMagicLe) {
    return false;
  }
  return std::memcmp(data + pos + 2, kMagicLe, sizeof kMagicLe) == 0;
}

TorchCheckpoint parseLegacyTorchSave(const uint8_t* data, size_t size, const std::string& where) {
  pickle::StateDictUnpickler u(data, size, where);
  size_t pos = 0;

  const Object& magic = u.object(u.load(pos));
  if (magic.kind != Kind::BigInt || magic.text.size() != sizeof kMagicLe ||
      std::memcmp(magic.text.data(), kMagicLe, sizeof kMagicLe) != 0) {
    throw Error(where + ": not a torch.save file (no magic number)");
  }
  const Object& version = u.object(u.load(pos));
  if (version.kind != Kind::Int || version.integer != kProtocolVersion) {
    throw Error(where + ": legacy torch.save protocol " +
                (version.kind == Kind::Int ? std::to_string(version.integer) : "?") +
                " is not supported (expected 1001)");
  }
  const Object& sysInfo = u.object(u.load(pos));
  if (sysInfo.kind != Kind::Dict) throw Error(where + ": system info is not a dict");
  const Object* littleEndian = dictValue(u, sysInfo, "little_endian");
  if (littleEndian != nullptr && littleEndian->kind == Kind::Bool && littleEndian->integer == 0) {
    throw Error(where + ": written on a big-endian machine, which is not supported");
  }

  TorchCheckpoint out = stateDictOf(u, u.load(pos), where);

  // Root storages the state dict names, with their type and size.
  // (copies: the next pickle may add storages and move the originals).
  std::map<std::string, pickle::StorageRef> named;
  for (const auto& s : u.storages()) named.emplace(s.key, s);

  const Object& keys = u.object(u.load(pos));
  if (keys.kind != Kind::List) throw Error(where + ": storage key list is not a list");
  const auto describe = [&](const std::string& key) { return describeStorage(out, key); };
  for (const pickle::Ref ref : keys.items) {
    const Object& k = u.object(ref);
    if (k.kind != Kind::String) throw Error(where + ": storage key is not a string");
    const auto it = named.find(k.text);
    if (it == named.end()) {
      throw Error(where + ": storage '" + k.text + "' has data but no tensor names it");
    }
    if (out.storages.count(k.text) != 0)
      throw Error(where + ": " + describe(k.text) + " is listed twice");
    const size_t elementSize = dtypeSize(it->second.dtype);
    if (size - pos < 8) {
      throw Error(where + ": " + describe(k.text) + " is truncated: its element count at byte " +
                  std::to_string(pos) + " lies past the end of the file");
    }
    uint64_t count = 0;
    for (int i = 7; i >= 0; --i) count = (count << 8) | data[pos + static_cast<size_t>(i)];
    pos += 8;
    if (count != it->second.rootNumel) {
      throw Error(where + ": " + describe(k.text) + ": the file records " + std::to_string(count) +
                  " elements, the state dict " + std::to_string(it->second.rootNumel) +
                  " (wrong element count)");
    }
    if (count > (size - pos) / elementSize) {
      throw Error(where + ": " + describe(k.text) + " is truncated: needs " +
                  std::to_string(count) + " x " + std::to_string(elementSize) + " bytes at byte " +
                  std::to_string(pos) + ", the file has " + std::to_string(size - pos) + " left");
    }
    out.storages[k.text] = {it->second.dtype, count, pos};
    pos += static_cast<size_t>(count * elementSize);
  }
  for (const auto& t : out.tensors) {
    if (out.storages.count(t.storageKey) == 0) {
      throw Error(where + ": tensor '" + t.name + "': its storage '" + t.storageKey +
                  "' has no data in the file");
    }
  }
  return out;
}

}  // namespace kvr
