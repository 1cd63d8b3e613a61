// The entry catalogue's file format (kv/entry_catalogue.h), apart from the
// store so that it builds without torch (tests/fuzz).
#include <algorithm>
#include <cstring>

#include "io/checksummed_record.h"
#include "kv/entry_catalogue.h"

namespace kvr {
namespace fs = std::filesystem;
namespace {

// Layout (io/checksummed_record.h): magic, uint32 count, then per entry: id
// (uint32 length, bytes), int64 file bytes, uint32 token count, int32 tokens,
// text (uint32 length, bytes). Entries are sorted by id.
constexpr char kMagic[8] = {'K', 'V', 'R', 'C', 'A', 'T', '0', '1'};

}  // namespace

void saveCatalogueFile(const fs::path& file, const std::vector<CatalogueEntry>& entries) {
  io::RecordWriter out(kMagic);
  const auto readable = std::count_if(entries.begin(), entries.end(),
                                      [](const CatalogueEntry& e) { return e.readable; });
  out.put(static_cast<uint32_t>(readable));
  for (const CatalogueEntry& e : entries) {
    if (!e.readable) continue;
    out.putString(e.id);
    out.put(e.bytes);
    out.put(static_cast<uint32_t>(e.tokens.size()));
    out.putBytes(e.tokens.data(), e.tokens.size() * sizeof(int32_t));
    out.putString(e.text);
  }
  out.writeTo(file);
}

std::vector<CatalogueEntry> loadCatalogueFile(const fs::path& file) {
  io::RecordReader r(file, kMagic, "entry catalogue");
  const auto count = r.get<uint32_t>();
  if (count > r.left() / 16) r.fail("is truncated");  // each entry takes >= 16 bytes
  std::vector<CatalogueEntry> entries(count);
  for (CatalogueEntry& e : entries) {
    e.id = r.getString();
    e.bytes = r.get<int64_t>();
    const auto tokenCount = r.get<uint32_t>();
    if (tokenCount > r.left() / sizeof(int32_t)) r.fail("is truncated");
    e.tokens.resize(tokenCount);
    const uint8_t* tokens = r.take(tokenCount * sizeof(int32_t));
    if (tokenCount > 0) std::memcpy(e.tokens.data(), tokens, tokenCount * sizeof(int32_t));
    e.text = r.getString();
  }
  if (!r.done()) r.fail("has trailing bytes");
  return entries;
}

}  // namespace kvr
