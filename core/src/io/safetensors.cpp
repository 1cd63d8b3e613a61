#include "io/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

#include "io/atomic_file.h"
#include "kvrecycle/error.h"

namespace kvr {
namespace {

// A header is JSON metadata; anything near this size is corrupt, not real.
constexpr uint64_t kMaxHeaderBytes = 100u << 20;

struct DTypeEntry {
  DType dtype;
  const char* name;
  size_t size;
};
constexpr DTypeEntry kDTypes[] = {{DType::F32, "F32", 4},   {DType::F16, "F16", 2},
                                  {DType::BF16, "BF16", 2}, {DType::F64, "F64", 8},
                                  {DType::I64, "I64", 8},   {DType::I32, "I32", 4},
                                  {DType::I16, "I16", 2},   {DType::I8, "I8", 1},
                                  {DType::U8, "U8", 1},     {DType::BOOL, "BOOL", 1}};

const DTypeEntry& entryOf(DType dtype) {
  for (const auto& e : kDTypes) {
    if (e.dtype == dtype) return e;
  }
  throw Error("unknown dtype");
}

uint64_t readLe64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

TensorInfo parseTensor(const std::string& name, const nlohmann::json& j, uint64_t dataSize,
                       const std::string& where) {
  const std::string at = where + ": tensor '" + name + "'";
  if (!j.is_object()) throw Error(at + ": entry is not an object");
  TensorInfo info;
  info.name = name;
  const auto dtype = j.find("dtype");
  if (dtype == j.end() || !dtype->is_string()) throw Error(at + ": missing dtype");
  const auto match = std::find_if(std::begin(kDTypes), std::end(kDTypes), [&](const auto& e) {
    return dtype->get<std::string>() == e.name;
  });
  if (match == std::end(kDTypes)) {
    throw Error(at + ": unsupported dtype " + dtype->get<std::string>());
  }
  info.dtype = match->dtype;
  const auto shape = j.find("shape");
  if (shape == j.end() || !shape->is_array()) throw Error(at + ": missing shape");
  uint64_t numel = 1;
  uint64_t nonZero = 1;  // bounds every size, also those after a 0
  for (const auto& d : *shape) {
    if (!d.is_number_unsigned()) throw Error(at + ": shape has a non-integer or negative size");
    const uint64_t n = d.get<uint64_t>();
    if (n != 0 && nonZero > std::numeric_limits<uint64_t>::max() / 8 / n) {
      throw Error(at + ": shape is too large");
    }
    if (n != 0) nonZero *= n;
    numel *= n;
    info.shape.push_back(static_cast<int64_t>(n));
  }
  const auto offsets = j.find("data_offsets");
  if (offsets == j.end() || !offsets->is_array() || offsets->size() != 2 ||
      !(*offsets)[0].is_number_unsigned() || !(*offsets)[1].is_number_unsigned()) {
    throw Error(at + ": missing data_offsets");
  }
  info.begin = (*offsets)[0].get<uint64_t>();
  info.end = (*offsets)[1].get<uint64_t>();
  if (info.begin > info.end || info.end > dataSize) {
    throw Error(at + ": data_offsets [" + std::to_string(info.begin) + ", " +
                std::to_string(info.end) + "] lie outside the " + std::to_string(dataSize) +
                "-byte data section (truncated file?)");
  }
  if (info.end - info.begin != numel * match->size) {
    throw Error(at + ": " + std::to_string(info.end - info.begin) + " bytes do not match shape " +
                "and dtype (" + std::to_string(numel * match->size) + " expected)");
  }
  return info;
}

}  // namespace

size_t dtypeSize(DType dtype) {
  return entryOf(dtype).size;
}
const char* dtypeName(DType dtype) {
  return entryOf(dtype).name;
}

int64_t TensorInfo::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

SafetensorsHeader parseSafetensorsHeader(const uint8_t* prefix, size_t prefixSize,
                                         uint64_t fileSize, const std::string& where) {
  if (prefixSize < 8 || fileSize < 8)
    throw Error(where + ": file too small for a safetensors header");
  const uint64_t headerSize = readLe64(prefix);
  if (headerSize > kMaxHeaderBytes || headerSize > fileSize - 8) {
    throw Error(where + ": header length " + std::to_string(headerSize) +
                " is larger than the file (" + std::to_string(fileSize) + " bytes)");
  }
  if (8 + headerSize > prefixSize) throw Error(where + ": header not fully read");
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(prefix + 8, prefix + 8 + headerSize);
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": header is not valid JSON: " + e.what());
  }
  if (!json.is_object()) throw Error(where + ": header is not a JSON object");
  SafetensorsHeader header;
  header.dataOffset = 8 + headerSize;
  const uint64_t dataSize = fileSize - header.dataOffset;
  for (auto it = json.begin(); it != json.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it.value().is_object()) throw Error(where + ": __metadata__ is not an object");
      for (auto m = it.value().begin(); m != it.value().end(); ++m) {
        if (!m.value().is_string()) {
          throw Error(where + ": __metadata__ value '" + m.key() + "' is not a string");
        }
        header.metadata[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    header.tensors[it.key()] = parseTensor(it.key(), it.value(), dataSize, where);
  }
  return header;
}

SafetensorsFile::SafetensorsFile(const std::filesystem::path& path) : path_(path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(path.string() + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    throw Error(path.string() + ": cannot stat: " + std::strerror(errno));
  }
  size_ = static_cast<uint64_t>(st.st_size);
  if (size_ < 8) {
    ::close(fd);
    throw Error(path.string() + ": file too small for a safetensors header (" +
                std::to_string(size_) + " bytes)");
  }
  void* map = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) throw Error(path.string() + ": cannot map: " + std::strerror(errno));
  base_ = static_cast<uint8_t*>(map);
  try {
    header_ = parseSafetensorsHeader(base_, size_, size_, path.string());
  } catch (...) {
    ::munmap(base_, size_);
    throw;
  }
}

SafetensorsFile::~SafetensorsFile() {
  if (base_ != nullptr) ::munmap(base_, size_);
}

const TensorInfo* SafetensorsFile::find(const std::string& name) const {
  const auto it = header_.tensors.find(name);
  return it == header_.tensors.end() ? nullptr : &it->second;
}

const uint8_t* SafetensorsFile::data(const TensorInfo& info) const {
  return base_ + header_.dataOffset + info.begin;
}

void writeSafetensors(const std::filesystem::path& path, const std::vector<TensorToWrite>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  std::vector<uint64_t> sizes;
  for (const auto& t : tensors) {
    uint64_t numel = 1;
    for (int64_t d : t.shape) numel *= static_cast<uint64_t>(d);
    const uint64_t bytes = numel * dtypeSize(t.dtype);
    header[t.name] = {{"dtype", dtypeName(t.dtype)},
                      {"shape", t.shape},
                      {"data_offsets", {offset, offset + bytes}}};
    sizes.push_back(bytes);
    offset += bytes;
  }
  std::string json = header.dump();
  json.append((8 - json.size() % 8) % 8, ' ');  // keeps the data 8-byte aligned
  uint8_t lengthBytes[8];
  for (int i = 0; i < 8; ++i) lengthBytes[i] = static_cast<uint8_t>(json.size() >> (8 * i));

  io::AtomicFile out(path);
  out.write(lengthBytes, 8);
  out.write(json.data(), json.size());
  for (size_t i = 0; i < tensors.size(); ++i) out.write(tensors[i].data, sizes[i]);
  out.commit();
}

}  // namespace kvr
