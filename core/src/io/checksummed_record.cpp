#include "io/checksummed_record.h"

#include <xxhash.h>

#include "io/mapped_file.h"
#include "kvrecycle/atomic_write.h"
#include "kvrecycle/error.h"

namespace kvr::io {

void RecordWriter::writeTo(const std::filesystem::path& file) {
  const uint64_t hash = XXH3_64bits(out_.data(), out_.size());
  out_.append(reinterpret_cast<const char*>(&hash), sizeof hash);
  writeFileAtomically(file, out_);
  out_.resize(out_.size() - sizeof hash);
}

RecordReader::RecordReader(const std::filesystem::path& file, const char (&magic)[8],
                           const std::string& what)
    : where_(file.string() + ": " + what) {
  try {
    file_ = std::make_unique<MappedFile>(file);
  } catch (const Error& e) {
    throw Error(std::string(e.what()) + " (" + what + ")");
  }
  const uint8_t* data = file_->data();
  const size_t size = file_->size();
  if (size < sizeof magic + sizeof(uint64_t) || std::memcmp(data, magic, sizeof magic) != 0) {
    fail("is not one (wrong magic or too short)");
  }
  end_ = size - sizeof(uint64_t);
  uint64_t stored = 0;
  std::memcpy(&stored, data + end_, sizeof stored);
  if (stored != XXH3_64bits(data, end_)) fail("fails its checksum");
  at_ = sizeof magic;
}

RecordReader::~RecordReader() = default;

const uint8_t* RecordReader::take(size_t n) {
  if (n > end_ - at_) fail("is truncated");
  const uint8_t* p = file_->data() + at_;
  at_ += n;
  return p;
}

void RecordReader::fail(const std::string& problem) const {
  throw Error(where_ + " " + problem);
}

}  // namespace kvr::io
