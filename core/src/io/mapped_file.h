#pragma once
// A whole file mapped read-only into memory (pages are read on first touch).
#include <cstddef>
#include <cstdint>
#include <filesystem>

namespace kvr::io {

class MappedFile {
 public:
  // Throws kvr::Error naming the file when it cannot be opened or mapped.
  explicit MappedFile(const std::filesystem::path& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace kvr::io
