#include "experiment/cache_builder.h"

#include <optional>

#include "io/fingerprint.h"
#include "kvrecycle/embedders.h"
#include "kvrecycle/error.h"
#include "kvrecycle/kv_store.h"
#include "kvrecycle/model.h"
#include "kvrecycle/run_store.h"

namespace kvr {
namespace {

void say(const ExperimentCallbacks& callbacks, const std::string& message) {
  if (callbacks.log) callbacks.log(message);
}

// An existing entry is reused when its header is readable and from this model;
// its checksum is verified when it is loaded for reuse.
std::optional<KVEntryInfo> usableEntry(const KVStore& kvStore, const std::string& entryId,
                                       const Model& model, const ExperimentCallbacks& callbacks) {
  if (!kvStore.contains(entryId)) return std::nullopt;
  try {
    KVEntryInfo info = kvStore.inspect(entryId);
    if (info.modelFingerprint == model.fingerprint()) return info;
  } catch (const Error& e) {
    say(callbacks, std::string("rebuilding unreadable K/V entry: ") + e.what());
  }
  return std::nullopt;
}

}  // namespace

CacheEntryRecord cacheEntryRecordOf(const KVEntryInfo& info) {
  CacheEntryRecord r;
  r.entryId = info.entryId;
  r.modelFingerprint = info.modelFingerprint;
  r.path = info.path.string();
  r.tokenIds = info.tokenIds;
  r.text = info.text;
  r.bytes = info.bytes;
  r.checksum = info.checksum;
  r.createdAt = info.createdAt;
  return r;
}

std::vector<CachedPrompt> buildCache(const Model& model, const CacheBuildInput& input,
                                     KVStore& kvStore, RunStore& runStore, const Embedder& embedder,
                                     const ExperimentCallbacks& callbacks,
                                     const std::atomic<bool>* cancel) {
  const auto& prompts = input.prompts->prompts;
  std::vector<CachedPrompt> cached;
  int built = 0;
  for (size_t i = 0; i < prompts.size(); ++i) {
    if (cancel != nullptr && cancel->load()) break;
    if (callbacks.progress) {
      callbacks.progress({ProgressPhase::Cache, static_cast<int>(i),
                          static_cast<int>(prompts.size()), prompts[i].id});
    }
    CachedPrompt c;
    c.promptId = prompts[i].id;
    c.text = prompts[i].text;
    c.tokens = (*input.tokens)[i];
    c.entryId = KVStore::entryIdFor(model.fingerprint(), c.tokens, input.dtype);
    std::optional<KVEntryInfo> entry = usableEntry(kvStore, c.entryId, model, callbacks);
    if (!entry) {
      const auto cache = model.newCache(static_cast<int>(c.tokens.size()));
      model.forward(*cache, c.tokens);
      entry = kvStore.save(model, *cache, c.text, input.dtype);
      ++built;
    }
    runStore.upsertCacheEntry(cacheEntryRecordOf(*entry));
    c.embedding = embedder.embed(c.text);
    cached.push_back(std::move(c));
  }
  say(callbacks, "K/V cache: " + std::to_string(cached.size()) + " entries (" +
                     std::to_string(built) + " computed, " +
                     std::to_string(static_cast<int>(cached.size()) - built) +
                     " reused from the store)");
  return cached;
}

EmbeddingIndex loadOrBuildIndex(const std::vector<CachedPrompt>& cached, const Embedder& embedder,
                                const KVStore& kvStore, const ExperimentCallbacks& callbacks) {
  Fingerprinter key;
  key.add(embedder.name());
  for (const auto& c : cached) key.add(c.entryId + "\n" + c.text + "\n");
  const std::filesystem::path dir = kvStore.directory() / "indexes";
  const std::filesystem::path path = dir / (embedder.name() + "-" + key.hex() + ".faiss");
  if (std::filesystem::exists(path)) {
    try {
      EmbeddingIndex index = EmbeddingIndex::load(path, embedder.dimension());
      if (index.size() == static_cast<int>(cached.size())) {
        if (index.fileIsOutdated()) index.save(path);  // so that the next open maps it
        return index;
      }
    } catch (const Error& e) {
      say(callbacks, std::string("rebuilding index: ") + e.what());
    }
  }
  EmbeddingIndex index(embedder.dimension());
  for (const auto& c : cached) index.add(c.embedding);
  index.useGraphIfLarge();
  std::filesystem::create_directories(dir);
  index.save(path);
  return index;
}

}  // namespace kvr
