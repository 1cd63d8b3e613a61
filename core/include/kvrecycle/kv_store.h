#pragma once
// The K/V store: one safetensors file per entry (so Python tools can read it),
// holding per-layer keys and values of a token sequence plus metadata: the
// model fingerprint, token ids, text, dtype, creation time and a checksum.
// A file from another model, or a corrupt one, is refused with a clear error.
#include <filesystem>
#include <string>
#include <vector>

#include "kvrecycle/kv_dtype.h"
#include "kvrecycle/model.h"

namespace kvr {

struct KVEntryInfo {
  std::string entryId;
  std::filesystem::path path;
  std::string modelFingerprint;
  std::vector<int> tokenIds;
  std::string text;
  std::string dtype;
  std::string createdAt;
  // Format 1: "xxh3-128:<hex>" of the data section. Format 2: "xxh3-128:<hex>"
  // of the token ids and the per-block checksum table.
  std::string checksum;
  int64_t bytes = 0;  // file size
  int formatVersion = 0;
  std::string tokenIdsJson;  // token_ids exactly as stored (covered by the checksum)
};

class KVStore {
 public:
  // Creates the directory when missing; throws kvr::Error when it cannot.
  // Removes temporary files left by writers that were killed mid-write.
  explicit KVStore(std::filesystem::path directory);
  const std::filesystem::path& directory() const { return directory_; }

  // Entries are named by what they hold: the model and the token ids.
  static std::string entryIdFor(const std::string& modelFingerprint,
                                const std::vector<int>& tokens);
  // An entry stored in another precision than fp32 is another entry (fp32 ids are as above).
  static std::string entryIdFor(const std::string& modelFingerprint, const std::vector<int>& tokens,
                                KVDtype dtype);
  std::filesystem::path pathFor(const std::string& entryId) const;
  bool contains(const std::string& entryId) const;

  // Writes the cache's positions as an entry (temporary file, fsync, rename).
  KVEntryInfo save(const Model& model, const KVCache& cache, const std::string& text) const;
  // The same in `dtype` (kvrecycle/kv_dtype.h); loads dequantise into the fp32 cache.
  KVEntryInfo save(const Model& model, const KVCache& cache, const std::string& text,
                   KVDtype dtype) const;
  // Reads and checks the header only (format, fingerprint present); cheap.
  KVEntryInfo inspect(const std::string& entryId) const;
  // Checks format, model fingerprint, checksum and shapes, then copies the first
  // `length` positions into the empty `cache`. Throws kvr::Error naming the file
  // on any problem, leaving the cache empty.
  KVEntryInfo loadPrefix(const Model& model, const std::string& entryId, int length,
                         KVCache& cache) const;
  // Asks the kernel to drop the entry's file from the page cache, so that the
  // next load reads the disk; returns whether that took effect (no page of the
  // file still resident). Entries are written with fsync, so their pages are clean.
  bool dropFromPageCache(const std::string& entryId) const;
  // Every entry id in the store (file names without .safetensors).
  std::vector<std::string> entryIds() const;
  // Checks one entry completely (header, model fingerprint, checksum, shapes)
  // without loading it; throws kvr::Error naming the file on any problem.
  KVEntryInfo verify(const Model& model, const std::string& entryId) const;

 private:
  std::filesystem::path directory_;
};

}  // namespace kvr
