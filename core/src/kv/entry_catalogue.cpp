#include "kv/entry_catalogue.h"

#include <dirent.h>
#include <sys/stat.h>
#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <string_view>
#include <unordered_map>

#include "kvrecycle/atomic_write.h"
#include "kvrecycle/error.h"
#include "kvrecycle/kv_store.h"

namespace kvr {
namespace fs = std::filesystem;
namespace {

// Layout (little-endian): magic, uint32 count, then per entry: uint32 id
// length, id, int64 file bytes, uint32 token count, int32 tokens, uint32 text
// length, text; last, the xxh3-64 of everything before it.
constexpr char kMagic[8] = {'K', 'V', 'R', 'C', 'A', 'T', '0', '1'};

template <typename T>
void put(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

class Reader {
 public:
  Reader(const std::string& data, size_t end, const fs::path& file)
      : data_(data), end_(end), file_(file) {}
  template <typename T>
  T get() {
    T value;
    std::memcpy(&value, take(sizeof value), sizeof value);
    return value;
  }
  const char* take(size_t n) {
    if (n > end_ - at_) throw Error(file_.string() + ": entry catalogue is truncated");
    const char* p = data_.data() + at_;
    at_ += n;
    return p;
  }
  bool done() const { return at_ == end_; }

 private:
  const std::string& data_;
  size_t end_;
  size_t at_ = 0;
  const fs::path& file_;
};

struct ListedFile {
  std::string id;
  int64_t bytes = 0;
};

// Entry files and their sizes, sorted by id. (POSIX calls: at 100 000 entries
// std::filesystem's paths cost more than the listing itself.)
std::vector<ListedFile> listEntryFiles(const fs::path& dir) {
  std::vector<ListedFile> files;
  DIR* listing = ::opendir(dir.c_str());
  if (listing == nullptr) return files;
  const int dirFd = ::dirfd(listing);
  constexpr std::string_view kSuffix = ".safetensors";
  while (const dirent* entry = ::readdir(listing)) {
    const std::string_view name(entry->d_name);
    if (name.size() <= kSuffix.size() ||
        name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) {
      continue;
    }
    struct stat info {};
    if (::fstatat(dirFd, entry->d_name, &info, 0) != 0 || !S_ISREG(info.st_mode)) continue;
    files.push_back({std::string(name.substr(0, name.size() - kSuffix.size())),
                     static_cast<int64_t>(info.st_size)});
  }
  ::closedir(listing);
  std::sort(files.begin(), files.end(),
            [](const ListedFile& a, const ListedFile& b) { return a.id < b.id; });
  return files;
}

}  // namespace

void saveCatalogueFile(const fs::path& file, const std::vector<CatalogueEntry>& entries) {
  std::string out(kMagic, sizeof kMagic);
  const auto readable = std::count_if(entries.begin(), entries.end(),
                                      [](const CatalogueEntry& e) { return e.readable; });
  put(out, static_cast<uint32_t>(readable));
  for (const CatalogueEntry& e : entries) {
    if (!e.readable) continue;
    put(out, static_cast<uint32_t>(e.id.size()));
    out += e.id;
    put(out, e.bytes);
    put(out, static_cast<uint32_t>(e.tokens.size()));
    out.append(reinterpret_cast<const char*>(e.tokens.data()), e.tokens.size() * sizeof(int32_t));
    put(out, static_cast<uint32_t>(e.text.size()));
    out += e.text;
  }
  put(out, static_cast<uint64_t>(XXH3_64bits(out.data(), out.size())));
  writeFileAtomically(file, out);
}

std::vector<CatalogueEntry> loadCatalogueFile(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(file.string() + ": cannot read entry catalogue");
  in.seekg(0, std::ios::end);
  std::string data(static_cast<size_t>(std::max<std::streamoff>(0, in.tellg())), '\0');
  in.seekg(0);
  if (!in.read(data.data(), static_cast<std::streamsize>(data.size()))) {
    throw Error(file.string() + ": cannot read entry catalogue");
  }
  if (data.size() < sizeof kMagic + sizeof(uint32_t) + sizeof(uint64_t) ||
      std::memcmp(data.data(), kMagic, sizeof kMagic) != 0) {
    throw Error(file.string() + ": not an entry catalogue");
  }
  const size_t body = data.size() - sizeof(uint64_t);
  uint64_t stored = 0;
  std::memcpy(&stored, data.data() + body, sizeof stored);
  if (stored != XXH3_64bits(data.data(), body)) {
    throw Error(file.string() + ": entry catalogue fails its checksum");
  }
  Reader r(data, body, file);
  r.take(sizeof kMagic);
  const auto count = r.get<uint32_t>();
  std::vector<CatalogueEntry> entries;
  entries.reserve(std::min<size_t>(count, body / 16));  // each entry takes >= 16 bytes
  for (uint32_t i = 0; i < count; ++i) {
    CatalogueEntry e;
    const auto idSize = r.get<uint32_t>();
    e.id.assign(r.take(idSize), idSize);
    e.bytes = r.get<int64_t>();
    const auto tokenCount = r.get<uint32_t>();
    if (tokenCount > body / sizeof(int32_t)) {
      throw Error(file.string() + ": entry catalogue is truncated");
    }
    e.tokens.resize(tokenCount);
    std::memcpy(e.tokens.data(), r.take(tokenCount * sizeof(int32_t)),
                tokenCount * sizeof(int32_t));
    const auto textSize = r.get<uint32_t>();
    e.text.assign(r.take(textSize), textSize);
    entries.push_back(std::move(e));
  }
  if (!r.done()) throw Error(file.string() + ": entry catalogue has trailing bytes");
  return entries;
}

std::vector<CatalogueEntry> readEntryCatalogue(const KVStore& store,
                                               const std::function<void(const std::string&)>& log) {
  const fs::path file = store.directory() / kEntryCatalogueFile;
  std::unordered_map<std::string, CatalogueEntry> known;
  if (fs::exists(file)) {
    try {
      for (CatalogueEntry& e : loadCatalogueFile(file)) known.emplace(e.id, std::move(e));
    } catch (const Error& e) {
      if (log) log(std::string("K/V store: rebuilding the entry catalogue: ") + e.what());
    }
  }
  const std::vector<ListedFile> files = listEntryFiles(store.directory());
  std::vector<CatalogueEntry> entries;
  entries.reserve(files.size());
  size_t kept = 0;       // catalogued entries still on disk as they were
  bool learned = false;  // headers read that the catalogue should remember
  for (const ListedFile& f : files) {
    auto it = known.find(f.id);
    if (it != known.end() && it->second.bytes == f.bytes) {
      entries.push_back(std::move(it->second));
      ++kept;
      continue;
    }
    CatalogueEntry e{f.id, f.bytes, {}, {}, true};
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
