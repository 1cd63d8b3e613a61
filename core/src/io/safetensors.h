#pragma once
// The safetensors format (8-byte little-endian header length, JSON header,
// raw little-endian data), parsed with every offset bounds-checked.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace kvr {

enum class DType { F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL };

size_t dtypeSize(DType dtype);
const char* dtypeName(DType dtype);

struct TensorInfo {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  uint64_t begin = 0;  // byte offsets into the data section
  uint64_t end = 0;
  int64_t numel() const;
};

struct SafetensorsHeader {
  std::map<std::string, TensorInfo> tensors;
  std::map<std::string, std::string> metadata;
  uint64_t dataOffset = 0;  // where the data section starts in the file
};

// Parses and validates a header against a file of `fileSize` bytes whose first
// bytes are `prefix`. `where` names the source in error messages.
SafetensorsHeader parseSafetensorsHeader(const uint8_t* prefix, size_t prefixSize,
                                         uint64_t fileSize, const std::string& where);

// A read-only memory map of a safetensors file.
class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::filesystem::path& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::filesystem::path& path() const { return path_; }
  const SafetensorsHeader& header() const { return header_; }
  const TensorInfo* find(const std::string& name) const;
  const uint8_t* data(const TensorInfo& info) const;
  // The whole file, e.g. for fingerprinting.
  const uint8_t* bytes() const { return base_; }
  uint64_t size() const { return size_; }

 private:
  std::filesystem::path path_;
  uint8_t* base_ = nullptr;
  uint64_t size_ = 0;
  SafetensorsHeader header_;
};

struct TensorToWrite {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const void* data = nullptr;  // numel * dtypeSize bytes, little-endian
};

// Writes atomically: a temporary file in the same folder, fsync, rename.
void writeSafetensors(const std::filesystem::path& path, const std::vector<TensorToWrite>& tensors,
                      const std::map<std::string, std::string>& metadata);

}  // namespace kvr
