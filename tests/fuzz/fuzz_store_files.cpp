// libFuzzer harness: the K/V store's own binary files, the entry catalogue
// (kvr::loadCatalogueFile) and the budget ledger (kvr::StoreLedger::load).
// Both carry a checksum that random bytes never match, so the first input
// byte picks the file and whether the harness seals the rest with a valid
// magic and checksum (reaching the field parser) or writes it as is (reaching
// the header and checksum checks).
#include <unistd.h>
#include <xxhash.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "kv/entry_catalogue.h"
#include "kv/store_ledger.h"
#include "kvrecycle/error.h"

namespace {

const std::filesystem::path& scratchDir() {
  static const std::filesystem::path dir = [] {
    auto d =
        std::filesystem::temp_directory_path() / ("kvr-fuzz-store-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

void write(const std::filesystem::path& file, const std::string& bytes) {
  std::ofstream(file, std::ios::binary | std::ios::trunc).write(bytes.data(), bytes.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool ledger = (data[0] & 1) != 0;
  const bool sealed = (data[0] & 2) != 0;
  std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  if (sealed) {
    bytes = std::string(ledger ? "KVRLEDG1" : "KVRCAT01", 8) + bytes;
    const uint64_t hash = XXH3_64bits(bytes.data(), bytes.size());
    bytes.append(reinterpret_cast<const char*>(&hash), sizeof hash);
  }
  const std::filesystem::path file =
      scratchDir() / (ledger ? kvr::StoreLedger::kFileName : kvr::kEntryCatalogueFile);
  write(file, bytes);
  try {
    if (ledger) {
      const kvr::StoreLedger loaded = kvr::StoreLedger::load(file);
      if (loaded.budget() < 0) std::abort();
      for (const auto& [id, e] : loaded.entries()) {
        if (id.empty() || id != e.id || e.bytes < 0 || e.tokens < 0 || e.maxHitDepth < 0) {
          std::abort();
        }
      }
    } else {
      size_t total = 0;
      for (const kvr::CatalogueEntry& e : kvr::loadCatalogueFile(file)) {
        total += e.id.size() + e.text.size() + e.tokens.size() * sizeof(int32_t);
      }
      if (total > bytes.size()) std::abort();  // never more than the file held
    }
  } catch (const kvr::Error&) {
  }
  return 0;
}
