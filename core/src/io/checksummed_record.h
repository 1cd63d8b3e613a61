#pragma once
// Small binary files of our own (entry catalogue, store ledger): fields
// appended little-endian after an 8-byte magic, the xxh3-64 of everything
// before it last. A reader takes fields back with bounds checks, so a
// truncated or doctored file is a kvr::Error naming it, never a crash.
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

namespace kvr::io {

class MappedFile;

class RecordWriter {
 public:
  explicit RecordWriter(const char (&magic)[8]) : out_(magic, sizeof magic) {}
  template <typename T>
  void put(T value) {
    static_assert(std::is_trivially_copyable_v<T>);
    out_.append(reinterpret_cast<const char*>(&value), sizeof value);
  }
  void putBytes(const void* data, size_t size) {
    if (size > 0) out_.append(static_cast<const char*>(data), size);  // data may be null then
  }
  void putString(std::string_view s) {  // uint32 length, bytes
    put(static_cast<uint32_t>(s.size()));
    out_.append(s);
  }
  // Appends the checksum and writes the file atomically.
  void writeTo(const std::filesystem::path& file);

 private:
  std::string out_;
};

class RecordReader {
 public:
  // Maps `file`; throws kvr::Error naming it (as `what`) when it is not a
  // whole file of this magic with a matching checksum.
  RecordReader(const std::filesystem::path& file, const char (&magic)[8], const std::string& what);
  ~RecordReader();

  template <typename T>
  T get() {
    static_assert(std::is_trivially_copyable_v<T>);
    T value;
    std::memcpy(&value, take(sizeof value), sizeof value);
    return value;
  }
  const uint8_t* take(size_t n);  // n bytes, or a kvr::Error when the file ends first
  std::string getString() {
    const auto size = get<uint32_t>();
    return std::string(reinterpret_cast<const char*>(take(size)), size);
  }
  size_t left() const { return end_ - at_; }
  bool done() const { return at_ == end_; }
  [[noreturn]] void fail(const std::string& problem) const;  // "<file>: <what> <problem>"

 private:
  std::unique_ptr<MappedFile> file_;
  std::string where_;
  size_t end_ = 0;
  size_t at_ = 0;
};

}  // namespace kvr::io
