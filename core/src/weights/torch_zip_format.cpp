#include "weights/torch_zip_format.h"

#include <algorithm>

#include "kvrecycle/error.h"

namespace kvr {
namespace {

constexpr uint32_t kEndOfDirectory = 0x06054b50;
constexpr uint32_t kZip64Locator = 0x07064b50;
constexpr uint32_t kZip64EndOfDirectory = 0x06064b50;
constexpr uint32_t kDirectoryEntry = 0x02014b50;
constexpr uint32_t kLocalHeader = 0x04034b50;
constexpr size_t kMaxEntries = size_t{1} << 20;

// Little-endian reads that throw instead of reading past the end.
class Bytes {
 public:
  Bytes(const uint8_t* data, size_t size, const std::string& where)
      : data_(data), size_(size), where_(where) {}

  uint64_t le(uint64_t at, unsigned n) const {
    check(at, n);
    uint64_t v = 0;
    for (unsigned i = n; i-- > 0;) v = (v << 8) | data_[at + i];
    return v;
  }
  void check(uint64_t at, uint64_t n) const {
    if (at > size_ || n > size_ - at) {
      throw Error(where_ + ": zip structure at byte " + std::to_string(at) +
                  " lies past the end of the file (truncated file?)");
    }
  }
  std::string text(uint64_t at, uint64_t n) const {
    check(at, n);
    return std::string(reinterpret_cast<const char*>(data_ + at), static_cast<size_t>(n));
  }

 private:
  const uint8_t* data_;
  size_t size_;
  const std::string& where_;
};

uint64_t findEndOfDirectory(const Bytes& b, size_t size, const std::string& where) {
  if (size >= 22) {
    const size_t lowest = size - 22 > 0xffff ? size - 22 - 0xffff : 0;  // comment <= 64 KiB
    for (size_t at = size - 22 + 1; at-- > lowest;) {
      if (b.le(at, 4) == kEndOfDirectory) return at;
    }
  }
  throw Error(where + ": zip archive has no central directory (truncated file?)");
}

}  // namespace

std::map<std::string, ZipEntry> readZipDirectory(const uint8_t* data, size_t size,
                                                 const std::string& where) {
  const Bytes b(data, size, where);
  const uint64_t eocd = findEndOfDirectory(b, size, where);
  uint64_t count = b.le(eocd + 10, 2);
  uint64_t dirOffset = b.le(eocd + 16, 4);
  if (count == 0xffff || dirOffset == 0xffffffff) {  // zip64: the real values are elsewhere
    if (eocd < 20 || b.le(eocd - 20, 4) != kZip64Locator) {
      throw Error(where + ": zip64 archive without its locator");
    }
    const uint64_t z64 = b.le(eocd - 20 + 8, 8);
    if (b.le(z64, 4) != kZip64EndOfDirectory) throw Error(where + ": bad zip64 end of directory");
    count = b.le(z64 + 32, 8);
    dirOffset = b.le(z64 + 48, 8);
  }
  if (count > kMaxEntries) throw Error(where + ": zip archive has too many entries");
  std::map<std::string, ZipEntry> entries;
  uint64_t at = dirOffset;
  for (uint64_t i = 0; i < count; ++i) {
    if (b.le(at, 4) != kDirectoryEntry) {
      throw Error(where + ": zip directory entry " + std::to_string(i) + " is corrupt");
    }
    const uint64_t method = b.le(at + 10, 2);
    uint64_t stored = b.le(at + 20, 4);
    uint64_t plain = b.le(at + 24, 4);
    const uint64_t nameLength = b.le(at + 28, 2);
    const uint64_t extraLength = b.le(at + 30, 2);
    const uint64_t commentLength = b.le(at + 32, 2);
    uint64_t local = b.le(at + 42, 4);
    const std::string name = b.text(at + 46, nameLength);
    // The zip64 extra field holds, in order, whichever of these overflowed.
    for (uint64_t x = at + 46 + nameLength; x + 4 <= at + 46 + nameLength + extraLength;) {
      const uint64_t id = b.le(x, 2), length = b.le(x + 2, 2);
      if (id == 0x0001) {
        uint64_t field = x + 4;
        for (uint64_t* value : {&plain, &stored, &local}) {
          if (*value == 0xffffffff && field + 8 <= x + 4 + length) {
            *value = b.le(field, 8);
            field += 8;
          }
        }
      }
      x += 4 + length;
    }
    if (method != 0) {
      throw Error(where + ": zip entry '" + name + "' is compressed; torch.save stores entries");
    }
    if (b.le(local, 4) != kLocalHeader) {
      throw Error(where + ": zip entry '" + name + "' has a corrupt local header");
    }
    ZipEntry e;
    e.dataOffset = local + 30 + b.le(local + 26, 2) + b.le(local + 28, 2);
    e.size = stored;
    b.check(e.dataOffset, e.size);
    entries[name] = e;
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

TorchCheckpoint parseTorchZipSave(const uint8_t* data, size_t size, const std::string& where) {
  const std::map<std::string, ZipEntry> entries = readZipDirectory(data, size, where);
  // <archive>/data.pkl: the archive's folder is named after the file it was saved as.
  std::string prefix;
  bool found = false;
  for (const auto& [name, entry] : entries) {
    const std::string suffix = "data.pkl";
    if (name.size() >= suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        std::count(name.begin(), name.end(), '/') == 1) {
      if (found) throw Error(where + ": zip archive holds more than one data.pkl");
      prefix = name.substr(0, name.size() - suffix.size());
      found = true;
    }
  }
  if (!found) throw Error(where + ": zip archive is not a torch.save file (no data.pkl)");
  const auto byteorder = entries.find(prefix + "byteorder");
  if (byteorder != entries.end() &&
      std::string(reinterpret_cast<const char*>(data + byteorder->second.dataOffset),
                  static_cast<size_t>(byteorder->second.size)) != "little") {
    throw Error(where + ": written on a big-endian machine, which is not supported");
  }

  const ZipEntry& pkl = entries.at(prefix + "data.pkl");
  pickle::StateDictUnpickler u(data + pkl.dataOffset, static_cast<size_t>(pkl.size),
                               where + ": data.pkl");
  size_t pos = 0;
  TorchCheckpoint out = stateDictOf(u, u.load(pos), where);
  for (const auto& s : u.storages()) {
    if (out.storages.count(s.key) != 0) continue;
    const auto record = entries.find(prefix + "data/" + s.key);
    if (record == entries.end()) {
      throw Error(where + ": " + describeStorage(out, s.key) + " has no data in the archive");
    }
    const uint64_t elementSize = dtypeSize(s.dtype);
    if (record->second.size / elementSize != s.rootNumel ||
        record->second.size % elementSize != 0) {
      throw Error(where + ": " + describeStorage(out, s.key) + ": the archive holds " +
                  std::to_string(record->second.size) + " bytes, the state dict " +
                  std::to_string(s.rootNumel) + " x " + std::to_string(elementSize) +
                  " (wrong element count)");
    }
    out.storages[s.key] = {s.dtype, s.rootNumel, record->second.dataOffset};
  }
  return out;
}

}  // namespace kvr
