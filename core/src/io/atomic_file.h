#pragma once
// Writes a file so that readers see either the old file or the complete new
// one, never a torn one: temporary file in the same folder, fsync, rename.
#include <cstddef>
#include <filesystem>

namespace kvr::io {

class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path target);
  ~AtomicFile();  // removes the temporary file unless commit() succeeded
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // Throws kvr::Error naming the file on any failure (disk full, permissions).
  void write(const void* data, size_t size);
  void commit();

 private:
  std::filesystem::path target_;
  std::filesystem::path temp_;
  int fd_ = -1;
};

}  // namespace kvr::io
