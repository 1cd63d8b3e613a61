#include "kv/entry_catalogue.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <string_view>

#include "kvrecycle/error.h"
#include "kvrecycle/kv_store.h"

namespace kvr {
namespace fs = std::filesystem;
namespace {

struct ListedFile {
  std::string id;
  bool regular = false;  // known to be a regular file from the listing alone
};

// Entry files, sorted by id. Names only: a stat per file (2.5 us here) would
// be most of an open at 100 000 entries. (POSIX calls: std::filesystem's paths
// cost more than the listing itself.)
std::vector<ListedFile> listEntryFiles(const fs::path& dir) {
  std::vector<ListedFile> files;
  DIR* listing = ::opendir(dir.c_str());
  if (listing == nullptr) return files;
  constexpr std::string_view kSuffix = ".safetensors";
  while (const dirent* entry = ::readdir(listing)) {
    const std::string_view name(entry->d_name);
    if (name.size() <= kSuffix.size() ||
        name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0 ||
        (entry->d_type != DT_REG && entry->d_type != DT_UNKNOWN)) {
      continue;
    }
    files.push_back(
        {std::string(name.substr(0, name.size() - kSuffix.size())), entry->d_type == DT_REG});
  }
  ::closedir(listing);
  std::sort(files.begin(), files.end(),
            [](const ListedFile& a, const ListedFile& b) { return a.id < b.id; });
  return files;
}

// Size of a regular file, or -1.
int64_t regularFileBytes(const fs::path& file) {
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) return -1;
  return static_cast<int64_t>(info.st_size);
}

}  // namespace

std::vector<CatalogueEntry> readEntryCatalogue(const KVStore& store,
                                               const std::function<void(const std::string&)>& log) {
  const fs::path file = store.directory() / kEntryCatalogueFile;
  std::vector<CatalogueEntry> known;
  if (fs::exists(file)) {
    try {
      known = loadCatalogueFile(file);
    } catch (const Error& e) {
      if (log) log(std::string("K/V store: rebuilding the entry catalogue: ") + e.what());
    }
  }
  const auto byId = [](const auto& a, const auto& b) { return a.id < b.id; };
  if (!std::is_sorted(known.begin(), known.end(), byId)) {
    std::sort(known.begin(), known.end(), byId);
  }
  const std::vector<ListedFile> files = listEntryFiles(store.directory());
  std::vector<CatalogueEntry> entries;
  entries.reserve(files.size());
  size_t kept = 0;            // catalogued entries still on disk as they were
  bool learned = false;       // headers read that the catalogue should remember
  auto next = known.begin();  // both lists sorted by id: one merge, no hashing
  for (const ListedFile& f : files) {
    while (next != known.end() && next->id < f.id) ++next;
    const bool catalogued = next != known.end() && next->id == f.id;
    // A catalogued regular file keeps its size; anything else is stat'ed.
    const int64_t bytes =
        catalogued && f.regular ? next->bytes : regularFileBytes(store.pathFor(f.id));
    if (bytes < 0) continue;
    if (catalogued && next->bytes == bytes) {
      entries.push_back(std::move(*next++));
      ++kept;
      continue;
    }
    CatalogueEntry e{f.id, bytes, {}, {}, true};
    try {
      KVEntryInfo info = store.inspect(f.id);
      e.tokens = std::move(info.tokenIds);
      e.text = std::move(info.text);
      learned = true;
    } catch (const Error& error) {
      e.readable = false;
      if (log) log(std::string("K/V store: unreadable entry counted by size: ") + error.what());
    }
    entries.push_back(std::move(e));
  }
  if (learned || kept != known.size()) {
    try {
      saveCatalogueFile(file, entries);
    } catch (const Error& e) {
      // A store on a full or read-only disk still opens; the next open reads the headers again.
      if (log) log(std::string("K/V store: entry catalogue not saved: ") + e.what());
    }
  }
  return entries;
}

}  // namespace kvr
