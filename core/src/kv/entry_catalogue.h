#pragma once
// What a store open needs of every entry (size, token ids, text) without
// reading 100 000 entry headers: a binary catalogue beside the entries
// (entry_catalogue.bin), checked against the directory listing at each open.
// Entries it lacks are read from their headers; entries whose file is gone are
// dropped; the file is rewritten (atomically) only when it learned or forgot
// something. It is a cache of the headers, never the truth: a missing, stale
// or corrupt catalogue costs time, not entries. Entry files are immutable (an
// id names its content; writes are atomic renames), so a listed name the
// catalogue knows keeps its catalogued size without a stat; a file changed in
// place behind the store's back is found by the integrity checks of its load.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace kvr {

class KVStore;

struct CatalogueEntry {
  std::string id;
  int64_t bytes = 0;  // file size
  std::vector<int> tokens;
  std::string text;
  bool readable = true;  // false: the header could not be read (tokens and text empty)
};

inline constexpr const char* kEntryCatalogueFile = "entry_catalogue.bin";

// Every entry of the store, sorted by id. Unreadable headers are logged and
// listed by size (readable false), never catalogued, so they are retried.
std::vector<CatalogueEntry> readEntryCatalogue(const KVStore& store,
                                               const std::function<void(const std::string&)>& log);

// The catalogue's file format on its own (for tests and fuzzing): throws
// kvr::Error naming `file` when it is not a whole, intact catalogue. Saving
// skips entries that are not readable.
std::vector<CatalogueEntry> loadCatalogueFile(const std::filesystem::path& file);
void saveCatalogueFile(const std::filesystem::path& file,
                       const std::vector<CatalogueEntry>& entries);

}  // namespace kvr
